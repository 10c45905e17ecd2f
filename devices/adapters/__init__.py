"""Reader adapters: vendor JSON (Impinj IoT device interface, Zebra IoT Connector) -> reads ->
collapsed observations -> EPCIS ObjectEvents."""

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
