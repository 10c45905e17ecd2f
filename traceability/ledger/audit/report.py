"""The audit's result (:class:`AuditReport`) and its failure types."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from traceability.ledger.errors import AuditError


@dataclass
class AuditReport:
    size: int = 0
    checkpoint_size: int | None = None
    signatures_checked: int = 0
    failures: list[AuditError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        first = min(self.failures, key=order, default=None)
        return {
            "ok": self.ok,
            "size": self.size,
            "checkpoint_size": self.checkpoint_size,
            "signatures_checked": self.signatures_checked,
            "first_failure": first.to_dict() if first else None,
            "failures": [f.to_dict() for f in self.failures],
        }


def order(f: AuditError) -> tuple[bool, int, int]:
    """Failures in log order, at one index by step (``field`` is ``step<N>``)."""
    step = f.field[4:] if f.field and f.field.startswith("step") else ""
    return (f.index is None, f.index or 0, int(step) if step.isdigit() else 0)


class StopAuditError(Exception):
    pass


Fail = tuple[int, int | None, str, Any, Any]  # step, index, what, expected, found
