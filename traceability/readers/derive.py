"""Raw reader JSON -> EPCIS 2.0 ObjectEvents: a pure, versioned function of the signed bytes.

:func:`check_reader` checks the ``reader`` member of an envelope (known format, configuration,
messages) and :func:`derive_events` turns it into events, in these steps:

1. the format's parser turns the messages, in order, into tag reads (messages without reads are
   skipped; a malformed read is a :class:`ReaderError` naming ``reader.messages[n]...``);
2. the reads are sorted by read time (stable, so equal times keep message order);
3. repeated reads of a tag at an antenna within ``config.window_ms`` of its first read collapse
   into one observation (:class:`~traceability.readers.collapse.Collapser`);
4. per read point (the antenna's, else ``config.read_point``), observations whose first read
   is within the window of an event's first one share that ObjectEvent: its time is that
   first read, its EPCs the observations' (first-seen order, each once), with the
   configuration's action, bizStep, disposition, bizLocation and time zone offset; events are
   ordered by event time.

**Versioning.** The ledger commits to the envelope, and ``tracectl verify`` re-runs the
derivation named by ``format`` on the stored bytes, so what a registered format derives must
never change: a change (a parser fix, another rule) is a new format string (``.../v2``) added
to :data:`FORMATS` next to the old one. ``tests/unit/readers/vectors`` pins every format's
output.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import rfc8785
from pydantic import ValidationError

from traceability import strict_json
from traceability.readers.collapse import Collapser
from traceability.readers.errors import ReaderError
from traceability.readers.impinj import parse_impinj
from traceability.readers.models import Observation, ReaderConfig, ReaderInput, TagRead
from traceability.readers.parsing import epc_urn
from traceability.readers.zebra import parse_zebra

__all__ = [
    "FORMATS",
    "check_reader",
    "derive_events",
    "derive_member_events",
    "observations_to_events",
]

Event = dict[str, Any]
Parser = Callable[[list[dict[str, Any]]], list[TagRead]]

#: format string -> parser of its messages. Never change what a registered format derives.
FORMATS: dict[str, Parser] = {
    "impinj-iot/v1": parse_impinj,
    "zebra-iot/v1": parse_zebra,
}
_MEMBERS = frozenset({"format", "config", "messages"})


def check_reader(*, member: Any) -> ReaderInput:
    """The checked ``reader`` member; a :class:`ReaderError` naming ``reader.<field>``."""
    if not isinstance(member, dict):
        raise ReaderError("reader must be an object", field="reader", value=_short(member))
    extra = sorted(set(member) - _MEMBERS)
    if extra:
        raise ReaderError(f"unexpected reader member {extra[0]!r}", field=f"reader.{extra[0]}")
    fmt = member.get("format")
    if not isinstance(fmt, str) or fmt not in FORMATS:
        raise ReaderError(
            f"reader.format must be one of {', '.join(sorted(FORMATS))}, got {_short(fmt)!r}",
            field="reader.format",
            value=_short(fmt),
        )
    messages = member.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ReaderError(
            "reader.messages must be a non-empty list of reader JSON objects",
            field="reader.messages",
            value=_short(messages),
        )
    for i, msg in enumerate(messages):
        if not isinstance(msg, dict):
            raise ReaderError(
                f"reader.messages[{i}] must be an object",
                field=f"reader.messages[{i}]",
                value=_short(msg),
            )
    config = member.get("config")
    if not isinstance(config, dict):
        raise ReaderError(
            "reader.config must be an object", field="reader.config", value=_short(config)
        )
    try:
        cfg = ReaderConfig.model_validate(config)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in ("reader", "config", *err["loc"]))
        raise ReaderError(
            f"{where}: {err['msg']}", field=where, value=_short(err.get("input"))
        ) from None
    return ReaderInput(fmt, cfg, messages)


def derive_events(*, reader: ReaderInput) -> list[Event]:
    """The EPCIS events of a checked ``reader`` member (steps 1-4 of the module docstring)."""
    try:
        reads = FORMATS[reader.format](reader.messages)
    except ReaderError as exc:
        raise ReaderError(
            f"reader.{exc.message}", field=f"reader.{exc.field or 'messages'}", value=exc.value
        ) from None
    if not reads:
        raise ReaderError(
            f"reader.messages hold no tag reads ({reader.format})", field="reader.messages"
        )
    reads.sort(key=lambda r: r.seen_at)
    collapser = Collapser(window=reader.config.window)
    observations = collapser.feed(reads) + collapser.flush()
    return observations_to_events(config=reader.config, observations=observations)


def derive_member_events(*, member: Any) -> list[Event]:
    """:func:`derive_events` of a ``reader`` member as the signed bytes carry it: the member
    goes through its RFC 8785 form first, so the gateway derives from exactly what the audit
    later parses out of the stored envelope (``1.0`` and ``1`` are the same number there)."""
    try:
        signed = rfc8785.dumps(member)  # the canonical bytes (as signing.ed25519.canonical)
    except (rfc8785.CanonicalizationError, ValueError, TypeError) as exc:
        raise ReaderError(
            f"reader has no RFC 8785 form: {exc}", field="reader", value=_short(str(exc))
        ) from None
    return derive_events(reader=check_reader(member=strict_json.loads(signed)))


def observations_to_events(*, config: ReaderConfig, observations: list[Observation]) -> list[Event]:
    """ObjectEvents of collapsed observations: per read point, the observations whose first
    read is within ``config.window_ms`` of the event's first one share an event (its time is
    that first read; its EPCs in first-seen order, each once). Ordered by event time."""
    groups: list[tuple[str | None, datetime, list[str]]] = []
    current: dict[str | None, tuple[str | None, datetime, list[str]]] = {}
    for obs in sorted(observations, key=lambda o: o.first_seen):
        read_point = config.read_point_for(obs.antenna)
        group = current.get(read_point)
        if group is None or obs.first_seen - group[1] > config.window:
            group = (read_point, obs.first_seen, [])
            current[read_point] = group
            groups.append(group)
        group[2].append(epc_urn(obs.epc_hex, field="epc"))
    events = [
        _object_event(config, when=when, epcs=list(dict.fromkeys(epcs)), read_point=read_point)
        for read_point, when, epcs in groups
    ]
    return sorted(events, key=lambda e: str(e["eventTime"]))


def _object_event(
    config: ReaderConfig, *, when: datetime, epcs: list[str], read_point: str | None
) -> Event:
    event: Event = {
        "type": "ObjectEvent",
        "eventTime": _iso(when),
        "eventTimeZoneOffset": config.timezone_offset,
        "epcList": epcs,
        "action": config.action,
        "bizStep": config.biz_step,
    }
    if config.disposition:
        event["disposition"] = config.disposition
    if read_point:
        event["readPoint"] = {"id": read_point}
    if config.biz_location:
        event["bizLocation"] = {"id": config.biz_location}
    return event


def _iso(when: datetime) -> str:
    """RFC 3339 UTC with milliseconds, spelled out (``strftime`` pads years per platform)."""
    u = when.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}."
        f"{u.microsecond // 1000:03d}Z"
    )


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
