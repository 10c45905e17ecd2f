"""The EPCIS 2.0 REST subset on both stores: party API keys, POST /capture -> capture job ->
GET /events and GET /events/{eventID} -> the ledger (audit passes); bad documents get the
standard's 4xx; pagination round trip; visibility per role; a revoked key is 401."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from traceability.config import Settings
from traceability.ledger.audit import audit
from traceability.store.engine import create_engine

ADMIN = {"Authorization": "Bearer admin-secret-epcis"}
REGULATOR = {"Authorization": "Bearer reg-token-epcis"}
FARM_TOKEN = {"Authorization": "Bearer farm-token-epcis"}
LD = {"Content-Type": "application/ld+json"}
CTX = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": "https://ex.com/"}]
GTIN_CP = "0614141"  # urn:epc:id:sgtin:0614141.107346.<serial> == GTIN 10614141073464


def _when(minutes: int) -> str:
    t = datetime.now(UTC) - timedelta(minutes=minutes)
    return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _event(serial: str, minutes: int = 5, **extra: Any) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": _when(minutes),
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "epcList": [f"urn:epc:id:sgtin:{GTIN_CP}.107346.{serial}"],
        "readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0"},
    }
    ev.update(extra)
    return ev


def _doc(*events: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": CTX,
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": _when(0),
        "epcisBody": {"eventList": list(events)},
    }


def _events(r: Any) -> list[dict[str, Any]]:
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return found


def _post(client: TestClient, doc: Any, headers: dict[str, str]) -> Any:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return client.post("/capture", content=body, headers={**headers, **LD})


@pytest.fixture
def world(store_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str, dict[str, str]]]:
    settings = Settings(
        database_url=store_url,
        data_dir=tmp_path,
        admin_token=ADMIN["Authorization"][7:],
        api_tokens=f"{REGULATOR['Authorization'][7:]}:regulator,"
        f"{FARM_TOKEN['Authorization'][7:]}:producer:farm",
        checkpoint_interval_s=0,
    )
    with TestClient(create_app(settings)) as client:
        for party in ("farm", "shop"):
            r = client.post("/parties", json={"id": party, "name": party.title()}, headers=ADMIN)
            assert r.status_code == 201, r.text
        r = client.post("/apikeys", json={"party_id": "farm", "name": "erp"}, headers=ADMIN)
        assert r.status_code == 201, r.text
        key = r.json()["key"]
        yield client, store_url, {"Authorization": f"Bearer {key}"}


def test_capture_query_and_ledger(world: Any) -> None:
    client, url, farm = world
    first = _event("1", eventID="urn:uuid:0b5b4c52-4d6d-4d3a-9c77-000000000001")
    extended: dict[str, Any] = {"ex:temperature": 4, "ilmd": {"ex:note": "x"}, "action": "ADD"}
    doc = _doc(first, {**_event("2"), **extended})
    r = _post(client, doc, farm)
    assert r.status_code == 202, r.text
    assert r.headers["Location"].startswith("/capture/")
    assert int(r.headers["GS1-EPCIS-Capture-Limit"]) >= 2
    job = client.get(r.headers["Location"], headers=farm).json()
    assert job["success"] is True and job["running"] is False and job["errors"] == []
    assert len(job["ledgerIndexes"]) == 2
    # a regulator reads the job; the job list has it
    assert client.get(r.headers["Location"], headers=REGULATOR).status_code == 200
    assert client.get("/capture", headers=farm).json()[0]["captureID"] == job["captureID"]
    # capturing the same document again records nothing new (same event hashes)
    again = _post(client, doc, farm)
    assert again.status_code == 202
    assert again.json()["ledgerIndexes"] == job["ledgerIndexes"]
    # an eventID names one event: reused for another event, it is refused
    reused = _post(client, _doc({**first, "bizStep": "receiving"}), farm)
    assert reused.status_code == 400 and "already names" in reused.text

    r = client.get(
        "/events", params={"MATCH_epc": f"urn:epc:id:sgtin:{GTIN_CP}.107346.1"}, headers=farm
    )
    assert r.status_code == 200, r.text
    qdoc = r.json()
    assert qdoc["type"] == "EPCISQueryDocument"
    [ev] = qdoc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert ev["eventID"] == "urn:uuid:0b5b4c52-4d6d-4d3a-9c77-000000000001"
    assert ev["suyuan:assertedBy"] == "farm"
    assert ev["suyuan:ledgerIndex"] == job["ledgerIndexes"][0]
    # the Digital Link of the same item matches the same event (canonical comparison)
    dl = "https://id.gs1.org/01/10614141073464/21/2"
    r = client.get("/events", params={"MATCH_epc": dl}, headers=REGULATOR)
    [ev2] = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert ev2["ex:temperature"] == 4 and ev2["ilmd"] == {"ex:note": "x"}
    # GET /events/{eventID} by the partner's eventID and by the event hash
    one = client.get(f"/events/{quote(ev['eventID'], safe='')}", headers=farm)
    assert one.status_code == 200, one.text
    r = client.get(f"/events/{quote(ev2['eventID'], safe='')}", headers=farm)
    assert r.status_code == 200 and ev2["eventID"].startswith("ni:///sha-256;")
    # the ledger has them, signed by the platform for the party; the audit passes
    engine = create_engine(url=url)
    try:
        with Session(engine) as session:
            report = audit(session)
        assert report.ok, report
        with Session(engine) as session:
            kinds = session.connection().execute(
                sa.text("select kind, count(*) from ledger_entry group by kind")
            )
            counted = dict(kinds.all())
        # the two events, the platform key's registration, and the platform's own registry
        # rows (party, location, device) ledgered the first time the platform signs
        assert counted.pop("event") == 2 and counted.pop("key.register") == 1, counted
        assert set(counted) <= {"registry.party", "registry.device"}, counted
        assert report.size == 3 + sum(counted.values())
        with Session(engine) as session:
            hashes = session.connection().execute(
                sa.text("select event_hash from ledger_entry where event_hash is not null")
            )
            assert ev2["eventID"] in set(hashes.scalars())
        with Session(engine) as session, pytest.raises(sa.exc.DBAPIError):
            session.connection().execute(  # the captured event is append-only on both stores
                sa.text("update event set device_id = 'x' where ledger_index = :i"),
                {"i": ev["suyuan:ledgerIndex"]},
            )
    finally:
        engine.dispose()


def test_bad_documents(world: Any) -> None:
    client, _url, farm = world
    cases = {
        "unnamespaced ilmd": (_doc(_event("3", action="ADD", ilmd={"lotNumber": "L1"})), 400),
        "undeclared prefix": (_doc({**_event("3"), "zz:thing": 1}), 400),
        "platform namespace": (_doc({**_event("3"), "suyuan:recallId": "r1"}), 400),
        "unknown type": (_doc({**_event("3"), "type": "https://ex.com/MyEvent"}), 400),
        "NUL": (_doc(_event("3\x00")), 400),
        "bad check digit": (
            _doc(_event("3", epcList=["https://id.gs1.org/01/10614141073465/21/3"])),
            400,
        ),
        "too many events": (_doc(*[_event(str(i)) for i in range(501)]), 413),
        "not JSON": (b"{", 400),
        "deep": (b"[" * 5000 + b"]" * 5000, 400),
    }
    for name, (doc, status) in cases.items():
        r = _post(client, doc, farm)
        assert r.status_code == status, (name, r.text)
        err = r.json()["error"]
        assert err["type"].startswith("epcisException:"), (name, err)
        assert err["field"], (name, err)
        if status == 400 and "captureID" in err:
            job = client.get(f"/capture/{err['captureID']}", headers=farm).json()
            assert job["success"] is False and job["errors"], name
    huge = b'{"type":"EPCISDocument","x":"' + b"a" * (2 << 20) + b'"}'
    r = _post(client, huge, farm)
    assert r.status_code == 413 and r.json()["error"]["code"] == "too_large"
    r = client.post("/capture", content=b"{}", headers={**farm, "Content-Type": "text/plain"})
    assert r.status_code == 415
    # nothing of the refused documents was recorded
    r = client.get(
        "/events", params={"MATCH_epc": f"urn:epc:id:sgtin:{GTIN_CP}.107346.3"}, headers=REGULATOR
    )
    assert r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []


def test_pagination_round_trip(world: Any) -> None:
    client, _url, farm = world
    r = _post(client, _doc(*[_event(str(100 + i), minutes=30 - i) for i in range(7)]), farm)
    assert r.status_code == 202, r.text
    seen: list[int] = []
    step = "urn:epcglobal:cbv:bizstep:shipping"
    params: list[tuple[str, str]] = [("perPage", "3"), ("EQ_bizStep", step)]
    pages = 0
    while True:
        r = client.get("/events", params=params, headers=farm)
        assert r.status_code == 200, r.text
        pages += 1
        seen += [e["suyuan:ledgerIndex"] for e in _events(r)]
        link = r.headers.get("Link")
        if not link:
            break
        params = parse_qsl(urlsplit(link[1 : link.index(">")]).query)
    assert pages == 3 and len(seen) == 7 and seen == sorted(set(seen))
    token = dict(params)["nextPageToken"]
    # a token with other filters, or altered, is refused naming the parameter
    r = client.get("/events", params={"nextPageToken": token}, headers=farm)
    assert r.status_code == 400 and r.json()["error"]["field"] == "nextPageToken"
    bad = token[:-1] + ("A" if token[-1] != "A" else "B")
    r = client.get("/events", params={**dict(params), "nextPageToken": bad}, headers=farm)
    assert r.status_code == 400 and r.json()["error"]["field"] == "nextPageToken"
    # time window
    r = client.get(
        "/events", params={"GE_eventTime": _when(27), "LT_eventTime": _when(25)}, headers=farm
    )
    assert len(r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("GE_eventTime", "0001-01-01T00:00:00Z"),
        ("LT_eventTime", "9999-12-31T00:00:00Z"),
        ("GE_eventTime", "yesterday"),
        ("MATCH_epc", "https://id.gs1.org/01/10614141073465/21/1"),
        ("MATCH_epc", "urn:epc:idpat:sgtin:0614141.107346.*"),
        ("EQ_bizStep", "shippingg"),
        ("perPage", "0"),
        ("perPage", "99999999999999999999"),
        ("EQ_readPoint", "urn:epc:id:sgln:0614141.0077x.0"),
        ("eventType", "ObjectEvent"),
        ("orderBy", "eventTime"),
    ],
)
def test_bad_query_parameters(world: Any, name: str, value: str) -> None:
    client, _url, farm = world
    r = client.get("/events", params={name: value}, headers=farm)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["field"] == name and err["type"] == "epcisException:QueryParameterException"
    r = client.get(
        "/events", params={"MATCH_epc": "urn:epc:id:sgtin:0614141.107346.1\x00"}, headers=farm
    )
    assert r.status_code == 400 and r.json()["error"]["field"] == "query.MATCH_epc"


def test_visibility_and_revocation(world: Any) -> None:
    client, _url, farm = world
    r = client.post("/apikeys", json={"party_id": "shop"}, headers=ADMIN)
    shop = {"Authorization": f"Bearer {r.json()['key']}"}
    shop_id = r.json()["id"]
    assert _post(client, _doc(_event("500", minutes=20)), farm).status_code == 202
    assert _post(client, _doc(_event("600", minutes=20)), farm).status_code == 202
    # the shop receives item 500: it sees its own event and the item's history before it,
    # not the farm's other item
    recv = _event("500", minutes=10, bizStep="receiving", disposition="in_progress")
    assert _post(client, _doc(recv), shop).status_code == 202
    later = _event("500", minutes=1, bizStep="storing", disposition="in_progress")
    assert _post(client, _doc(later), farm).status_code == 202

    def serials(headers: dict[str, str]) -> list[tuple[str, str]]:
        r = client.get("/events", headers=headers)
        assert r.status_code == 200, r.text
        evs = r.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
        return [(e["epcList"][0].rsplit(".", 1)[1], e["bizStep"]) for e in evs]

    assert serials(shop) == [("500", "shipping"), ("500", "receiving")]
    assert ("600", "shipping") in serials(farm) and ("500", "storing") in serials(farm)
    assert len(serials(REGULATOR)) == 4 and len(serials(ADMIN)) == 4
    assert serials(FARM_TOKEN) == serials(farm)  # a producer token sees what its key sees
    assert client.get("/events").status_code == 401  # the public gets no listing
    # an event the shop may not see is "no such event", as an unknown one
    epc = f"urn:epc:id:sgtin:{GTIN_CP}.107346.600"
    hidden = _events(client.get("/events", params={"MATCH_epc": epc}, headers=REGULATOR))[0]
    path = f"/events/{quote(hidden['eventID'], safe='')}"
    r = client.get(path, headers=shop)
    assert r.status_code == 404 and r.json()["error"]["type"].endswith("NoSuchResourceException")
    assert client.get(path, headers=farm).status_code == 200
    # jobs: the shop sees its own, not the farm's
    shop_jobs = client.get("/capture", headers=shop).json()
    assert len(shop_jobs) == 1 and shop_jobs[0]["eventCount"] == 1
    farm_job = client.get("/capture", headers=farm).json()[0]["captureID"]
    assert client.get(f"/capture/{farm_job}", headers=shop).status_code == 404
    # keys: a party key cannot manage keys; the shop cannot revoke the farm's; listing
    assert client.get("/apikeys", headers=shop).status_code == 403
    assert client.get("/apikeys", headers=FARM_TOKEN).json()[0]["party_id"] == "farm"
    listed = client.get("/apikeys", headers=ADMIN).json()
    assert {k["party_id"] for k in listed} == {"farm", "shop"}
    assert all("key" not in k and "digest" not in k for k in listed)
    r = client.post(f"/apikeys/{shop_id}/revoke", headers=FARM_TOKEN)
    assert r.status_code == 403
    r = client.post(f"/apikeys/{shop_id}/revoke", headers=ADMIN)
    assert r.status_code == 200 and r.json()["revoked_at"]
    r = client.get("/events", headers=shop)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    assert _post(client, _doc(_event("700")), shop).status_code == 401
    # a guessed key of the right shape is 401 too
    fake = {"Authorization": "Bearer sy_000000000000_" + "A" * 43}
    assert client.get("/events", headers=fake).status_code == 401
