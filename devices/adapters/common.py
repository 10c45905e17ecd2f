"""Tag reads, the collapse window, and the EPCIS events built from collapsed observations."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devices.config import DeviceConfig
from devices.events import Event, configured_event
from traceability.errors import InvalidInputError
from traceability.identifiers import epc_urn_from_hex


class ReaderPayloadError(InvalidInputError):
    code = "malformed"


@dataclass(frozen=True, slots=True)
class TagRead:
    """One tag report from a reader, vendor-neutral."""

    epc_hex: str
    antenna: int | None
    seen_at: datetime
    rssi_dbm: float | None = None
    count: int = 1
    reader: str | None = None


@dataclass(slots=True)
class Observation:
    """Reads of one tag at one antenna inside the window, collapsed."""

    epc_hex: str
    antenna: int | None
    first_seen: datetime
    last_seen: datetime
    read_count: int
    best_rssi_dbm: float | None
    reader: str | None = None

    def absorb(self, read: TagRead) -> None:
        self.first_seen = min(self.first_seen, read.seen_at)
        self.last_seen = max(self.last_seen, read.seen_at)
        self.read_count += read.count
        if read.rssi_dbm is not None and (
            self.best_rssi_dbm is None or read.rssi_dbm > self.best_rssi_dbm
        ):
            self.best_rssi_dbm = read.rssi_dbm


class Collapser:
    """Collapse repeated reads of the same tag (per antenna) seen within ``window_s`` of the
    first read into one :class:`Observation`. Time is the readers' clock, not the host's."""

    def __init__(self, *, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._open: dict[tuple[str, int | None], Observation] = {}

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
        done = [
            k for k, o in self._open.items() if (now - o.first_seen).total_seconds() > self.window_s
        ]
        return sorted((self._open.pop(k) for k in done), key=lambda o: o.first_seen)

    def __len__(self) -> int:
        return len(self._open)


def observations_to_events(config: DeviceConfig, observations: list[Observation]) -> list[Event]:
    """One ObjectEvent per read point, at the earliest first-seen time of its observations."""
    groups: dict[str | None, list[Observation]] = {}
    for obs in observations:
        groups.setdefault(config.read_point_for(obs.antenna), []).append(obs)
    events = []
    for read_point, group in groups.items():
        epcs = list(dict.fromkeys(epc_urn_from_hex(o.epc_hex) for o in group))
        when = min(o.first_seen for o in group)
        events.append(configured_event(config, when=when, epcs=epcs, read_point=read_point))
    return sorted(events, key=lambda e: str(e["eventTime"]))


class RfidEventBuilder:
    """Reads in, EPCIS events out: the collapse window plus the device's configuration."""

    def __init__(self, config: DeviceConfig) -> None:
        self.config = config
        self.collapser = Collapser(window_s=config.collapse_window_s)
        self.observations: list[Observation] = []  # the last closed ones, for inspection

    def feed(self, reads: Iterable[TagRead]) -> list[Event]:
        return self._emit(self.collapser.feed(reads))

    def flush(self, now: datetime | None = None) -> list[Event]:
        return self._emit(self.collapser.flush(now))

    def _emit(self, closed: list[Observation]) -> list[Event]:
        self.observations = closed
        return observations_to_events(self.config, closed) if closed else []


# ---- parsing helpers shared by the vendor adapters ---------------------------------------

_FRACTION = re.compile(r"\.(\d+)")
_OFFSET_NO_COLON = re.compile(r"([+-]\d\d)(\d\d)$")


def parse_time(value: Any, *, field: str) -> datetime:
    """RFC 3339 with any fraction length (Impinj sends nanoseconds), ``Z``, ``+0000``, or
    epoch milliseconds/microseconds as a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = value / 1_000_000 if value > 1e14 else value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if not isinstance(value, str) or not value:
        raise ReaderPayloadError(f"{field} must be a timestamp", field=field, value=value)
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    text = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), text, count=1)
    text = _OFFSET_NO_COLON.sub(r"\1:\2", text)
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ReaderPayloadError(
            f"{field} is not a timestamp: {value!r}", field=field, value=value
        ) from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)


def iter_json(payload: bytes | str | dict[str, Any] | list[Any]) -> Iterator[dict[str, Any]]:
    """A JSON object, a JSON array of objects, or newline-delimited JSON (an HTTP stream)."""
    if isinstance(payload, dict):
        yield payload
        return
    if isinstance(payload, list):
        for item in payload:
            yield from iter_json(item)
        return
    text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
    text = text.strip()
    if not text:
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        for n, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield from iter_json(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ReaderPayloadError(
                        f"line {n} is not JSON: {exc.msg}", field="payload", value=n
                    ) from None
        return
    if not isinstance(doc, (dict, list)):
        raise ReaderPayloadError("reader payload must be JSON objects", field="payload")
    yield from iter_json(doc)
