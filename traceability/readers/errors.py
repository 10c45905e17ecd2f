"""Reader errors: raw reader JSON (or its configuration) that no derivation can turn into events.

One type, :class:`ReaderError`, with the dead-letter reason code ``reader_invalid``; ``field``
names the member (``reader.messages[3].tagInventoryEvent.epcHex``, ``reader.config.window_ms``)
and ``value`` the offending value.
"""

from __future__ import annotations

from traceability.errors import InvalidInputError

__all__ = ["ReaderError"]


class ReaderError(InvalidInputError):
    code = "reader_invalid"
