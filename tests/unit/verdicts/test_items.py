"""verdicts.items against the identifier core (issue 12 item 6): expiry and item identities."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from traceability.identifiers import IdentifierError, parse_digital_link, parse_epc_urn
from traceability.identifiers.ai import century_year
from traceability.verdicts.items import Item, parse_item
from traceability.verdicts.rules import judge
from traceability.verdicts.state import ItemState

DL = "https://id.gs1.org/01/09506000134352/21/ABC1"


@pytest.mark.parametrize(
    ("yymmdd", "want"),
    [
        ("260300", date(2026, 3, 31)),  # day 00: the last day of the month, not the 28th
        ("240200", date(2024, 2, 29)),
        ("250200", date(2025, 2, 28)),
        ("261130", date(2026, 11, 30)),
    ],
)
def test_expiry_day_00_is_the_last_day_of_the_month(yymmdd: str, want: date) -> None:
    item = parse_item(f"{DL}?17={yymmdd}")
    assert item is not None and item.expiry == want


def test_expiry_century_follows_the_gs1_sliding_window() -> None:
    item = parse_item(f"{DL}?17=990101")  # 1999 (today - 49 years .. + 50), not 2099
    assert item is not None and item.expiry == date(century_year(99), 1, 1)
    assert item.expiry.year != 2099 or date.today().year >= 2050


@pytest.mark.parametrize("day", [29, 30, 31])
def test_a_pack_expiring_in_march_is_not_expired_at_the_end_of_march(day: int) -> None:
    item = parse_item(f"{DL}?17=260300")
    assert item is not None
    states = {item.key: ItemState(commissioned=True)}
    when = datetime(2026, 3, day, 12, tzinfo=UTC)
    assert judge(states, {}, item, where=None, when=when, window=timedelta(0))[0] == "ok"
    after = datetime(2026, 4, 1, 12, tzinfo=UTC)
    assert judge(states, {}, item, where=None, when=after, window=timedelta(0))[0] == "expired"


def test_invalid_expiry_is_not_an_item_and_no_crash() -> None:
    assert parse_item(f"{DL}?17=261332") is None  # the core refuses month 13 / day 32


# --- the SGTIN URN fast path agrees with the core on any URN ------------------------------

_CS82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
serial_chars = st.sampled_from([*_CS82, "%2F", "%22", "%25", "%zz", "é", "\n", " ", "."])


def _core_item(text: str) -> Item | None:
    try:
        urn = parse_epc_urn(text)
    except IdentifierError:
        return None
    if urn.scheme != "sgtin":
        return None
    data = dict(urn.elements)
    return Item(f"{data['01']}/{data['21']}", data["01"], data["21"], urn=text)


@given(
    st.integers(min_value=4, max_value=14),
    st.integers(min_value=0, max_value=15),
    st.lists(serial_chars, min_size=0, max_size=24).map("".join),
)
@example(7, 6, "6789")
@example(7, 6, "a%2Fb")
@example(12, 1, "x" * 21)
def test_sgtin_fast_path_agrees_with_the_core(cp_len: int, ref_len: int, serial: str) -> None:
    digits = "0614141812345678901234567"
    text = f"urn:epc:id:sgtin:{digits[:cp_len]}.{digits[cp_len : cp_len + ref_len]}.{serial}"
    assert parse_item(text) == _core_item(text)


@given(
    st.sampled_from(["09506000134352", "9506000134352", "00614141123452"]),
    st.lists(serial_chars, min_size=1, max_size=22).map("".join),
    st.sampled_from(["", "?17=260300", "?17=261332", "?linkType=all", "?17=2603"]),
)
def test_digital_link_items_are_the_cores(gtin: str, serial: str, query: str) -> None:
    text = f"https://example.com/01/{gtin}/21/{serial}{query}"
    item = parse_item(text)
    try:
        dl = parse_digital_link(text)
    except IdentifierError:
        assert item is None
        return
    assert item is not None
    assert (item.gtin, item.serial) == (dl.primary[1], dict(dl.qualifiers)["21"])


def test_one_place_in_two_spellings_is_not_suspect() -> None:
    """The clone rule compared location text: an SGLN URN and the Digital Link of the same
    GLN looked like two places seconds apart."""
    item = parse_item(DL)
    assert item is not None
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    seen = ItemState(commissioned=True, where="urn:epc:id:sgln:0614141.00001.0", when=when)
    states = {item.key: seen}
    same = "https://id.gs1.org/414/0614141000012"
    later = when + timedelta(seconds=5)
    assert judge(states, {}, item, where=same, when=later, window=timedelta(hours=1))[0] == "ok"
    other = "https://id.gs1.org/414/0614141000029"
    assert (
        judge(states, {}, item, where=other, when=later, window=timedelta(hours=1))[0] == "suspect"
    )
