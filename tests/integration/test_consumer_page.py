"""The consumer page's further sections, scans and reports, through the FastAPI app on SQLite
and on TimescaleDB: recall records, certifications, the cold chain from EPCIS sensor data (on
the item and on the pallet that held it), a special-equipment unit's status; scans recorded
anonymously or by role with clone signals; the rate-limited "report a problem" form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.main import create_app
from devices.events import sensor_element
from devices.simulators.equipment import equipment_code
from tests.support.ledger import setup_device, submissions
from tests.support.services import clone_database
from traceability.config import Settings
from traceability.consumer.models import ConsumerReport, ConsumerScan
from traceability.ledger import service
from traceability.recall.service import open_recall
from traceability.registry.keys import register_key
from traceability.registry.models import Device, Location, Lot, Party, Product, ProductCategory
from traceability.signing import ed25519 as signing
from traceability.store.engine import create_engine, upgrade

CP, REF = "6937102", "100001"
GTIN = "16937102000014"
EQ_GTIN = "06937102000024"
FARM = f"urn:epc:id:sgln:{CP}.00001.0"
PALLET = f"urn:epc:id:sscc:{CP}.0000000001"
CODE = equipment_code(2025, 4242)
UNIT = f"urn:epc:id:giai:{CP}.{CODE}"
NOW = datetime.now(UTC).replace(microsecond=0)
EN = {"accept": "text/html", "accept-language": "en"}
REGULATOR = "regulator-token-0123456789abcdefghijklmnop"
RETAILER = "retailer-token-0123456789abcdefghijklmnopq"
USCC = "91500107MA60LIFT0X"


def sgtin(serial: str) -> str:
    return f"urn:epc:id:sgtin:{CP}.{REF}.{serial}"


def _iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _ev(when: datetime, step: str, **kw: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": _iso(when),
        "eventTimeZoneOffset": "+08:00",
        "action": "ADD" if step in ("commissioning", "installing") else "OBSERVE",
        "bizStep": step,
        "bizLocation": {"id": FARM},
        **kw,
    }


def _temps(when: datetime, values: list[float]) -> list[dict[str, Any]]:
    return [
        sensor_element(when=when + timedelta(minutes=30 * k), readings=[("gs1:Temperature", v)])
        for k, v in enumerate(values)
    ]


T = NOW - timedelta(days=10)
EVENTS = [
    *(_ev(T, "commissioning", epcList=[sgtin(s)]) for s in ("S1", "S2", "S3", "S4", "S5")),
    {
        "type": "AggregationEvent",
        "eventTime": _iso(T + timedelta(hours=1)),
        "eventTimeZoneOffset": "+08:00",
        "action": "ADD",
        "parentID": PALLET,
        "childEPCs": [sgtin("S1")],
        "bizStep": "packing",
        "bizLocation": {"id": FARM},
    },
    _ev(
        T + timedelta(hours=2),
        "sensor_reporting",
        epcList=[PALLET],
        sensorElementList=_temps(T + timedelta(hours=2), [2.0, 3.1, 9.4, 3.0]),
    ),
    _ev(
        T + timedelta(hours=3),
        "storing",
        epcList=[sgtin("S2")],
        sensorElementList=_temps(T + timedelta(hours=3), [1.0, 2.5]),
    ),
    _ev(T, "shipping", quantityList=[{"epcClass": f"urn:epc:class:lgtin:{CP}.{REF}.L2"}]),
]
EQ_EVENTS = [
    _ev(NOW - timedelta(days=100), "installing", epcList=[UNIT]),
    _ev(NOW - timedelta(days=3), "inspecting", epcList=[UNIT]),
]


@dataclass
class World:
    client: TestClient
    engine: Engine
    settings: Settings
    tmp: Path

    def count(self, table: str) -> int:
        with self.engine.connect() as c:
            return int(c.execute(sa.text(f"select count(*) from {table}")).scalar_one())

    def ledger_counts(self) -> tuple[int, ...]:
        return tuple(
            self.count(t) for t in ("ledger_entry", "event", "trace_edge", "recall", "lot")
        )


def _maintenance_device(s: Session) -> tuple[bytes, str]:
    s.add(Party(id="lift-care", name="Lift Care <Co>", uscc=USCC, roles=["maintenance"]))
    s.flush()
    s.add(Location(id="lift-base", name="Lift base", party_id="lift-care"))
    s.flush()
    s.add(Device(id="maint-1", location_id="lift-base", party_id="lift-care"))
    s.flush()
    seed, pub = signing.generate_keypair()
    register_key(s, device_id="maint-1", public_key=pub, at=NOW - timedelta(days=400))
    return seed, signing.key_id(pub)


@pytest.fixture(scope="module", params=["sqlite", "timescale"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"consumer-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'suyuan.db'}"
            upgrade(url=url)
        else:
            url = stack.enter_context(
                clone_database(request.getfixturevalue("pg_template"), prefix="suyuan_cons")
            )
        engine = create_engine(url=url)
        stack.callback(engine.dispose)
        settings = Settings(
            data_dir=tmp,
            database_url=url,
            consumer_scan_rate=0,
            consumer_report_rate=0,
            consumer_scan_salt="test-salt",
            api_tokens=f"{REGULATOR}:regulator,{RETAILER}:producer:shop",
        )
        certs = [
            {"scheme": "绿色食品 Green Food", "issuer": "China Green Food Development Center",
             "number": "LB-18-2301", "valid_from": "2025-01-01", "valid_until": "2099-12-31"},
            {"scheme": "地理标志农产品", "issuer": "MARA", "valid_until": "2020-01-01"},
        ]  # fmt: skip
        with Session(engine) as s:
            seed, kid = setup_device(s)
            s.add(Party(id="orchard", name="Fengjie Orchard"))
            s.add(Party(id="shop", name="Fresh Mart", roles=["retailer"]))
            s.flush()
            s.add(Location(id="farm", name="Orchard A", sgln=FARM, party_id="orchard",
                           region="Fengjie"))  # fmt: skip
            s.add(Location(id="mart", name="Fresh Mart Beijing", party_id="shop",
                           latitude=39.9, longitude=116.4))  # fmt: skip
            s.add(Product(gtin=GTIN, name="Navel oranges", category=ProductCategory.food,
                          party_id="orchard", attributes={"certifications": certs}))  # fmt: skip
            s.add(Product(gtin=EQ_GTIN, name="Passenger lift", category=ProductCategory.equipment,
                          party_id="orchard"))  # fmt: skip
            s.flush()
            s.add(Lot(gtin=GTIN, lot="L2", expires_on=NOW.date() + timedelta(days=30)))
            s.flush()
            results = service.append_events(s, submissions=submissions(seed, kid, EVENTS))
            assert {r.status for r in results} == {"appended"}
            mseed, mkid = _maintenance_device(s)
            subs = submissions(mseed, mkid, EQ_EVENTS, device="maint-1")
            assert {r.status for r in service.append_events(s, submissions=subs)} == {"appended"}
            open_recall(s, data_dir=tmp, lots=[(GTIN, "L2")], level="CN-I",
                        reason="Listeria <b>found</b>", opened_by="samr")  # fmt: skip
            s.commit()
        client = stack.enter_context(TestClient(create_app(settings)))
        yield World(client, engine, settings, tmp)


def _page(world: World, path: str, **headers: str) -> str:
    r = world.client.get(path, headers={**EN, **headers})
    assert r.status_code == 200, r.text
    assert len(r.content) < 100_000
    return str(r.text)


def _section(page: str, sid: str) -> str:
    return page.split(f'id="{sid}"', 1)[1].split("</section>", 1)[0]


def test_recall_banner_carries_the_recall_record(world: World) -> None:
    page = _page(world, f"/01/{GTIN}/10/L2")
    banner = _section(page, "recall")
    assert page.index('id="recall"') < page.index('id="verdict"')
    assert re.search(r"<dt>Recall</dt><dd>R[-\w]+</dd>", banner) or "<dt>Recall</dt>" in banner
    assert "China level I (serious health hazard)" in banner
    assert "Listeria &lt;b&gt;found&lt;/b&gt;" in banner and "<b>found" not in banner
    assert NOW.strftime("%Y-%m-%d") in banner
    assert "return it to the shop" in banner
    with world.engine.connect() as c:
        rid = c.execute(sa.text("select id from recall")).scalar_one()
    assert f"<dd>{rid}</dd>" in banner


def test_certifications_with_issuer_and_validity(world: World) -> None:
    origin = _section(_page(world, f"/01/{GTIN}/21/S2"), "origin")
    assert "绿色食品 Green Food" in origin and "China Green Food Development Center" in origin
    assert "valid 2025-01-01 – 2099-12-31" in origin
    assert "expired 2020-01-01" in origin  # the lapsed one is marked, not hidden


def test_cold_chain_kept_and_excursion_through_the_pallet(world: World) -> None:
    kept = _section(_page(world, f"/01/{GTIN}/21/S2"), "cold")
    assert "Kept 0–4 °C (2 readings)." in kept and "<svg" in kept and "<polyline" in kept
    warm = _section(_page(world, f"/01/{GTIN}/21/S1"), "cold")  # readings on its pallet
    assert "1 of 4 readings outside 0–4 °C:" in warm
    assert "9.4 °C" in warm and warm.count("<path") == 1  # the excursion marked by a shape
    assert 'id="cold"' not in _page(world, f"/01/{GTIN}/21/S5")  # no readings, no section


def test_special_equipment_status_and_accountable_company(world: World) -> None:
    page = _page(world, f"/01/{EQ_GTIN}/21/{CODE}")
    assert '<div class="word">Verified</div>' in page
    eq = _section(page, "equipment")
    assert f"<dd>{CODE}</dd>" in eq
    last = (NOW - timedelta(days=3)).strftime("%Y-%m-%d")
    due = (NOW - timedelta(days=3) + timedelta(days=15)).strftime("%Y-%m-%d")
    assert f"<dt>Last maintenance</dt><dd>{last}</dd>" in eq
    assert f"<dt>Next maintenance due</dt><dd>{due}</dd>" in eq
    assert "Lift Care &lt;Co&gt;" in eq and f"<dd>{USCC}</dd>" in eq
    # inspection: never after the installation 100 days ago -> due in 265 days, not overdue
    assert "Overdue" not in eq and "up to date" in eq
    other = _page(world, f"/01/{EQ_GTIN}/21/{equipment_code(2025, 4243)}")
    assert 'id="equipment"' not in other and "Suspicious" in other


def test_scans_are_recorded_coarsely_and_change_no_ledger_record(world: World) -> None:
    before, scans = world.ledger_counts(), world.count("consumer_scan")
    _page(world, f"/01/{GTIN}/21/S2", **{"user-agent": "Mozilla/5.0 (iPhone) Mobile"})
    _page(world, f"/01/{GTIN}/21/S2", authorization=f"Bearer {REGULATOR}")
    _page(world, f"/01/{GTIN}/21/S2?loc=29.63,106.56", authorization=f"Bearer {RETAILER}")
    world.client.get(f"/01/{GTIN}/21/S2", headers={"accept": "application/linkset+json"})
    assert world.count("consumer_scan") == scans + 3  # page views only
    with Session(world.engine) as s:
        rows = s.exec(select(ConsumerScan).order_by(ConsumerScan.id.desc()).limit(3)).all()  # type: ignore[union-attr]
    shop, reg, anon = rows
    assert (anon.scanner, anon.party_id, anon.agent) == ("anonymous", None, "mobile")
    assert re.fullmatch(r"[0-9a-f]{16}", anon.client) and "testclient" not in anon.client
    assert anon.latitude is None and anon.item == f"{GTIN}/21/S2"
    assert reg.scanner == "regulator"
    assert (shop.scanner, shop.party_id) == ("retailer", "shop")
    assert (shop.latitude, shop.longitude) == (29.6, 106.6)  # rounded to 0.1 degree
    assert world.ledger_counts() == before


def test_impossible_travel_weighted_by_who_scanned(world: World) -> None:
    far = {"cq": "29.56,106.55", "bj": "39.90,116.40"}
    path = f"/01/{GTIN}/21/S3"
    _page(world, f"{path}?loc={far['cq']}")
    page = _page(world, f"{path}?loc={far['bj']}")
    assert '<div class="word">Verified</div>' in page  # one anonymous jump: too little weight
    # the retailer's token places the scan at its shop in Beijing; a regulator scans in Chongqing
    _page(world, f"{path}?loc={far['cq']}", authorization=f"Bearer {REGULATOR}")
    page = _page(world, path, authorization=f"Bearer {RETAILER}")
    assert '<div class="word">Suspicious</div>' in page
    assert "scanned at places too far apart too quickly" in page
    assert re.search(r"\(1\d{3} km, \d+ min\)", page)


def test_too_many_distinct_scanners(world: World) -> None:
    path = f"/01/{GTIN}/21/S4"
    for _ in range(25):  # one client scanning again and again is one scanner
        page = _page(world, path)
    assert '<div class="word">Verified</div>' in page
    with Session(world.engine) as s:  # twenty shoppers elsewhere today (other client hashes)
        for k in range(19):
            s.add(ConsumerScan(item=f"{GTIN}/21/S4", gtin=GTIN, scanned_at=NOW, client=f"{k:016x}"))
        s.commit()
    page = _page(world, path)
    assert '<div class="word">Suspicious</div>' in page
    assert "scanned by too many different people (20 / 30 d)" in page
    zh = _page(world, path, **{"accept-language": "zh-CN"})
    assert "可疑" in zh and "30 天内 20 人" in zh


def test_bad_loc_is_a_400(world: World) -> None:
    for loc in ("91,0", "abc", "1,2,3", "nan,1", "1e400,0"):
        r = world.client.get(f"/01/{GTIN}/21/S2?loc={loc}", headers=EN)
        assert r.status_code == 400, loc
        assert "loc" in r.text


def _post(world: World, body: bytes | str, **headers: str) -> Any:
    h = {"content-type": "application/x-www-form-urlencoded", **headers}
    return world.client.post("/consumer/report", content=body, headers=h)


def test_report_is_stored_and_shown_escaped(world: World) -> None:
    before = world.ledger_counts()
    msg = "<script>alert(1)</script><b>mouldy</b> & <img src=x onerror=alert(2)>"
    form = {"link": f"/01/{GTIN}/21/S2", "kind": "damaged", "message": msg, "contact": "a@b.c"}
    r = world.client.post("/consumer/report", data=form, headers=EN)
    assert r.status_code == 201
    assert "<script" not in r.text and "<img" not in r.text and "<b>mouldy" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert f'href="/01/{GTIN}/21/S2"' in r.text
    with Session(world.engine) as s:
        row = s.exec(select(ConsumerReport).order_by(ConsumerReport.id.desc())).first()  # type: ignore[union-attr]
    assert row is not None and row.message == msg and row.kind == "damaged"
    assert row.item == f"{GTIN}/21/S2" and re.fullmatch(r"[0-9a-f]{16}", row.client)
    j = world.client.post("/consumer/report", data={**form, "kind": "other"})
    assert j.status_code == 201 and j.json()["status"] == "stored"
    assert world.ledger_counts() == before
    page = _page(world, f"/01/{GTIN}/21/S2")
    assert '<form method="post" action="/consumer/report">' in page


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (f"link=/01/{GTIN}&kind=other&message=a%00b", 400, "message"),
        (f"link=/01/{GTIN}&kind=other&message=%FF%FE", 400, "body"),
        (f"link=/01/{GTIN}&kind=other&message=%ED%A0%80", 400, "body"),  # a lone surrogate
        (f"link=/01/{GTIN}&kind=other&message=", 400, "message"),
        (f"link=/01/{GTIN}&kind=%3Cb%3E&message=x", 400, "kind"),
        (f"link=/01/{GTIN}&kind=other&message=x&message=y", 400, "message"),
        ("link=/01/16937102000015&kind=other&message=x", 400, "01"),  # check digit
        ("link=/01/06937102999991&kind=other&message=x", 404, "link"),
        ("link=/../etc/passwd&kind=other&message=x", 400, "path"),
        ("kind=other&message=x", 400, "link"),
        (f"link=/01/{GTIN}&kind=other&message=" + "x" * 1001, 400, "message"),
    ],
)
def test_report_bad_input(world: World, body: str, status: int, field: str) -> None:
    reports = world.count("consumer_report")
    r = _post(world, body)
    assert r.status_code == status, r.text
    assert r.json()["error"]["field"] == field
    assert world.count("consumer_report") == reports


def test_report_size_and_media_type(world: World) -> None:
    big = f"link=/01/{GTIN}&kind=other&message=" + "x" * 9000
    assert _post(world, big).status_code == 413
    r = world.client.post("/consumer/report", json={"message": "x"})
    assert r.status_code == 415 and r.json()["error"]["field"] == "content-type"


def test_rate_limits_answer_429_with_retry_after(world: World) -> None:
    settings = world.settings.model_copy(
        update={"consumer_scan_rate": 0.01, "consumer_scan_burst": 2,
                "consumer_report_rate": 0.001, "consumer_report_burst": 1}
    )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        path = f"/01/{GTIN}/21/S5"
        assert [client.get(path, headers=EN).status_code for _ in range(2)] == [200, 200]
        r = client.get(path, headers=EN)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert "Too many requests" in r.text
        # the linkset is not a page view: not limited by the scan bucket
        assert client.get(path, headers={"accept": "application/linkset+json"}).status_code == 200
        form = {"link": path, "kind": "other", "message": "late"}
        assert client.post("/consumer/report", data=form).status_code == 201
        r = client.post("/consumer/report", data=form)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 100
        assert r.json()["error"]["code"] == "rate_limited"
