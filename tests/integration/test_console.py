"""The console and the public notices over the demo world on TimescaleDB: sign-in and the
session cookie, CSRF refusal, role separation, escaping, the trace graph, recalls and
violations published at once in the Atom and JSON feeds, the producer's labels and devices."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from tests.integration.test_trace_api import _run_with_db
from tests.support.services import clone_database
from traceability.config import Settings
from traceability.signing import ed25519

ATOM = "{http://www.w3.org/2005/Atom}"
TOKENS = (
    "reg-token:regulator,pack-token:producer:yubei-packhouse,pharma-token:producer:banan-pharma"
)
ADMIN = {"Authorization": "Bearer admin-secret"}
LOT = "(01)16937102000014(10)FJ26120375"  # the demo's recalled lot (yubei-packhouse's)
DRUG_GTIN = "06937201000017"  # banan-pharma's


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, pg_template: str
) -> Iterator[tuple[Settings, dict[str, Any]]]:
    data_dir = tmp_path_factory.mktemp("console")
    with clone_database(pg_template, prefix="suyuan_console") as url:
        proc = _run_with_db(["demo", "--once", "--json"], data_dir, url)
        assert proc.returncode == 0, proc.stderr[-3000:]
        settings = Settings(
            database_url=url, data_dir=data_dir, admin_token="admin-secret", api_tokens=TOKENS
        )
        yield settings, json.loads(proc.stdout)["samples"]


def _client(world: Any) -> TestClient:
    return TestClient(create_app(world[0]), base_url="http://testserver")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, html[:500]
    return found.group(1)


def _sign_in(client: TestClient, token: str) -> str:
    form = client.get("/console/login")
    r = client.post(
        "/console/login",
        data={"token": token, "csrf": _csrf(form.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    page = client.get("/console")
    assert page.status_code == 200
    return _csrf(page.text)


def test_sign_in_opens_a_strict_session_and_sign_out_ends_it(world: Any) -> None:
    client = _client(world)
    r = client.get("/console/recalls", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login"
    form = client.get("/console/login")
    bad = client.post("/console/login", data={"token": "nope", "csrf": _csrf(form.text)})
    assert bad.status_code == 401 and "not valid" in bad.text
    assert "suyuan_console" not in client.cookies
    # the sign-in form itself needs its CSRF token (the pre-session nonce's MAC)
    client.cookies.clear()
    r = client.post("/console/login", data={"token": "reg-token", "csrf": "forged"})
    assert r.status_code == 403 and "suyuan_console" not in client.cookies
    form = client.get("/console/login")
    r = client.post(
        "/console/login",
        data={"token": "reg-token", "csrf": _csrf(form.text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"].lower()
    for part in (
        "suyuan_console=",
        "httponly",
        "samesite=strict",
        "max-age=28800",
        "path=/console",
    ):
        assert part in cookie, cookie
    page = client.get("/console")
    assert page.status_code == 200 and "Search any code" in page.text
    assert "no-store" in page.headers["cache-control"]
    assert "script-src" not in page.headers["content-security-policy"]  # default-src 'none'
    # a tampered cookie is no session
    value = client.cookies["suyuan_console"]
    other = _client(world)
    other.cookies.set("suyuan_console", value[:-3] + "AAA")
    assert other.get("/console", follow_redirects=False).status_code == 303
    csrf = _csrf(client.get("/console").text)
    out = client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and 'suyuan_console=""' in out.headers["set-cookie"]
    assert client.get("/console", follow_redirects=False).status_code == 303
    # the cookie, kept and replayed after signing out, opens nothing
    other.cookies.clear()
    other.cookies.set("suyuan_console", value)
    assert other.get("/console", follow_redirects=False).status_code == 303


def test_posts_without_their_csrf_token_change_nothing(world: Any) -> None:
    client = _client(world)
    csrf = _sign_in(client, "reg-token")
    before = client.get("/notices.json").json()["items"]
    form = {"party_id": "yuzhong-fresh", "decision": "sold expired goods", "decided_by": "amr"}
    for data, headers in (
        (form, {}),
        ({**form, "csrf": "x" * 32}, {}),
        ({**form, "csrf": csrf}, {"Origin": "https://evil.example"}),
    ):
        r = client.post("/console/violations", data=data, headers=headers)
        assert r.status_code == 403, r.text
        assert "csrf" in r.text or "origin" in r.text
    r = client.post("/console/violations", data={**form, "csrf": csrf, "decision": "a\x00b"})
    assert r.status_code == 400 and "decision" in r.text
    r = client.post(
        "/console/violations",
        content=json.dumps(form),
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 400 and "x-www-form-urlencoded" in r.text
    assert client.get("/notices.json").json()["items"] == before


def test_roles_are_kept_apart(world: Any) -> None:
    pack, pharma, reg = _client(world), _client(world), _client(world)
    _sign_in(pack, "pack-token")
    _sign_in(pharma, "pharma-token")
    _sign_in(reg, "reg-token")
    mine = pack.get("/console").text
    assert "FJ26120375" in mine and DRUG_GTIN not in mine
    theirs = pharma.get("/console").text
    assert DRUG_GTIN in theirs and "FJ26120375" not in theirs
    for path in (
        "/console/recalls",
        "/console/ledger",
        "/console/violations",
        "/console/deadletters",
    ):
        assert pack.get(path).status_code == 403, path
    assert pack.get("/console/item", params={"code": LOT}).status_code == 403
    for path in ("/console/labels", "/console/devices"):
        assert reg.get(path).status_code == 403, path
    assert pharma.get("/console/devices").text.count("packhouse-line") == 0
    assert "packhouse-line-01" in pack.get("/console/devices").text


def test_the_trace_graph_and_custody_with_proofs(world: Any) -> None:
    client = _client(world)
    _sign_in(client, "reg-token")
    r = client.get("/console/item", params={"code": LOT})
    assert r.status_code == 200, r.text
    page = r.text
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="trace-graph"') == 2
    nodes = re.findall(r'<g class="node node-(\w+)( affected)?"', page)
    assert (
        len(nodes) > 5
        and any(a for _, a in nodes)
        and {"party", "location"} <= {k for k, _ in nodes}
    )
    assert "RECALLED" in page and "重庆渝北鲜果包装有限公司" in page  # party names as text
    receipt = re.search(r'href="(/console/receipt/\d+)"', page)
    assert receipt
    got = client.get(receipt.group(1))
    assert got.status_code == 200 and "attachment" in got.headers["content-disposition"]
    assert got.text.startswith("c2sp.org/tlog-proof@v1")
    for code in (
        "urn:epc:id:sscc:69371020.025079058",
        "https://id.gs1.org/01/16937102000014/10/FJ26120375",
    ):
        assert "trace-graph" in client.get("/console/item", params={"code": code}).text
    small = client.get("/console/item", params={"code": LOT, "nodes": 5}).text
    shown = re.findall(r"showing 5 of (\d+) nodes", small)
    assert "Truncated" in small and shown and all(int(n) > 5 for n in shown)
    assert len(re.findall(r'<g class="node', small)) == 10  # five in each graph
    bad = client.get("/console/item", params={"code": "(01)16937102000015(10)X"})
    assert bad.status_code == 400 and "check digit" in bad.text.lower()
    assert client.get("/console/receipt/999999999").status_code == 404


def test_a_recall_is_in_both_feeds_at_once_with_its_ledger_entry(world: Any) -> None:
    client = _client(world)
    csrf = _sign_in(client, "reg-token")
    r = client.post(
        "/console/recalls",
        data={
            "csrf": csrf,
            "lots": f"{DRUG_GTIN} B2611266",
            "items": "",
            "level": "CN-II",
            "reason": "capsules <b>cracked</b> & leaking",
            "opened_by": "cq-mpa",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    rid = r.headers["location"].rsplit("/", 1)[1]
    report = client.get(f"/console/recalls/{rid}")
    assert report.status_code == 200 and "&lt;b&gt;cracked&lt;/b&gt; &amp; leaking" in report.text
    xlsx = client.get(f"/console/recalls/{rid}/fsma204/{DRUG_GTIN}/B2611266")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    anon = TestClient(create_app(world[0]), base_url="http://testserver")
    feed = ET.fromstring(anon.get("/notices.atom").content)
    assert feed.tag == f"{ATOM}feed"
    for tag in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{tag}") is not None, tag
    entries = feed.findall(f"{ATOM}entry")
    mine = [x for x in entries if rid in (x.findtext(f"{ATOM}title") or "")]
    assert len(mine) == 1
    entry = mine[0]
    assert entry.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
    assert "capsules <b>cracked</b> & leaking" in entry.findtext(f"{ATOM}summary", "")
    related = [x.get("href", "") for x in entry.findall(f"{ATOM}link") if x.get("rel") == "related"]
    jf = anon.get("/notices.json")
    assert jf.headers["content-type"].startswith("application/feed+json")
    doc = jf.json()
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    item = next(i for i in doc["items"] if i["_suyuan"]["notice_id"] == rid)
    index = item["_suyuan"]["ledger_index"]
    assert related == [f"http://testserver/ledger/entries/{index}"]
    assert item["external_url"] == related[0] and item["id"] == entry.findtext(f"{ATOM}id")
    proof = anon.get(f"/ledger/entries/{index}").json()
    assert proof["index"] == index and proof["kind"] == "event"
    page = anon.get("/notices").text
    assert f'id="{rid}"' in page and f'href="/ledger/entries/{index}"' in page
    assert "<b>cracked" not in page


def test_a_violation_decision_is_ledgered_published_escaped_and_audited(world: Any) -> None:
    settings, _ = world
    client = _client(world)
    csrf = _sign_in(client, "reg-token")
    text = "<script>alert('x')</script> sold expired milk"
    r = client.post(
        "/console/violations",
        data={"csrf": csrf, "party_id": "yuzhong-fresh", "decision": text, "decided_by": "cq-amr"},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/notices#SV-")
    listed = client.get("/console/violations").text
    assert "重庆渝中山城生鲜超市有限公司" in listed and "<script>alert" not in listed
    notices = client.get("/notices").text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in notices
    assert "<script>" not in notices
    item = client.get("/notices.json").json()["items"][0]
    assert item["content_text"] == text and item["_suyuan"]["kind"] == "violation"
    entry = client.get(f"/ledger/entries/{item['_suyuan']['ledger_index']}").json()
    assert entry["kind"] == "party.violation" and entry["record"]["body"]["decision"] == text
    # the audit accepts the new entries and the console shows its result
    proc = _run_with_db(["verify"], settings.data_dir, settings.effective_database_url)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ledger = client.get("/console/ledger").text
    assert "PASSED" in ledger and "Latest checkpoint" in ledger


def test_producer_prints_labels_enrols_and_revokes_devices(world: Any) -> None:
    pack, pharma, admin = _client(world), _client(world), _client(world)
    # a product name with markup is shown escaped
    r = admin.post(
        "/products",
        json={"gtin": "06937102000031", "name": "<script>x()</script>橙汁", "category": "food",
              "party_id": "yubei-packhouse"},
        headers=ADMIN,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    csrf = _sign_in(pack, "pack-token")
    home = pack.get("/console").text
    assert "&lt;script&gt;x()&lt;/script&gt;橙汁" in home and "<script>x()" not in home
    r = pack.post(
        "/console/labels",
        data={"csrf": csrf, "gtin": DRUG_GTIN, "lot": "L1", "expiry": "2027-06-30",
              "count": "2", "format": "svg"},
    )  # fmt: skip
    assert r.status_code == 403  # not its product
    r = pack.post(
        "/console/labels",
        data={"csrf": csrf, "gtin": "16937102000014", "lot": "L9", "expiry": "2027-06-30",
              "count": "2", "format": "svg"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303, r.text
    run = pack.get(r.headers["location"]).text
    files = re.findall(r'href="(/console/labels/[0-9a-f]{32}/files/[^"]+\.svg)"', run)
    assert len(files) == 2
    got = pack.get(files[0])
    assert got.status_code == 200 and b"<svg" in got.content
    _sign_in(pharma, "pharma-token")
    assert pharma.get(files[0]).status_code == 404  # another party's run
    assert "L9" in pack.get("/console/labels").text
    # enrol a device with a fresh key, then revoke it
    _, public = ed25519.generate_keypair()
    r = pack.post(
        "/console/devices",
        data={"csrf": csrf, "device_id": "console-reader-1", "location_id": "packhouse",
              "kind": "reader", "public_key": public.hex()},
    )  # fmt: skip
    assert r.status_code == 200 and "console-reader-1 enrolled" in r.text, r.text
    r = pack.post("/console/devices", data={"csrf": csrf, "device_id": "x-2",
                  "location_id": "packhouse", "public_key": "zz"})  # fmt: skip
    assert r.status_code == 400 and "public_key" in r.text
    r = pharma.post(
        "/console/devices/console-reader-1/revoke",
        data={"csrf": _csrf(pharma.get("/console").text), "reason": "not mine"},
    )
    assert r.status_code == 404
    r = pack.post("/console/devices/console-reader-1/revoke", data={"csrf": csrf, "reason": "lost"})
    assert r.status_code == 200 and "console-reader-1 revoked" in r.text
    keys = admin.get("/devices/console-reader-1/keys", headers=ADMIN).json()
    assert keys and all(k["revoked_at"] for k in keys)
    assert admin.get("/devices/console-reader-1", headers=ADMIN).json()["status"] == "revoked"


def test_paths_stay_inside_the_console(world: Any, tmp_path: Path) -> None:
    client = _client(world)
    _sign_in(client, "pack-token")
    for path in (
        "/console/labels/../../ledger/files/x",
        "/console/labels/0123456789abcdef0123456789abcdef/files/..%2F..%2Flog.key",
        "/console/recalls/%00",
    ):
        r = client.get(path)
        assert r.status_code in (400, 403, 404, 422), (path, r.status_code)
        assert b"BEGIN" not in r.content
