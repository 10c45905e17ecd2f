"""The store walk (:mod:`traceability.trace.walk`, SQL on SQLite) equals the brute-force
reference (:mod:`traceability.trace.naive`) on random worlds: packing and unpacking, nested
containers, transformations and shipments in random order, traced both ways from random items.
Each event writes its items as EPC URNs or as Digital Links (on another domain) at random: the
store keys them by their one key (records of version 2), so the walk finds one node per item.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from traceability.events.edges import EDGE_ID_STRIDE, derive
from traceability.events.item_key import item_key
from traceability.ledger.models import LedgerItem
from traceability.store.engine import create_engine
from traceability.store.metadata import load_all_models
from traceability.store.models import EventRow, TraceEdge
from traceability.trace import naive
from traceability.trace.model import NEG, POS, Reach
from traceability.trace.walk import walk

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ITEMS = [f"urn:epc:id:sgtin:0614141.812345.{i}" for i in range(8)]
BOXES = [f"urn:epc:id:sscc:0614141.000000000{i}" for i in range(4)]
LOTS = [f"urn:epc:class:lgtin:0614141.812345.L{i}" for i in range(3)]
PARTIES = [f"urn:epc:id:pgln:0614141.0000{i}" for i in range(3)]
PLACES = [f"urn:epc:id:sgln:0614141.0000{i}.0" for i in range(3)]
THINGS = ITEMS + BOXES + LOTS


def _as_link(urn: str) -> str:
    """The item as a Digital Link on a brand's own domain (a form the event hash also maps)."""
    return "https://brand.example.com" + item_key(urn).removeprefix("https://id.gs1.org")


def _event(kind: str, args: tuple[Any, ...], alt: bool = False) -> dict[str, Any]:
    if alt:
        body = _event(kind, args)
        for key in ("parentID",):
            if key in body:
                body[key] = _as_link(body[key])
        for key in ("childEPCs", "inputEPCList", "outputEPCList", "epcList"):
            if key in body:
                body[key] = [_as_link(x) for x in body[key]]
        for key in ("childQuantityList", "inputQuantityList", "outputQuantityList", "quantityList"):
            for q in body.get(key, []):
                q["epcClass"] = _as_link(q["epcClass"])
        return body
    base: dict[str, Any] = {"eventTimeZoneOffset": "+00:00"}
    if kind == "pack":
        parent, kids = args
        return {
            **base,
            "type": "AggregationEvent",
            "action": "ADD",
            "parentID": parent,
            "childEPCs": [k for k in kids if ":class:" not in k],
            "childQuantityList": [{"epcClass": k, "quantity": 5} for k in kids if ":class:" in k],
            "bizLocation": {"id": PLACES[0]},
        }
    if kind == "unpack":
        parent, kids = args
        return {
            **base,
            "type": "AggregationEvent",
            "action": "DELETE",
            "parentID": parent,
            "childEPCs": [k for k in kids if ":class:" not in k],
        }
    if kind == "transform":
        ins, outs = args
        return {
            **base,
            "type": "TransformationEvent",
            "inputEPCList": [i for i in ins if ":class:" not in i],
            "inputQuantityList": [{"epcClass": i, "quantity": 1} for i in ins if ":class:" in i],
            "outputEPCList": [o for o in outs if ":class:" not in o],
            "outputQuantityList": [{"epcClass": o, "quantity": 1} for o in outs if ":class:" in o],
        }
    things, a, b, place = args
    return {
        **base,
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "epcList": [t for t in things if ":class:" not in t],
        "quantityList": [{"epcClass": t, "quantity": 2} for t in things if ":class:" in t],
        "sourceList": [{"type": "owning_party", "source": PARTIES[a]}],
        "destinationList": [{"type": "owning_party", "destination": PARTIES[b]}],
        "bizLocation": {"id": PLACES[place]},
    }


_some = st.lists(st.sampled_from(THINGS), min_size=1, max_size=3, unique=True)
_event_args = st.one_of(
    st.tuples(st.just("pack"), st.tuples(st.sampled_from(BOXES), _some)),
    st.tuples(
        st.just("unpack"),
        st.tuples(
            st.sampled_from(BOXES), st.lists(st.sampled_from(THINGS), max_size=2, unique=True)
        ),
    ),
    st.tuples(st.just("transform"), st.tuples(_some, _some)),
    st.tuples(
        st.just("ship"),
        st.tuples(_some, st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    ),
)
worlds = st.lists(
    st.tuples(_event_args, st.integers(0, 20), st.booleans()), min_size=1, max_size=14
)


@pytest.fixture(scope="module")
def engine() -> Iterator[Engine]:
    load_all_models()
    eng = create_engine(url="sqlite://")
    SQLModel.metadata.create_all(eng)
    yield eng
    eng.dispose()


def _store(session: Session, world: list[Any]) -> list[Any]:
    for model in (TraceEdge, EventRow, LedgerItem):
        session.execute(sa.delete(model))
    stored = []
    for idx, ((kind, args), hours, *alt) in enumerate(world):
        body = _event(kind, args, bool(alt and alt[0]))
        when = T0 + timedelta(hours=hours)
        body["eventTime"] = when.isoformat()
        items, edges = derive(body, keyed=True)
        session.add(
            EventRow(
                event_hash=f"h{idx}",
                event_time=when,
                event_type=body["type"],
                action=body.get("action"),
                ledger_index=idx,
                recorded_at=when,
                body=body,
            )
        )
        for item in items:
            session.add(LedgerItem(item=item, idx=idx))
        for j, (k, src, dst, item) in enumerate(edges):
            session.add(
                TraceEdge(
                    id=idx * EDGE_ID_STRIDE + j,
                    kind=k,
                    src=src,
                    dst=dst,
                    item=item,
                    event_hash=f"h{idx}",
                    event_time=when,
                    ledger_index=idx,
                )
            )
        stored.append((idx, when, body))
    session.flush()
    return stored


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    world=worlds,
    start=st.sampled_from(THINGS),
    direction=st.sampled_from(["forward", "backward"]),
    at=st.one_of(st.none(), st.integers(0, 20)),
)
def test_store_walk_equals_reference(
    engine: Engine, world: Any, start: str, direction: Any, at: int | None
) -> None:
    if at is None:
        reach = Reach(NEG, POS, True)
    elif direction == "forward":
        reach = Reach(T0 + timedelta(hours=at), POS, True)
    else:
        reach = Reach(NEG, T0 + timedelta(hours=at), True)
    with Session(engine) as session:
        stored = _store(session, world)
        fast = walk(session, direction=direction, start={item_key(start): reach})
        session.rollback()
    ref = naive.trace(stored, direction=direction, start={item_key(start): reach})
    assert fast.reached == ref.reached
    assert set(fast.edges) == set(ref.edges)
    assert fast.bounds == ref.bounds
    assert not fast.truncated


def test_truncated_when_over_the_limit(engine: Engine) -> None:
    world = [(("transform", ((ITEMS[0],), tuple(ITEMS[1:] + LOTS))), 1)]
    with Session(engine) as session:
        _store(session, world)
        res = walk(
            session,
            direction="forward",
            start={item_key(ITEMS[0]): Reach(NEG, POS, True)},
            max_nodes=3,
        )
        session.rollback()
    assert res.truncated and len(res.reached) == 3
    assert res.to_dict()["truncated"] is True


def test_time_is_respected(engine: Engine) -> None:
    """Packed into a box after the box shipped: the shipment is not part of the item's story."""
    world = [
        (("ship", ((BOXES[0],), 0, 1, 1)), 1),
        (("pack", (BOXES[0], (ITEMS[0],))), 2, True),  # as Digital Links
        (("ship", ((BOXES[0],), 1, 2, 2)), 3),
        (("unpack", (BOXES[0], (ITEMS[0],))), 4, True),
        (("ship", ((BOXES[0],), 2, 0, 0)), 5),
    ]
    with Session(engine) as session:
        _store(session, world)
        res = walk(session, direction="forward", start={item_key(ITEMS[0]): Reach(NEG, POS, True)})
        session.rollback()
    used = sorted({e.ledger_index for e in res.edges.values()})
    assert used == [1, 2]  # packed, shipped while inside; not before, not after unpacking
    assert res.bounds == {3}
    assert res.reached[item_key(BOXES[0])] == Reach(
        T0 + timedelta(hours=2), T0 + timedelta(hours=4), False
    )
