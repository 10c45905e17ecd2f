"""Zebra IoT Connector tag data events: see :mod:`traceability.readers.zebra`."""

from traceability.readers.zebra import parse_zebra

__all__ = ["parse_zebra"]
