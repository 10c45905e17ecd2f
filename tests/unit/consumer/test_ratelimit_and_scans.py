"""The token bucket, the client hash, ``?loc=`` parsing and the browser kind: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from traceability.consumer.ratelimit import TokenBucket
from traceability.consumer.scans import agent_kind, client_hash, item_key, parse_loc
from traceability.errors import InvalidInputError


def test_bucket_admits_a_burst_then_says_how_long_to_wait() -> None:
    b = TokenBucket(rate=0.5, burst=3)
    assert [b.take("a", now=100.0) for _ in range(3)] == [None, None, None]
    assert b.take("a", now=100.0) == 2  # one token takes 2 s at 0.5/s
    assert b.take("b", now=100.0) is None  # per key
    assert b.take("a", now=101.0) == 1
    assert b.take("a", now=102.1) is None  # refilled
    assert b.take("a", now=102.2) is not None


def test_bucket_disabled_and_bounded() -> None:
    off = TokenBucket(rate=0, burst=1)
    assert all(off.take("a", now=1.0) is None for _ in range(100))
    small = TokenBucket(rate=0.001, burst=1, max_keys=2)
    for key in ("a", "b", "c"):
        assert small.take(key, now=1.0) is None
    assert small.take("a", now=1.0) is None  # evicted, starts full again
    assert small.take("c", now=1.0) is not None


def test_client_hash_hides_the_address_and_rotates_daily() -> None:
    day = datetime(2026, 12, 6, 9, tzinfo=UTC)
    h = client_hash("203.0.113.7", salt=b"s", at=day)
    assert len(h) == 16 and "203" not in h
    assert h == client_hash("203.0.113.7", salt=b"s", at=day + timedelta(hours=10))
    assert h != client_hash("203.0.113.7", salt=b"s", at=day + timedelta(days=1))
    assert h != client_hash("203.0.113.7", salt=b"t", at=day)
    assert client_hash(None, salt=b"s", at=day) == ""


@pytest.mark.parametrize(
    ("text", "want"), [("29.56,106.55", (29.6, 106.5)), ("-90,180", (-90.0, 180.0)), ("", None)]
)
def test_loc_is_rounded(text: str, want: tuple[float, float] | None) -> None:
    assert parse_loc(text) == want


@pytest.mark.parametrize("text", ["91,0", "0,181", "nan,0", "inf,1", "1", "1,2,3", "x,y", "9" * 30])
def test_bad_loc(text: str) -> None:
    with pytest.raises(InvalidInputError) as e:
        parse_loc(text)
    assert e.value.field == "loc"


def test_agent_kind_and_item_key() -> None:
    assert agent_kind("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148") == "mobile"
    assert agent_kind("Mozilla/5.0 (Windows NT 10.0; Win64; x64)") == "desktop"
    assert agent_kind("curl/8.5") == "bot" and agent_kind(None) == "other"
    assert item_key("16937102000014", "L1", "S1") == "16937102000014/21/S1"
    assert item_key("16937102000014", "L1", None) == "16937102000014/10/L1"
