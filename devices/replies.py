"""What the gateway sends back to a device: delivery confirmations on
``trace/v1/{device}/stored`` and verdicts on the device's reply topic.

A confirmation is ``{"v": 1, "seqs": ["1042", ...]}``: the gateway has committed (or already
had, or dead-lettered for good) those envelopes. A verdict message is a JSON object naming its
envelope by MQTT 5 CorrelationData or by its ``seq`` field.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from traceability import strict_json


def stored_seqs(payload: bytes | bytearray) -> list[int] | None:
    """The seqs of a ``{"v": 1, "seqs": ["1042", ...]}`` confirmation (None: not one)."""
    try:
        doc = strict_json.loads(payload)
    except ValueError:
        return None
    if not isinstance(doc, dict) or doc.get("v") != 1 or not isinstance(doc.get("seqs"), list):
        return None
    return [
        int(s)
        for s in doc["seqs"]
        if isinstance(s, str) and s.isascii() and s.isdigit() and len(s) <= 19
    ]


def parse_verdict(
    payload: bytes | bytearray, correlation: Any
) -> tuple[str, dict[str, Any]] | None:
    """(envelope seq, verdict message) of a verdict; None if it is not JSON (RFC 8259: NaN and
    Infinity are refused). The seq comes from CorrelationData, else from the message."""
    try:
        doc = strict_json.loads(payload)
    except ValueError:
        return None
    seq = correlation.decode() if isinstance(correlation, bytes) else None
    if seq is None and isinstance(doc, dict):
        seq = str(doc.get("seq") or doc.get("envelope_seq") or "")
    return seq or "", doc if isinstance(doc, dict) else {"verdicts": doc}


@dataclass
class Verdicts:
    """Verdict messages received, by envelope seq; thread-safe."""

    by_seq: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def add(self, seq: str, message: dict[str, Any]) -> None:
        with self.cond:
            self.by_seq.setdefault(seq, []).append(message)
            self.cond.notify_all()

    def wait(self, seq: int | str, *, timeout: float) -> list[dict[str, Any]]:
        """The messages for envelope ``seq`` (empty on timeout)."""
        key = str(seq)
        with self.cond:
            self.cond.wait_for(lambda: key in self.by_seq, timeout=timeout)
            return list(self.by_seq.get(key, []))
