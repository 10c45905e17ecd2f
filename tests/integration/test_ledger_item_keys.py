"""One item, two forms, one chain (issue 12, item 4): an item sent as a GS1 Digital Link and then
as an EPC URN (or the reverse, or with a serial that needs %-escapes) continues ONE item chain
in the ledger and is ONE trace node, on SQLite and TimescaleDB; look-ups find it whichever form
is asked; the audit passes on a log mixing version-1 records (items as sent) with version-2
records (items by key), and names a tampered version-2 record by step and index."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.support.ledger import setup_device, submissions
from traceability.events.item_key import item_key
from traceability.ledger import audit, merkle, records, service
from traceability.trace.model import NEG, POS, Reach
from traceability.trace.resolve import resolve
from traceability.trace.walk import walk

GTIN = "80614141123458"  # urn:epc:id:sgtin:0614141.812345.<serial>
PAIRS = {
    "link_then_urn": (
        f"https://id.gs1.org/01/{GTIN}/21/6789",
        "urn:epc:id:sgtin:0614141.812345.6789",
    ),
    "urn_then_link": (
        "urn:epc:id:sgtin:0614141.812345.6789",
        f"https://brand.example.com/gtin/{GTIN}/ser/6789?17=271231",
    ),
    # serials with characters the two forms escape differently
    "escaped_slash": (
        "urn:epc:id:sgtin:0614141.812345.A%2FB%25C",
        f"https://brand.example.com/01/{GTIN}/21/A%2FB%25C",
    ),
    "escaped_bang": (
        f"https://id.gs1.org/01/{GTIN}/21/x!y(1)",
        "urn:epc:id:sgtin:0614141.812345.x!y(1)",
    ),
}


def _event(epc: str, minute: int, step: str = "shipping") -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-11-27T08:{minute:02d}:00.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "epcList": [epc],
        "bizStep": step,
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }


def _record(s: Session, index: int) -> dict[str, Any]:
    return records.parse_record(bytes(service.get_record(s, index=index).record))


def _append(s: Session, seed: bytes, kid: str, evs: list[dict[str, Any]], seq: int) -> list[int]:
    res = service.append_events(s, submissions=submissions(seed, kid, evs, seq=seq))
    assert all(r.status == "appended" for r in res)
    return [r.index for r in res]


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_two_forms_continue_one_chain(engine: Engine, name: str) -> None:
    first_form, second_form = PAIRS[name]
    key = item_key(first_form)
    assert key == item_key(second_form) and key.startswith(f"https://id.gs1.org/01/{GTIN}/21/")
    with Session(engine) as s:
        seed, kid = setup_device(s)
        (a,) = _append(s, seed, kid, [_event(first_form, 1)], seq=1)
        (b,) = _append(s, seed, kid, [_event(second_form, 2, "receiving")], seq=2)
        s.commit()
        rec_a, rec_b = _record(s, a), _record(s, b)
        assert rec_a["v"] == rec_b["v"] == 2
        assert rec_a["items"] == [{"item": key, "prev": -1, "prev_hash": ""}]
        leaf_a = service.get_record(s, index=a).leaf_hash.hex()
        assert rec_b["items"] == [{"item": key, "prev": a, "prev_hash": leaf_a}]
        conn = s.connection()
        chain = conn.execute(sa.text("select item, idx from ledger_item order by idx")).all()
        assert [tuple(r) for r in chain] == [(key, a), (key, b)]
        nodes = conn.execute(sa.text("select distinct src from trace_edge where kind = 'observed'"))
        assert [r[0] for r in nodes] == [key]  # one trace node
        for asked in (first_form, second_form, key):
            assert resolve(s, text=asked).ids == [key]
        res = walk(s, direction="forward", start={key: Reach(NEG, POS, True)})
        assert sorted({e.ledger_index for e in res.edges.values()}) == [a, b]
        assert audit.audit(s).ok


def test_mixed_v1_and_v2_log_audits(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records written before the item key (version 1: items as sent) still audit beside new
    ones; look-ups find the item in both."""
    urn, link = PAIRS["urn_then_link"]
    with Session(engine) as s:
        seed, kid = setup_device(s)
        with monkeypatch.context() as m:  # the writer as it was: version 1, items as sent
            m.setattr(records, "EVENT_RECORD_VERSION", 1)
            old = _append(s, seed, kid, [_event(urn, 1), _event(link, 2)], seq=1)
        new = _append(s, seed, kid, [_event(urn, 3), _event(link, 4)], seq=2)
        s.commit()
        v1 = [_record(s, i) for i in old]
        assert [r["v"] for r in v1] == [1, 1]
        assert [r["items"][0]["item"] for r in v1] == [urn, link]  # two chains, as before
        assert all(r["items"][0]["prev"] == -1 for r in v1)
        v2 = [_record(s, i) for i in new]
        assert [r["v"] for r in v2] == [2, 2]
        assert [r["items"][0]["prev"] for r in v2] == [-1, new[0]]  # one chain from here on
        assert set(resolve(s, text=link).ids) == {item_key(urn), urn, link}
        report = audit.audit(s)
        assert report.ok, report.to_dict()["first_failure"]


def _rewrite(engine: Engine, idx: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite record ``idx`` and its leaf hash, as a careful forger would (protection off)."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("set session_replication_role = replica"))
        else:
            names = conn.execute(sa.text("select name from sqlite_master where type = 'trigger'"))
            for (trigger,) in list(names):
                conn.execute(sa.text(f"drop trigger {trigger}"))
        data = conn.execute(sa.text("select record from ledger_entry where idx = :i"), {"i": idx})
        rec = json.loads(bytes(data.scalar_one()))
        change(rec)
        new = records.record_bytes(rec)
        conn.execute(
            sa.text("update ledger_entry set record = :r, leaf_hash = :h where idx = :i"),
            {"r": new, "h": merkle.leaf_hash(new), "i": idx},
        )


def _as_sent(rec: dict[str, Any]) -> None:
    rec["items"][0]["item"] = PAIRS["link_then_urn"][1]


def _downgraded(rec: dict[str, Any]) -> None:
    rec["v"] = 1


def _unknown_version(rec: dict[str, Any]) -> None:
    rec["v"] = 3


@pytest.mark.parametrize(
    ("change", "first"),
    [
        (_as_sent, (5, "items touched")),  # the v2 record names the item as sent
        (_downgraded, (5, "items touched")),  # v1's rule no longer gives the stored items
        (_unknown_version, (2, "event record version")),
    ],
)
def test_tampered_v2_record_is_named(
    engine: Engine, change: Callable[[dict[str, Any]], None], first: tuple[int, str]
) -> None:
    link, urn = PAIRS["link_then_urn"]
    with Session(engine) as s:
        seed, kid = setup_device(s)
        idx = _append(s, seed, kid, [_event(link, 1), _event(urn, 2), _event(urn, 3)], seq=1)
        s.commit()
        assert audit.audit(s).ok
    _rewrite(engine, idx[1], change)
    with Session(engine) as s:
        report = audit.audit(s)
    got = report.to_dict()["first_failure"]
    assert got is not None
    assert (int(got["field"][4:]), got["index"]) == (first[0], idx[1]), got
    assert first[1] in got["message"], got
