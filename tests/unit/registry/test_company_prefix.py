"""A party's registered GS1 Company Prefix (issue 12, item 17): one source of prefix lengths
(:func:`traceability.identifiers.gs1.prefix_length_for`), with the registered prefix as the
documented override of the table, used where EPC URNs are built for the party's products."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from devices.simulators import build_scenario
from devices.simulators.world import Company
from label_printing import commission
from traceability.config import Settings
from traceability.errors import InvalidInputError
from traceability.identifiers import check
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import (
    company_prefix_length,
    prefix_length_for,
    validate_company_prefix,
)
from traceability.registry import service as reg
from traceability.registry.prefixes import product_prefix_length
from traceability.registry.schemas import PartyCreate, ProductCreate
from traceability.store.engine import create_engine

GTIN = "06937101000018"  # the prefix table splits it after 8 digits (69371010)
TOKEN = "admin-secret-admin-secret-0123"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def test_one_source_of_lengths_with_the_registered_override() -> None:
    key13 = GTIN[1:]
    assert company_prefix_length(key13) == 8
    assert prefix_length_for(key13) == 8  # the table
    assert prefix_length_for(key13, "6937101") == 7  # the registered prefix wins
    assert prefix_length_for(key13, "6937102") == 8  # not this key's prefix: the table
    assert prefix_length_for("0000000000000") == 7  # unknown to the table: 7 digits
    for good in ("693710", "6937101", "693710100001"):
        assert validate_company_prefix(good) == good
    for bad in ("69371", "6937101000018", "69371O1", "６９３７１０１", ""):
        with pytest.raises(IdentifierError) as exc:
            validate_company_prefix(bad)
        assert exc.value.field == "gs1_company_prefix"


@pytest.fixture
def session(sqlite_url: str) -> Iterator[Session]:
    engine = create_engine(url=sqlite_url)  # migrated to head (0008 adds the column)
    with Session(engine, expire_on_commit=False) as s:
        yield s
    engine.dispose()


def test_registered_prefix_splits_the_party_s_epcs(session: Session) -> None:
    shown = reg.create_party(
        session, data=PartyCreate(id="farm", name="Farm", gs1_company_prefix="6937101")
    )
    assert shown.gs1_company_prefix == "6937101"
    reg.create_party(session, data=PartyCreate(id="plain", name="Plain"))
    food = {"name": "Oranges", "category": "food"}
    reg.create_product(session, data=ProductCreate(gtin=GTIN, party_id="farm", **food))
    # a GTIN not under the registered prefix is refused for that party
    with pytest.raises(InvalidInputError) as exc:
        reg.create_product(
            session, data=ProductCreate(gtin="06937201000017", party_id="farm", **food)
        )
    assert (exc.value.code, exc.value.field) == ("company_prefix_mismatch", "gtin")
    other = "06937201000017"
    reg.create_product(session, data=ProductCreate(gtin=other, party_id="plain", **food))
    assert product_prefix_length(session, gtin=GTIN) == 7
    assert product_prefix_length(session, gtin=other) == company_prefix_length(other[1:])
    unregistered = "09506000134352"  # no product: the table
    assert product_prefix_length(session, gtin=unregistered) == prefix_length_for(unregistered[1:])
    # label printing builds the EPC at the registered length
    cp = product_prefix_length(session, gtin=GTIN)
    ev = commission.commissioning_event(
        gtin=GTIN, serials=["30901"], lot="L1", expiry="2027-01-31", cp_len=cp
    )
    assert ev["epcList"] == ["urn:epc:id:sgtin:6937101.000001.30901"]
    assert commission.sgtin(GTIN, "30901") == "urn:epc:id:sgtin:69371010.00001.30901"  # table
    assert check(ev["epcList"][0]).normalized["gtin"] == GTIN  # one item either way


def test_simulated_parties_register_their_prefix() -> None:
    """The demo's and the simulators' parties carry the prefix their EPCs are split at."""
    world = build_scenario("all", seed=1).world
    for p in world.parties:
        assert p.gs1_company_prefix is not None
        company = Company(p.gs1_company_prefix)
        assert p.gln is not None and p.gln.startswith(company.prefix)
    owner = {p.id: p.gs1_company_prefix for p in world.parties}
    for product in world.products:
        prefix = owner[product.party_id]
        assert prefix is not None and product.gtin[1:].startswith(prefix)


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> TestClient:
    settings = Settings(database_url=sqlite_url, data_dir=tmp_path, admin_token=TOKEN)
    return TestClient(create_app(settings))


def test_api_registers_validates_and_shows_the_prefix(client: TestClient) -> None:
    for bad in ("69371", "6937101000018", "69371x1"):
        r = client.post(
            "/parties", json={"id": "f", "name": "F", "gs1_company_prefix": bad}, headers=ADMIN
        )
        assert r.status_code == 422, r.text
        assert r.json()["error"]["field"] == "body.gs1_company_prefix"
    party = {"id": "farm", "name": "Farm", "gs1_company_prefix": "6937101"}
    r = client.post("/parties", json=party, headers=ADMIN)
    assert r.status_code == 201 and r.json()["gs1_company_prefix"] == "6937101"
    assert client.get("/parties/farm").json()["gs1_company_prefix"] == "6937101"
    prod = {"gtin": "06937201000017", "name": "O", "category": "food", "party_id": "farm"}
    r = client.post("/products", json=prod, headers=ADMIN)
    assert 400 <= r.status_code < 500 and r.json()["error"]["code"] == "company_prefix_mismatch"
    assert r.json()["error"]["field"] == "gtin"
    assert client.post("/products", json={**prod, "gtin": GTIN}, headers=ADMIN).status_code == 201
