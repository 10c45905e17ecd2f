"""Raw reader JSON (Impinj IoT device interface, Zebra IoT Connector) -> EPCIS ObjectEvents.

A pure, versioned derivation (:func:`derive_events`): the ``reader`` member of a signed
envelope on ``trace/v1/{device}/reader`` names its format, carries the edge agent's
configuration and the raw messages; the gateway derives the events from it, and the audit
derives them again from the stored envelope.
"""

from __future__ import annotations

from traceability.readers.collapse import Collapser
from traceability.readers.derive import (
    FORMATS,
    check_reader,
    derive_events,
    derive_member_events,
    observations_to_events,
)
from traceability.readers.errors import ReaderError
from traceability.readers.impinj import parse_impinj
from traceability.readers.models import Observation, ReaderConfig, ReaderInput, TagRead
from traceability.readers.parsing import iter_json, parse_time
from traceability.readers.zebra import parse_zebra

__all__ = [
    "FORMATS",
    "Collapser",
    "Observation",
    "ReaderConfig",
    "ReaderError",
    "ReaderInput",
    "TagRead",
    "check_reader",
    "derive_events",
    "derive_member_events",
    "iter_json",
    "observations_to_events",
    "parse_impinj",
    "parse_time",
    "parse_zebra",
]
