"""What the pipeline asks of its verdict service, and what one envelope's verdicts are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from gateway.decode import Accepted
from gateway.store import BatchResult


class Reply(NamedTuple):
    """Verdicts for one envelope. ``settled``: every item state they rest on comes from
    committed events (none from envelopes still in flight), so they may go out at once."""

    topic: str
    payload: bytes
    counts: dict[str, int]  # count per verdict
    settled: bool = False


class VerdictSink(Protocol):
    def observe(self, acc: Accepted) -> Reply | None: ...
    def committed(self, accepted: Sequence[Accepted], result: BatchResult) -> None: ...
    def reset(self) -> None: ...
