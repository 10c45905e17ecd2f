"""Reader adapters: vendor JSON (Impinj IoT device interface, Zebra IoT Connector) -> reads ->
collapsed observations -> EPCIS ObjectEvents. The pure derivation lives in
:mod:`traceability.readers` (the gateway and the audit run it on ``.../reader`` envelopes);
this package re-exports it for edge agents and adds the streaming :class:`RfidEventBuilder`."""

from devices.adapters.common import Collapser, Observation, RfidEventBuilder, TagRead
from devices.adapters.impinj import parse_impinj
from devices.adapters.zebra import parse_zebra

__all__ = [
    "Collapser",
    "Observation",
    "RfidEventBuilder",
    "TagRead",
    "parse_impinj",
    "parse_zebra",
]
