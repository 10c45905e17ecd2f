"""One error hierarchy for all of Suyuan.

Every error carries a stable machine-readable ``code`` (the reason codes of docs/protocol.md §5
are a subset), and where it applies the ``field`` and ``value`` it is about. Verification
failures are one type, :class:`VerificationError`, carrying what was expected and what was computed.
HTTP status mapping lives only in ``api/``; exit-code mapping only in the CLI.
"""

from __future__ import annotations

from typing import Any


class TraceError(Exception):
    """Root of every error Suyuan raises on purpose."""

    code: str = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.value = value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            out["field"] = self.field
        if self.value is not None:
            out["value"] = (
                self.value if isinstance(self.value, (str, int, float, bool)) else repr(self.value)
            )
        return out


class ConfigError(TraceError):
    code = "config"


class NotFoundError(TraceError):
    code = "not_found"


class ConflictError(TraceError):
    code = "conflict"


class InvalidInputError(TraceError):
    """Input that is malformed or violates a rule (identifiers, documents, envelopes)."""

    code = "invalid"


class VerificationError(TraceError):
    """A cryptographic or integrity check failed: carries expected vs. computed values."""

    code = "verification_failed"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        expected: Any = None,
        computed: Any = None,
        index: int | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field, value=computed)
        self.expected = expected
        self.computed = computed
        self.index = index

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("value", None)
        if self.index is not None:
            out["index"] = self.index
        if self.expected is not None:
            out["expected"] = _show(self.expected)
        if self.computed is not None:
            out["computed"] = _show(self.computed)
        return out


def _show(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (str, int, float, bool)):
        return value
    return repr(value)
