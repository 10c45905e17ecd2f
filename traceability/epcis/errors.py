"""EPCIS 2.0 exceptions in the project's one error format.

Each error keeps the project's ``code``/``message``/``field`` and adds ``type``: the exception
of the EPCIS 2.0 REST bindings it is (``epcisException:ValidationException``, ...), so a
partner's EPCIS client reads the answer it expects by that member.
"""

from __future__ import annotations

from typing import Any

from traceability.errors import InvalidInputError, NotFoundError, PayloadTooLargeError

PREFIX = "epcisException:"


class _Typed:
    epcis_type = "ImplementationException"

    def epcis(self, out: dict[str, Any]) -> dict[str, Any]:
        out["type"] = PREFIX + self.epcis_type
        return out


class EpcisValidationError(_Typed, InvalidInputError):
    """A captured document the standard refuses (HTTP 400, ValidationException)."""

    code = "epcis_invalid"
    epcis_type = "ValidationException"

    def __init__(
        self, message: str, *, field: str | None = None, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message, field=field)
        self.errors = errors or []

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.errors:
            out["errors"] = self.errors[:50]
        return self.epcis(out)


class QueryParameterError(_Typed, InvalidInputError):
    """A query parameter that is unknown or has a bad value (HTTP 400)."""

    code = "query_parameter"
    epcis_type = "QueryParameterException"

    def to_dict(self) -> dict[str, Any]:
        return self.epcis(super().to_dict())


class CaptureLimitError(_Typed, PayloadTooLargeError):
    """More events in one capture than the limit (HTTP 413)."""

    code = "capture_limit"
    epcis_type = "CaptureLimitExceededException"

    def to_dict(self) -> dict[str, Any]:
        return self.epcis(super().to_dict())


class NoSuchResourceError(_Typed, NotFoundError):
    """An unknown event or capture job (HTTP 404)."""

    epcis_type = "NoSuchResourceException"

    def to_dict(self) -> dict[str, Any]:
        return self.epcis(super().to_dict())
