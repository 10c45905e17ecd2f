"""RFID on a device: :class:`RfidEventBuilder`, a streaming collapse window over a device's reads
(the parsers and the collapse rule are in :mod:`traceability.readers`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from devices.config import DeviceConfig
from devices.events import Event
from traceability.readers import Collapser, Observation, ReaderConfig, TagRead
from traceability.readers import observations_to_events as _observations_to_events

__all__ = ["RfidEventBuilder", "observations_to_events"]


def observations_to_events(config: DeviceConfig, observations: list[Observation]) -> list[Event]:
    """One ObjectEvent per read point, at the earliest first-seen time of its observations."""
    return _observations_to_events(
        config=ReaderConfig.model_validate(config.reader_config()), observations=observations
    )


class RfidEventBuilder:
    """Reads in, EPCIS events out: the collapse window plus the device's configuration (the
    same events :func:`traceability.readers.derive_events` gives for one batch of reads)."""

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
