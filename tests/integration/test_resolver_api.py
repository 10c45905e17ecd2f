"""The GS1 resolver through the FastAPI app, on SQLite and on TimescaleDB: a small world of
a product, lots and a serialised item whose events are in the ledger (checkpoint signed)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.main import create_app
from tests.support.ledger import setup_device, submissions
from tests.support.services import clone_database
from traceability.config import Settings
from traceability.ledger import checkpoint, service
from traceability.ledger.verify_offline import verify_receipt
from traceability.registry.models import Location, Lot, Party, Product, ProductCategory
from traceability.store.engine import create_engine, upgrade

GTIN = "16937102000014"
CP, REF = "6937102", "100001"
FARM = f"urn:epc:id:sgln:{CP}.00001.0"
SHOP = f"urn:epc:id:sgln:{CP}.00002.0"
HILL = f"urn:epc:id:sgln:{CP}.00003.0"
CRATE = f"urn:epc:id:sgtin:{CP}.000002.C1"
TODAY = datetime.now(UTC).date()
HTML = {"accept": "text/html,application/xhtml+xml", "accept-language": "en-GB,en;q=0.9"}


def _ev(t: int, what: dict[str, Any], step: str, disposition: str, where: str) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-11-2{t}T08:00:00.000Z",
        "eventTimeZoneOffset": "+08:00",
        "action": "OBSERVE" if step != "commissioning" else "ADD",
        **what,
        "bizStep": step,
        "disposition": disposition,
        "bizLocation": {"id": where},
    }


def _lot(lot: str) -> dict[str, Any]:
    return {"quantityList": [{"epcClass": f"urn:epc:class:lgtin:{CP}.{REF}.{lot}", "quantity": 5}]}


EVENTS = [
    _ev(0, {"epcList": [CRATE]}, "commissioning", "active", HILL),
    {
        "type": "TransformationEvent",
        "eventTime": "2026-11-20T12:00:00.000Z",
        "eventTimeZoneOffset": "+08:00",
        "inputEPCList": [CRATE],
        "outputQuantityList": _lot("L1")["quantityList"],
        "bizStep": "commissioning",
        "bizLocation": {"id": FARM},
    },
    _ev(1, {"epcList": [f"urn:epc:id:sgtin:{CP}.{REF}.S1"]}, "commissioning", "active", FARM),
    _ev(2, _lot("L1"), "shipping", "in_transit", FARM),
    _ev(3, {"epcList": [f"urn:epc:id:sgtin:{CP}.{REF}.S1"]}, "retail_selling", "retail_sold", SHOP),
    _ev(4, _lot("L3"), "holding", "recalled", SHOP),
    _ev(5, _lot("EVONLY"), "shipping", "in_transit", FARM),
]


@dataclass
class World:
    client: TestClient
    engine: Engine
    settings: Settings

    def counts(self) -> tuple[int, ...]:
        with self.engine.connect() as c:
            return tuple(
                int(c.execute(sa.text(f"select count(*) from {t}")).scalar_one())
                for t in ("ledger_entry", "event", "lot", "ledger_checkpoint")
            )


@pytest.fixture(scope="module", params=["sqlite", "timescale"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"resolver-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'suyuan.db'}"
            upgrade(url=url)
        else:
            url = stack.enter_context(
                clone_database(request.getfixturevalue("pg_template"), prefix="suyuan_res")
            )
        engine = create_engine(url=url)
        stack.callback(engine.dispose)
        settings = Settings(data_dir=tmp, database_url=url)
        with Session(engine) as s:
            seed, kid = setup_device(s)
            s.add(Party(id="orchard", name="Fengjie Orchard <Co-op>"))
            s.flush()
            s.add(Location(id="farm", name="Orchard A", sgln=FARM, party_id="orchard",
                           city="Chongqing", region="Fengjie"))  # fmt: skip
            s.add(Location(id="shop", name="Fresh Store 1", sgln=SHOP, party_id="orchard"))
            s.add(Location(id="hill", name="Hill Orchard", sgln=HILL, party_id="orchard",
                           region="Wushan"))  # fmt: skip
            s.add(Product(gtin=GTIN, name="Navel oranges 5 kg", brand="Fengjie",
                          category=ProductCategory.food, party_id="orchard"))  # fmt: skip
            s.flush()
            s.add(Lot(gtin=GTIN, lot="L1", expires_on=TODAY + timedelta(days=30),
                      produced_on=date(2026, 11, 20)))  # fmt: skip
            s.add(Lot(gtin=GTIN, lot="L2", expires_on=TODAY + timedelta(days=30), recalled=True,
                      recall_reason="Listeria <found>", recalled_at=datetime.now(UTC)))  # fmt: skip
            s.add(Lot(gtin=GTIN, lot="L3", expires_on=TODAY + timedelta(days=30)))
            s.add(Lot(gtin=GTIN, lot="OLD", expires_on=TODAY - timedelta(days=1)))
            s.flush()
            results = service.append_events(s, submissions=submissions(seed, kid, EVENTS))
            assert [r.status for r in results] == ["appended"] * len(EVENTS)
            checkpoint.sign_checkpoint(s, settings=settings, collect=False)
            s.commit()
        yield World(stack.enter_context(TestClient(create_app(settings))), engine, settings)


def _page(world: World, path: str, **headers: str) -> str:
    r = world.client.get(path, headers={**HTML, **headers})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert len(r.content) < 100_000
    return str(r.text)


def test_item_page_identity_journey_and_verdict(world: World) -> None:
    page = _page(world, f"/01/{GTIN}/10/L1/21/S1")
    assert '<div class="word">Verified</div>' in page
    assert "<dd>Navel oranges 5 kg</dd>" in page and "<dd>S1</dd>" in page
    assert "Fengjie Orchard &lt;Co-op&gt;" in page  # escaped
    # origin: followed back through the transformation to the crate's orchard
    origin = page.split('id="origin"', 1)[1].split("</section>", 1)[0]
    assert "<dd>Hill Orchard</dd>" in origin and "<dd>Wushan</dd>" in origin
    assert "<dd>2026-11-20</dd>" in origin
    # journey: the records of the item and its lot, in time order, with their ledger indexes
    steps = re.findall(r"<li><strong>[^<]+</strong> (\w+) — ([^<(]+)", page)
    assert [s[0] for s in steps] == ["commissioning", "commissioning", "shipping", "retail_selling"]
    assert [s[1].strip() for s in steps] == ["Orchard A", "Orchard A", "Orchard A", "Fresh Store 1"]
    assert re.findall(r"\[ledger index (\d+)\]", page) == ["2", "3", "4", "5"]
    assert "<svg" in page and "No recall on record." in page
    assert "<script" not in page and "https://" not in page


def test_receipt_link_and_log_key_verify_offline(world: World) -> None:
    page = _page(world, f"/01/{GTIN}/10/L1/21/S1")
    href = html.unescape(re.search(r'<a href="([^"]+)" download="receipt-5.txt"', page)[1])  # type: ignore[index]
    log_key = html.unescape(re.search(r"<code>([^<]+)</code>", page)[1])  # type: ignore[index]
    assert f"tracectl ledger verify-receipt receipt-5.txt --log-key &#x27;{log_key}" in page
    r = world.client.get(href)
    assert r.status_code == 200, r.text
    result = verify_receipt(r.text, log_key=log_key)
    assert result.index == 5
    assert result.event["bizStep"] == "retail_selling"
    assert unquote(href.split("event_id=")[1]).startswith("ni:///sha-256;")


def test_recall_banner_from_the_lot_flag_overrides(world: World) -> None:
    page = _page(world, f"/01/{GTIN}/10/L2", **{"accept-language": "zh-CN,zh;q=0.9"})
    body = page.split("<main>", 1)[1]
    assert body.startswith('<section id="recall" class="banner" role="alert">')
    assert "已召回" in body and "Listeria &lt;found&gt;" in body
    assert "已验证" not in body


def test_recall_from_a_recalled_disposition_event(world: World) -> None:
    page = _page(world, f"/01/{GTIN}/10/L3")
    assert '<section id="recall" class="banner"' in page and "Recalled" in page


@pytest.mark.parametrize(
    ("path", "word", "why"),
    [
        (f"/01/{GTIN}/10/OLD", "Expired", "The expiry date has passed."),
        (f"/01/{GTIN}/10/NOPE", "Suspicious", "never registered this lot"),
        (f"/01/{GTIN}/10/L1/21/FAKE", "Suspicious", "serial number was never recorded"),
        (f"/01/{GTIN}/10/L1/21/S1?17=991231", "Suspicious", "differs from the producer"),
        (f"/01/{GTIN}", "Could not verify — rescan", "no lot or serial"),
        (f"/01/{GTIN}/10/EVONLY", "Verified", "tamper-evident ledger"),
    ],
)
def test_verdicts(world: World, path: str, word: str, why: str) -> None:
    page = _page(world, path)
    assert f'<div class="word">{word}</div>' in page
    assert why in page


def test_linkset_for_linkset_accept(world: World) -> None:
    r = world.client.get(f"/01/{GTIN}/10/L1/21/S1", headers={"accept": "application/linkset+json"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/linkset+json")
    (entry,) = r.json()["linkset"]
    assert entry["anchor"] == f"http://testserver/01/{GTIN}/10/L1/21/S1"
    voc = "https://gs1.org/voc/"
    for lt in ("pip", "traceability", "recallStatus", "certificationInfo", "verificationService"):
        assert entry[voc + lt][0]["href"].startswith("http://testserver/")
    assert "/ledger/receipt?event_id=" in entry[voc + "verificationService"][0]["href"]


def test_link_type_redirects(world: World) -> None:
    base = f"/01/{GTIN}/10/L1"
    r = world.client.get(f"{base}?linkType=gs1:recallStatus", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == f"http://testserver{base}#recall"
    r = world.client.get(f"{base}?linkType=all", follow_redirects=False)
    assert r.status_code == 200 and "linkset" in r.json()
    r = world.client.get(f"{base}?linkType=gs1:nothing", follow_redirects=False)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "unknown_link_type"


def test_well_known(world: World) -> None:
    r = world.client.get("/.well-known/gs1resolver")
    assert r.status_code == 200
    assert r.json()["supportedPrimaryKeys"] == ["01"]


def test_wrong_check_digit_is_a_400_page_naming_the_part(world: World) -> None:
    r = world.client.get("/01/16937102000015/10/L1", headers=HTML)
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "This link is not valid" in r.text
    assert "<dt>Wrong part</dt><dd>(01) GTIN = 16937102000015" in r.text
    assert "check digit should be 4" in r.text
    r = world.client.get("/01/16937102000015/10/L1")
    assert r.status_code == 400
    assert r.json()["error"] == {
        "code": "check_digit",
        "message": "GTIN check digit should be 4, got 5",
        "field": "01",
        "severity": "error",
    }


def test_unknown_product_is_a_helpful_404_page(world: World) -> None:
    r = world.client.get("/01/06901234567892/10/L1", headers=HTML)
    assert r.status_code == 404
    assert "Product not found" in r.text and "another brand" in r.text
    assert "06901234567892" in r.text


@pytest.mark.parametrize(
    "path",
    [
        f"/01/{GTIN}/10/L%00",
        f"/01/{GTIN}/10/%2e%2e/21/x",
        f"/01/{GTIN}/10/" + "A" * 5000,
        f"/01/{GTIN}/10/L1?17=" + "9" * 3000,
        f"/01/{GTIN}/10/%ED%A0%80",
        f"/01/{GTIN}/10/L1/21/S1/99/x",
        f"/01/{GTIN}/10/L1?17=000000",
        "/01/",
    ],
)
def test_bad_input_is_4xx_never_500(world: World, path: str) -> None:
    before = world.counts()
    for headers in (HTML, {}):
        r = world.client.get(path, headers=headers)
        assert 400 <= r.status_code < 500, (path, r.status_code, r.text[:200])
        assert "<script>" not in r.text
    assert world.counts() == before


def test_requests_change_nothing(world: World) -> None:
    before = world.counts()
    for path in (f"/01/{GTIN}/10/L1/21/S1", f"/01/{GTIN}/10/L2", f"/01/{GTIN}/10/NEW"):
        world.client.get(path, headers=HTML)
        world.client.get(path, headers={"accept": "application/linkset+json"})
    world.client.post(f"/01/{GTIN}/10/L1", json={"recalled": False})
    assert world.counts() == before
    assert "Recalled" in _page(world, f"/01/{GTIN}/10/L2")


def test_other_query_parameters_are_ignored_and_not_echoed(world: World) -> None:
    page = _page(world, f"/01/{GTIN}/10/L1?<script>alert(1)</script>=x&utm=%3Cb%3E")
    assert '<div class="word">Verified</div>' in page
    assert "<script" not in page and "alert(1)" not in page and "<b>" not in page


def test_head_answers_like_get_without_a_body(world: World) -> None:
    r = world.client.head(f"/01/{GTIN}/10/L1", headers=HTML)
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"].startswith("text/html")
    r = world.client.head("/01/16937102000015/10/L1")
    assert r.status_code == 400


def test_pages_forbid_scripts_and_other_hosts(world: World) -> None:
    for path in (f"/01/{GTIN}/10/L1", "/01/16937102000015", "/01/06901234567892"):
        r = world.client.get(path, headers=HTML)
        csp = r.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert r.headers["cache-control"] == "no-cache"
        assert r.headers["x-content-type-options"] == "nosniff"
