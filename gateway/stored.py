"""Delivery confirmations: after a batch commits, the seqs it settled go to each device on
``trace/v1/{device}/stored`` as ``{"v": 1, "seqs": ["1042", ...]}`` (docs/delivery.md).

An envelope is settled when it was stored, was already stored (a duplicate), or was
dead-lettered for good. A device retires an envelope from its outbox only on this message: a
broker's PUBACK says only that the broker has it, and a broker drops queued messages past its
limits. One message per device per batch confirms all of its seqs.

A dead letter is confirmed to the device of its topic only when the payload is a JSON object
naming that same device and a string ``seq`` (an envelope the device itself sent; refusals are
rare, so re-reading their payload costs nothing on the hot path). One that names no seq cannot
be confirmed: the device re-sends it after its timeout, as it would any unconfirmed envelope.
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from gateway.decode import Accepted, Refused, topic_parts
from gateway.store import BatchResult

KIND = "stored"


def stored_topic(device: str, *, prefix: str = "") -> str:
    return f"{prefix}trace/v1/{device}/{KIND}"


def settled(result: BatchResult, *, prefix: str = "") -> dict[str, list[str]]:
    """device -> the seqs of ``result`` settled for good, in batch order, each once."""
    out: dict[str, list[str]] = {}
    seen: set[tuple[str, str]] = set()

    def add(device: str, seq: str) -> None:
        if (device, seq) not in seen:
            seen.add((device, seq))
            out.setdefault(device, []).append(seq)

    for acc in _chain(result.stored, result.duplicates):
        add(acc.envelope.device, acc.envelope.seq)
    for ref in result.refused:
        found = _refused_seq(ref, prefix)
        if found is not None:
            add(*found)
    return out


def messages(result: BatchResult, *, prefix: str = "") -> list[tuple[str, bytes]]:
    """(topic, payload) of the confirmations for one committed batch."""
    return [
        (stored_topic(device, prefix=prefix), orjson.dumps({"v": 1, "seqs": seqs}))
        for device, seqs in settled(result, prefix=prefix).items()
    ]


def _chain(*groups: Iterable[Accepted]) -> Iterable[Accepted]:
    for g in groups:
        yield from g


def _refused_seq(ref: Refused, prefix: str) -> tuple[str, str] | None:
    parts = topic_parts(ref.topic, prefix)
    if parts is None:
        return None
    try:
        doc = orjson.loads(ref.payload)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    seq = doc.get("seq")
    if doc.get("device") != parts[0] or not isinstance(seq, str) or not seq:
        return None
    return parts[0], seq
