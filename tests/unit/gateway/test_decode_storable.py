"""What the store cannot hold is refused at decode (``unstorable_value``), member and value
named: U+0000 or a lone surrogate in any string or member name, a non-finite number, an
integer outside int64. Before, an enrolled device's signed ``"q": "a\\u0000b"`` was accepted
and its batch failed on PostgreSQL forever (``UntranslatableCharacter``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.decode import Accepted, Refused
from tests.support.decoding import Registry, decoder, envelope, event
from traceability.strict_json import UnstorableValueError, check_storable


def now() -> datetime:
    """The receive time: the wall clock at the call (envelopes are signed with it too), so a
    test that runs minutes into a long session is not judged against its import time."""
    return datetime.now(UTC)


TOPIC = "trace/v1/dev-1/events"
REG = Registry()
REG.add("dev-1")


def ext(name: str, value: object) -> dict[str, object]:
    ev = event()
    ev[name] = value
    return ev


def _refused(payload: bytes) -> Refused:
    out = decoder(REG).decode(TOPIC, payload, now())
    assert isinstance(out, Refused), f"accepted: {out}"
    return out


def test_signed_nul_in_an_extension_value_is_unstorable() -> None:
    signed = envelope(REG, "dev-1", 1, [ext("example:q", "a\x00b")])
    out = _refused(signed)
    assert out.reason == "unstorable_value"
    assert out.field == "events[0].example:q"
    assert "U+0000" in out.detail and "a\\x00b" in out.detail
    assert "\x00" not in out.detail and "\x00" not in (out.field or "")  # storable itself


def test_signed_nul_in_a_member_name_is_unstorable() -> None:
    out = _refused(envelope(REG, "dev-1", 2, [ext("example:q\x00", "x")]))
    assert out.reason == "unstorable_value" and out.field == "events[0]"
    assert "member name" in out.detail


@pytest.mark.parametrize(
    ("literal", "why"),
    [
        (b'"\\ud800"', "surrogate"),
        (b'"a\\udfffb"', "surrogate"),
        (b"9223372036854775808", "int64"),  # 2^63
        (b"-9223372036854775809", "int64"),
        (b"18446744073709551617", "int64"),  # orjson reads this as a float
        (b"1e400", "non-finite"),
        # a literal that is not zero but underflows a double to 0.0 (issue 12, item 2)
        (b"1e-400", "underflows to 0"),
        (b"-2.5E-0400", "underflows to 0"),
        (b"0.0000001e-330", "underflows to 0"),
    ],
)
def test_unstorable_values_are_named(literal: bytes, why: str) -> None:
    signed = envelope(REG, "dev-1", 3, [ext("example:q", "PLACEHOLDER")])
    out = _refused(signed.replace(b'"PLACEHOLDER"', literal))
    assert out.reason == "unstorable_value", out
    assert out.field == "events[0].example:q"
    assert why in out.detail


def test_int64_bounds_and_ordinary_values_pass() -> None:
    check_storable({"a": [2**63 - 1, -(2**63), 1.5, "ü€😀", None, True], "b": {"c": "d"}})
    signed = envelope(REG, "dev-1", 4, [ext("example:q", "ok \u00e9\U0001f600")])
    assert isinstance(decoder(REG).decode(TOPIC, signed, now()), Accepted)


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"x": ["ok", "n\x00"]}, "x[1]"),
        ({"x": {"k\ud800": 1}}, "x"),
        ({"x": float("inf")}, "x"),
        ({"x": -(2**63) - 1}, "x"),
    ],
)
def test_check_storable_names_the_path(value: object, field: str) -> None:
    with pytest.raises(UnstorableValueError) as err:
        check_storable(value)
    assert err.value.code == "unstorable_value" and err.value.field == field


@pytest.mark.parametrize("literal", [b"0.0", b"0e-400", b"-0.0E-999", b"1e-300", b"5e-324"])
def test_zero_written_as_zero_and_tiny_but_representable_numbers_pass(literal: bytes) -> None:
    """Only a non-zero literal that reads as 0.0 is refused; zero in any spelling, and the
    smallest double, are kept."""
    signed = envelope(REG, "dev-1", 5, [ext("example:q", "PLACEHOLDER")])
    out = decoder(REG).decode(TOPIC, signed.replace(b'"PLACEHOLDER"', literal), now())
    assert not isinstance(out, Refused) or out.reason != "unstorable_value", out


def test_underflow_is_named_with_its_text() -> None:
    from traceability import strict_json

    doc = strict_json.loads('{"a": [0.5, 1e-400]}')
    assert doc == {"a": [0.5, 0.0]}
    with pytest.raises(UnstorableValueError) as exc:
        check_storable(doc)
    assert exc.value.code == "unstorable_value"
    assert (exc.value.field, exc.value.value) == ("a[1]", "1e-400")
