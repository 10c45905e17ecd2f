"""The collapse window: repeated reads of one tag at one antenna become one observation."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from traceability.readers.models import Observation, TagRead

__all__ = ["Collapser"]


class Collapser:
    """Collapse repeated reads of the same tag (per antenna) seen within the window of the
    first read into one :class:`Observation`. Time is the readers' clock, not the host's.

    ``window`` (or ``window_s``) is the window length; a read more than that after the first
    read of its tag and antenna closes the observation and opens a new one."""

    def __init__(self, *, window_s: float = 2.0, window: timedelta | None = None) -> None:
        self.window = window if window is not None else timedelta(seconds=window_s)
        self._open: dict[tuple[str, int | None], Observation] = {}

    @property
    def window_s(self) -> float:
        return self.window.total_seconds()

    def feed(self, reads: Iterable[TagRead]) -> list[Observation]:
        """Add reads; return the observations whose window has closed, oldest first."""
        closed: list[Observation] = []
        for read in reads:
            closed.extend(self._expire(read.seen_at))
            key = (read.epc_hex, read.antenna)
            obs = self._open.get(key)
            if obs is None:
                self._open[key] = Observation(
                    epc_hex=read.epc_hex,
                    antenna=read.antenna,
                    first_seen=read.seen_at,
                    last_seen=read.seen_at,
                    read_count=read.count,
                    best_rssi_dbm=read.rssi_dbm,
                    reader=read.reader,
                )
            else:
                obs.absorb(read)
        return closed

    def flush(self, now: datetime | None = None) -> list[Observation]:
        """Close windows that ended before ``now`` (all of them when ``now`` is None)."""
        if now is not None:
            return self._expire(now)
        out = sorted(self._open.values(), key=lambda o: o.first_seen)
        self._open.clear()
        return out

    def _expire(self, now: datetime) -> list[Observation]:
        done = [k for k, o in self._open.items() if now - o.first_seen > self.window]
        return sorted((self._open.pop(k) for k in done), key=lambda o: o.first_seen)

    def __len__(self) -> int:
        return len(self._open)
