"""Issue 12 item 3: event and envelope times have a floor, a maximum age and a ceiling."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.config import GatewayConfig
from gateway.decode import Refused
from tests.support.decoding import Registry, decoder, envelope, event
from traceability.config import Settings
from traceability.events.timing import TimeRule
from traceability.signing import ed25519 as signing


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


TOPIC = "trace/v1/dev-1/events"


@pytest.fixture
def reg() -> Registry:
    r = Registry()
    r.add("dev-1")
    return r


def outcome(out: object) -> tuple[str, str | None, str]:
    if isinstance(out, Refused):
        return out.reason, out.field, out.detail
    return "accepted", None, ""


def signed(reg: Registry, *, sent_at: str, events: list[dict[str, Any]]) -> bytes:
    """An envelope with ``sent_at`` exactly as given (``build`` formats a datetime)."""
    kid, seed = reg.seeds["dev-1"]
    doc: dict[str, Any] = {"v": 1, "device": "dev-1", "key": kid, "seq": "1"}
    doc.update(sent_at=sent_at, events=events)
    doc["sig"] = signing.b64url(signing.sign(seed=seed, message=signing.canonical(doc)))
    return json.dumps(doc).encode()


def with_time(text: str, **extra: Any) -> dict[str, Any]:
    return {**event(), "eventTime": text, **extra}


@pytest.mark.parametrize(
    ("event_time", "code"),
    [
        ("0001-01-01T00:00:00Z", "time_before_floor"),
        ("0001-01-01T00:30:00+01:00", "time_before_floor"),  # no UTC form at all
        ("1900-06-01T00:00:00Z", "time_before_floor"),
        ("1999-12-31T23:59:59.999Z", "time_before_floor"),
        ("9999-12-31T23:59:59Z", "clock_skew"),
        ("9999-12-31T23:59:59-01:00", "clock_skew"),  # no UTC form at all
    ],
)
def test_event_time_out_of_range_is_refused_by_name(
    reg: Registry, event_time: str, code: str
) -> None:
    env = signed(reg, sent_at=now().strftime("%Y-%m-%dT%H:%M:%SZ"), events=[with_time(event_time)])
    reason, field, detail = outcome(decoder(reg).decode(TOPIC, env, now()))
    assert (reason, field) == (code, "events[0].eventTime")
    assert event_time in detail


@pytest.mark.parametrize(
    ("sent_at", "code"),
    [
        ("1900-01-01T00:00:00Z", "time_before_floor"),
        ("0001-01-01T00:00:00+14:00", "time_before_floor"),
        ("9999-12-31T23:59:59-14:00", "clock_skew"),
    ],
)
def test_sent_at_out_of_range_is_refused_by_name(reg: Registry, sent_at: str, code: str) -> None:
    env = signed(reg, sent_at=sent_at, events=[event()])
    reason, field, detail = outcome(decoder(reg).decode(TOPIC, env, now()))
    assert (reason, field) == (code, "sent_at")
    assert sent_at in detail


def test_event_time_long_before_sent_at_is_refused(reg: Registry) -> None:
    d = decoder(reg)
    old = envelope(reg, "dev-1", 1, [event(when=now() - timedelta(days=800))])
    reason, field, detail = outcome(d.decode(TOPIC, old, now()))
    assert (reason, field) == ("time_too_old", "events[0].eventTime")
    assert "731 days before the envelope's sent_at" in detail
    recent = envelope(reg, "dev-1", 2, [event(when=now() - timedelta(days=700))])
    assert outcome(d.decode(TOPIC, recent, now()))[0] == "accepted"


def test_record_time_before_floor_is_refused(reg: Registry) -> None:
    ev = {**event(), "recordTime": "1970-01-01T00:00:00Z"}
    env = envelope(reg, "dev-1", 1, [ev])
    reason, field, _ = outcome(decoder(reg).decode(TOPIC, env, now()))
    assert (reason, field) == ("time_before_floor", "events[0].recordTime")


def test_floor_and_age_are_configurable(reg: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_TIME_FLOOR", "1990-01-01T00:00:00Z")
    monkeypatch.setenv("TRACE_EVENT_MAX_AGE_DAYS", "0")
    monkeypatch.setenv("TRACE_CLOCK_SKEW_S", "60")
    rule = GatewayConfig.from_settings(Settings()).time_rule
    assert rule == TimeRule(
        floor=datetime(1990, 1, 1, tzinfo=UTC), max_age=None, skew=timedelta(seconds=60)
    )
    d = decoder(reg)
    d_old = type(d)(keys=d.keys, max_payload=d.max_payload, clock_skew_s=60, time_rule=rule)
    env = signed(
        reg,
        sent_at=now().strftime("%Y-%m-%dT%H:%M:%SZ"),
        events=[with_time("1995-01-01T00:00:00Z")],
    )
    assert outcome(d_old.decode(TOPIC, env, now()))[0] == "accepted"
    assert outcome(d.decode(TOPIC, env, now()))[0] == "time_before_floor"
