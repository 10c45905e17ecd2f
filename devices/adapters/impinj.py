"""Impinj IoT device interface events: see :mod:`traceability.readers.impinj`."""

from traceability.readers.impinj import parse_impinj

__all__ = ["parse_impinj"]
