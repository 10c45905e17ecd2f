"""Gateway errors: a message rejected with a reason code (docs/protocol.md §5), or a transient
failure."""

from __future__ import annotations

from traceability.errors import InvalidInputError, TraceError

REASONS = frozenset(
    {
        "malformed",
        "oversize",
        "topic_mismatch",
        "unknown_device",
        "unknown_key",
        "device_revoked",
        "bad_signature",
        "replayed_seq",
        "schema_invalid",
        "invalid_identifier",
        "location_not_allowed",
        "clock_skew",
        "reader_invalid",  # raw reader JSON no derivation turns into events (field named)
        "unsupported_topic",  # no longer given (reader JSON is ingested); kept for old rows
        "internal",
    }
)


class Rejected(InvalidInputError):  # noqa: N818 - a verdict, not a failure
    """A message that will never succeed; ``code`` is its dead-letter reason."""

    code = "malformed"

    def __init__(
        self, message: str, *, code: str, field: str | None = None, device: str | None = None
    ) -> None:
        super().__init__(message, code=code, field=field)
        self.device = device


class TransientError(TraceError):
    """The store (or another dependency) is unavailable: retry later, never dead-letter."""

    code = "transient"
