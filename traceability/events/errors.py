"""Validation results and errors of the events package."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from traceability.errors import InvalidInputError

__all__ = ["DocumentError", "ValidationIssue"]


@dataclass(frozen=True, slots=True)
class ValidationIssue:
    """One problem found in a document: which event (index in document order, ``None`` for the
    document itself), the field path inside it (``epcList[0]``, ``readPoint.id``), a stable
    machine-readable ``code`` and a human message."""

    event: int | None
    path: str
    code: str
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "path": self.path, "code": self.code, "message": self.message}

    def __str__(self) -> str:
        where = "document" if self.event is None else f"event {self.event}"
        return f"{where}: {self.path or '(root)'}: [{self.code}] {self.message}"


class DocumentError(InvalidInputError):
    """A document that cannot be read at all (not JSON, not an object, no event list)."""

    code = "malformed"
