"""``fast_pickle``: what crosses to and from the decode workers comes back field for field."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.keys import DeviceInfo, KeyInfo
from traceability.pickling import fast_pickle
from traceability.signing.envelope import Envelope


@fast_pickle
@dataclass(frozen=True, slots=True)
class Frozen:
    a: int
    b: list[str]
    hidden: str | None = field(default=None, init=False)


def test_every_field_round_trips_including_init_false() -> None:
    x = Frozen(1, ["a", "b"])
    object.__setattr__(x, "hidden", "cached")
    y = pickle.loads(pickle.dumps(x))
    assert type(y) is Frozen
    assert (y.a, y.b, y.hidden) == (1, ["a", "b"], "cached")
    assert dataclasses.replace(y, a=2).a == 2  # still a working frozen dataclass


def test_gateway_objects_round_trip() -> None:
    key = KeyInfo("kid", bytes(range(32)), datetime(2026, 1, 1, tzinfo=UTC), None, None)
    dev = DeviceInfo("dev-1", "active", "loc", "urn:epc:id:sgln:0614141.00001.0", None)
    dev.keys["kid"] = key
    assert pickle.loads(pickle.dumps(dev)) == dev
    env = Envelope(
        device="dev-1",
        key="kid",
        seq="7",
        sent_at="2026-11-29T08:00:00.000Z",
        signed_events=[{"type": "ObjectEvent", "n": [1, 2.5, None]}],
        sig=b"\x01" * 64,
        reply_to="trace/v1/dev-1/verdicts",
        raw=b"{}",
    )
    back = pickle.loads(pickle.dumps(env))
    assert back == env
    assert back.raw == b"{}" and back.events == env.events


def test_shared_objects_stay_shared_within_one_pickle() -> None:
    events = [{"type": "ObjectEvent"}]
    env = Envelope("d", "k", "1", "2026-11-29T08:00:00.000Z", events, b"\x00" * 64)
    a, b = pickle.loads(pickle.dumps((env, events)))
    assert a.events is b
