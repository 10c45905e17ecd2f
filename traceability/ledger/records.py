"""Custody records: the leaves of the ledger, as RFC 8785 (JCS) canonical UTF-8 bytes.

An event record (``kind = "event"``) is::

    {"device": str, "envelope": <sha-256 hex of the envelope's unsigned canonical bytes>,
     "event_hash": "ni:///sha-256;...?ver=CBV2.0", "index": int, "items": [
       {"item": str, "prev": int (-1 = first), "prev_hash": <leaf hash hex of prev, or "">}, ...
     ], "key": <device key id>, "kind": "event", "pos": <the event's position in the envelope>,
     "recorded_at": "YYYY-MM-DDTHH:MM:SS.ffffffZ", "sig": <base64url device signature>, "v": 2}

So the record commits to the envelope (its digest, signature and key id), to the event body
(``envelope.events[pos]``), the event hash, its index, the platform's recording time and the
previous record of every item it touches.

Versions of event records: ``v: 1`` names each item by the string the event carries (an item sent
as a Digital Link and later as an EPC URN started two chains); ``v: 2`` (written since issue 12,
item 4) names it by its one key, :func:`traceability.events.item_key.item_key` (the canonical GS1
Digital Link), so both forms continue one chain. The shape is the same; ``tracectl verify``
derives each record's items by the rule of its version (:data:`ITEM_KEYED`), so records already
stored still audit. Other kinds (``key.register``, ``key.rotate``,
``key.revoke``) are ``{"body": {...}, "index", "kind", "recorded_at", "v"}``.

:func:`fast_canonical` serialises such a record with ``json.dumps(sort_keys=True, ...)``. That is
byte-identical to RFC 8785 for this shape: every key is ASCII (so code-point order = UTF-16
order), values are only strings, lists, objects and integers below 2**53 (JCS prints those as
decimal integers, like Python), and JSON string escaping with ``ensure_ascii=False`` matches JCS
(``\\" \\\\ \\b \\f \\n \\r \\t``, other C0 controls as lowercase ``\\u00xx``, nothing else).
A hypothesis test compares it with ``rfc8785``. Anything else goes through ``rfc8785``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from json.encoder import encode_basestring as _enc
from typing import Any

from traceability import strict_json
from traceability.ledger.errors import SubmissionError
from traceability.signing.ed25519 import canonical

RECORD_VERSION = 1  # key lifecycle records (unchanged)
EVENT_RECORD_VERSION = 2  # event records written now
ITEM_KEYED = {1: False, 2: True}  # event record version -> items by their one key?
EVENT_KIND = "event"
NO_PREV = -1
_MAX_SAFE = 2**53 - 1


def fast_canonical(obj: dict[str, Any]) -> bytes:
    """RFC 8785 bytes of a record (see the module docstring for why this is exact)."""
    return json.dumps(
        obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()  # allow_nan=False: a NaN or infinite float raises (it has no RFC 8785 form)


def record_bytes(obj: dict[str, Any]) -> bytes:
    """Canonical bytes of any record: the fast path when the shape allows it."""
    return fast_canonical(obj) if _fast_ok(obj) else canonical(obj)


def _fast_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -_MAX_SAFE <= value <= _MAX_SAFE
    if isinstance(value, list):
        return all(_fast_ok(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and k.isascii() and _fast_ok(v) for k, v in value.items())
    return False


def format_time(when: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (the year always four digits: ``strftime`` writes
    year 1 as ``1``, which :func:`parse_time` could not read back)."""
    t = when.astimezone(UTC)
    return f"{t.year:04d}-{t:%m-%dT%H:%M:%S.%f}Z"


def parse_time(text: str) -> datetime:
    """An RFC 3339 time as an aware UTC datetime; ValueError when it is not one or has no UTC
    equivalent (``0001-01-01T00:00:00+08:00`` is before year 1 in UTC)."""
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    except OverflowError:
        raise ValueError(f"time {text!r} is out of range in UTC") from None


def event_record(
    *,
    index: int,
    recorded_at: str,
    event_hash: str,
    envelope_digest: str,
    device: str,
    key: str,
    sig: str,
    pos: int,
    items: list[dict[str, Any]],
    v: int = EVENT_RECORD_VERSION,
) -> dict[str, Any]:
    return {
        "device": device,
        "envelope": envelope_digest,
        "event_hash": event_hash,
        "index": index,
        "items": items,
        "key": key,
        "kind": EVENT_KIND,
        "pos": pos,
        "recorded_at": recorded_at,
        "sig": sig,
        "v": v,
    }


def event_record_bytes(
    *,
    index: int,
    recorded_at: str,
    event_hash: str,
    envelope_digest: str,
    device: str,
    key: str,
    sig: str,
    pos: int,
    items: list[tuple[str, int, str]],
    v: int = EVENT_RECORD_VERSION,
) -> bytes:
    """``fast_canonical(event_record(...))`` written directly (keys in sorted order; the same
    string escaping as ``json.dumps(ensure_ascii=False)``); a test compares the two."""
    links = ",".join(
        f'{{"item":{_enc(item)},"prev":{int(prev)},"prev_hash":{_enc(ph)}}}'
        for item, prev, ph in items
    )
    return (
        f'{{"device":{_enc(device)},"envelope":{_enc(envelope_digest)},'
        f'"event_hash":{_enc(event_hash)},"index":{int(index)},"items":[{links}],'
        f'"key":{_enc(key)},"kind":"{EVENT_KIND}","pos":{int(pos)},'
        f'"recorded_at":{_enc(recorded_at)},"sig":{_enc(sig)},"v":{int(v)}}}'
    ).encode()


def entry_record(
    *, index: int, recorded_at: str, kind: str, body: dict[str, Any]
) -> dict[str, Any]:
    if kind == EVENT_KIND:
        raise SubmissionError("event records are appended with append_events", field="kind")
    return {
        "body": body,
        "index": index,
        "kind": kind,
        "recorded_at": recorded_at,
        "v": RECORD_VERSION,
    }


def parse_record(data: bytes) -> dict[str, Any]:
    """A record's JSON object (RFC 8259: NaN / Infinity raise ``NonFiniteNumberError``)."""
    doc = strict_json.loads(data)
    if not isinstance(doc, dict):
        raise SubmissionError("a record is a JSON object", field="record")
    return doc


def event_time(event: dict[str, Any]) -> datetime:
    value = event.get("eventTime")
    if not isinstance(value, str):
        raise SubmissionError("event has no eventTime", field="eventTime", value=value)
    try:
        return parse_time(value)
    except ValueError:
        raise SubmissionError("eventTime is not RFC 3339", field="eventTime", value=value) from None


def _id(value: Any) -> str | None:
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def event_columns(event: dict[str, Any]) -> tuple[datetime, str, Any, Any, Any, Any, Any]:
    """The ``event`` table's derived columns, in table order: event_time, event_type, action,
    biz_step, disposition, read_point, biz_location (besides hash, device, index, time
    recorded)."""
    return (
        event_time(event),
        str(event.get("type", ""))[:32],
        _str(event.get("action")),
        _str(event.get("bizStep")),
        _str(event.get("disposition")),
        _id(event.get("readPoint")),
        _id(event.get("bizLocation")),
    )
