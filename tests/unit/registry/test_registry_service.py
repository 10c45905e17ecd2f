"""Registry CRUD on the embedded store (SQLite file, migrated)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from devices.simulators import build_scenario, register_world
from traceability.errors import ConflictError, InvalidInputError, NotFoundError
from traceability.registry import service as reg
from traceability.registry.models import Party
from traceability.registry.schemas import (
    DeviceCreate,
    LocationCreate,
    LotCreate,
    PartyCreate,
    ProductCreate,
)
from traceability.store.engine import create_engine, session_scope


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = create_engine(url=sqlite_url)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def test_party_with_failing_uscc_is_kept_and_flagged(session: Session) -> None:
    ok = reg.create_party(session, data=PartyCreate(id="a", name="A", uscc="91350100M000100Y43"))
    bad = reg.create_party(session, data=PartyCreate(id="b", name="B", uscc="91350100M000100Y44"))
    assert ok.uscc_warning is None
    assert bad.uscc_warning == "check character should be 3, got 4"
    assert reg.get_party(session, party_id="b").uscc_warning == bad.uscc_warning
    with pytest.raises(ConflictError):
        reg.create_party(session, data=PartyCreate(id="a", name="again"))
    with pytest.raises(NotFoundError):
        reg.get_or_raise(session, Party, "zzz")
    assert [p.id for p in reg.list_parties(session)] == ["a", "b"]


def test_gs1_keys_are_checked_on_input() -> None:
    with pytest.raises(ValueError, match="check digit"):
        PartyCreate(id="x", name="X", gln="6937101000011")
    with pytest.raises(ValueError, match="check digit"):
        ProductCreate(gtin="06937101000017", name="p", category="food", party_id="x")
    assert ProductCreate(gtin="6937101000018", name="p", category="food", party_id="x").gtin == (
        "06937101000018"
    )


def test_location_device_product_lot_chain(session: Session) -> None:
    reg.create_party(session, data=PartyCreate(id="p", name="P", gln="6937101000001"))
    with pytest.raises(NotFoundError):
        reg.create_location(session, data=LocationCreate(id="l", name="L", party_id="nope"))
    reg.create_location(
        session,
        data=LocationCreate(id="l", name="L", party_id="p", sgln="urn:epc:id:sgln:6937101.00001.0"),
    )
    with pytest.raises(ConflictError):
        reg.create_location(
            session,
            data=LocationCreate(
                id="l2", name="L2", party_id="p", sgln="urn:epc:id:sgln:6937101.00001.0"
            ),
        )
    dev = reg.create_device(session, data=DeviceCreate(id="d", location_id="l", party_id="p"))
    assert dev.status == "active"
    reg.create_product(
        session, data=ProductCreate(gtin="06937101000018", name="x", category="food", party_id="p")
    )
    with pytest.raises(InvalidInputError):
        reg.create_lot(
            session,
            data=LotCreate(
                gtin="06937101000018", lot="L1", produced_on="2026-02-01", expires_on="2026-01-01"
            ),
        )
    reg.create_lot(session, data=LotCreate(gtin="06937101000018", lot="L1"))
    assert [x.lot for x in reg.list_lots(session, gtin="06937101000018")] == ["L1"]
    assert [d.id for d in reg.list_devices(session, party_id="p")] == ["d"]
    assert reg.list_products(session, category="drug") == []


def test_scenario_world_registers_twice_idempotently(sqlite_url: str) -> None:
    engine = create_engine(url=sqlite_url)
    world = build_scenario("all", seed=1).world
    with session_scope(engine=engine) as s:
        first = register_world(s, world)
    assert first.created["party"] == len(world.parties)
    assert first.created["device_key"] == len(world.devices)
    with session_scope(engine=engine) as s:
        second = register_world(s, world)
        assert second.created == {} and second.existing["device"] == len(world.devices)
        keys = reg.list_device_keys(s, device_id=world.devices[0].id)
        assert [k.key_id for k in keys] == [world.devices[0].key.key_id]
    engine.dispose()
