"""The verdict rules as pure functions: item identities, what an event says, the judging order."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from traceability.verdicts.items import Item, parse_item, sgtin_urn
from traceability.verdicts.rules import judge
from traceability.verdicts.state import ItemState, LotState, apply_event, event_items, spellings

URN = "urn:epc:id:sgtin:0614141.812345.6789"  # = (01)80614141123458(21)6789
GTIN = "80614141123458"
KEY = f"{GTIN}/6789"
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)
HERE, THERE = "urn:epc:id:sgln:0614141.00001.0", "urn:epc:id:sgln:0614141.00002.0"


def _verdict(
    st: ItemState | None,
    lot: LotState | None = None,
    item: Item | None = None,
    *,
    where: str = HERE,
) -> str:
    item = item or parse_item(URN)
    assert item is not None
    items = {} if st is None else {KEY: st}
    lots = {} if lot is None else {(GTIN, "L1"): lot}
    return judge(items, lots, item, where=where, when=NOW, window=WINDOW)[0]


def _lot(*, recalled: bool = False, expires_on: date | None = None) -> LotState:
    return LotState(recalled=recalled, expires_on=expires_on, loaded=0.0)


def test_items_from_urn_and_digital_link() -> None:
    item = parse_item(URN)
    assert item is not None and item.key == KEY and item.urn == URN
    dl = parse_item(f"https://id.gs1.org/01/{GTIN}/10/L1/21/6789?17=261231")
    assert dl is not None and dl.key == KEY and dl.lot == "L1"
    assert dl.expiry == date(2026, 12, 31)
    assert sgtin_urn(dl) == URN
    assert URN in spellings(dl, [])
    for bad in ("urn:epc:id:sgtin:0614141.812345", "https://id.gs1.org/01/x/21/1", "hello"):
        assert parse_item(bad) is None


def test_event_items_and_apply_event() -> None:
    body = {
        "bizStep": "https://ref.gs1.org/cbv/BizStep-commissioning",
        "epcList": [URN, "not-an-item"],
        "ilmd": {"lotNumber": "L1"},
        "readPoint": {"id": HERE},
    }
    [(raw, item)] = event_items(body)
    assert raw == URN
    st = ItemState()
    apply_event(st, item, body, "h1", NOW)
    assert st.commissioned and st.lot == "L1" and st.where == HERE and not st.inactive
    dispensed = {"bizStep": "dispensing", "epcList": [URN]}
    apply_event(st, item, dispensed, "h2", NOW)
    assert st.inactive
    st.inactive = False
    apply_event(st, item, dispensed, "h2", NOW)  # each event counts once
    assert not st.inactive


def test_the_rules_in_order() -> None:
    ok = ItemState(commissioned=True, lot="L1", where=HERE, when=NOW - timedelta(hours=1))
    assert _verdict(None) == "unknown_serial"
    assert _verdict(ItemState()) == "unknown_serial"
    assert _verdict(ItemState(commissioned=True, inactive=True)) == "already_dispensed"
    assert _verdict(ok, _lot(recalled=True)) == "recalled"
    assert _verdict(ok, _lot(expires_on=NOW.date() - timedelta(days=1))) == "expired"
    other_lot = Item(KEY, GTIN, "6789", lot="L2")
    assert _verdict(ok, _lot(), other_lot) == "lot_mismatch"
    seen_there = ItemState(
        commissioned=True, lot="L1", where=THERE, when=NOW - timedelta(minutes=1)
    )
    assert _verdict(seen_there, _lot()) == "suspect"
    assert _verdict(ok, _lot()) == "ok"


@pytest.mark.parametrize(
    ("state", "lot", "want"),
    [
        # dispensed beats recalled; recalled beats expired
        (
            ItemState(commissioned=True, lot="L1", inactive=True),
            _lot(recalled=True),
            "already_dispensed",
        ),
        (
            ItemState(commissioned=True, lot="L1"),
            _lot(recalled=True, expires_on=date(2000, 1, 1)),
            "recalled",
        ),
    ],
)
def test_precedence(state: ItemState, lot: LotState, want: str) -> None:
    assert _verdict(state, lot) == want


def test_scanned_expiry_and_window_edges() -> None:
    ok = ItemState(commissioned=True, lot="L1")
    expired_scan = parse_item(f"https://id.gs1.org/01/{GTIN}/21/6789?17=200101")
    assert _verdict(ok, None, expired_scan) == "expired"
    long_ago = ItemState(commissioned=True, lot="L1", where=THERE, when=NOW - 2 * WINDOW)
    assert _verdict(long_ago, _lot()) == "ok"
