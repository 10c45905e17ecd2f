"""The ledger API routes (``api/routes/ledger.py``) on a store of a few hundred records.

Every proof the API serves is checked with :mod:`traceability.ledger.merkle`'s verifiers against
roots computed by the store, on SQLite and on TimescaleDB (one store per backend for the module:
the tests only read, except the last one, which appends and signs again).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.main import create_app
from tests.support.ledger import event, setup_device, submissions
from tests.support.services import clone_database
from traceability.config import Settings
from traceability.ledger import checkpoint, merkle, note, receipt, records, service
from traceability.ledger.errors import ProofError
from traceability.store.engine import create_engine, upgrade

N_EVENTS = 300
SIZE = N_EVENTS + 1  # entry 0 registers the device key
BEYOND = SIZE + 1000  # never in the log


@dataclass
class Api:
    client: TestClient
    engine: Engine
    settings: Settings
    event_hashes: dict[int, str]  # index -> event hash
    seed: bytes
    kid: str

    def root(self, size: int) -> bytes:
        with Session(self.engine) as s:
            return service.root_at(s, size)

    def size(self) -> int:
        with Session(self.engine) as s:
            return service.log_size(s)


def unique_event(i: int) -> dict[str, Any]:
    """The helpers' event ``i`` with a distinct time (theirs repeat every 60)."""
    ev = event(i)
    ev["eventTime"] = f"2026-11-27T{i // 60 % 24:02d}:{i % 60:02d}:00Z"
    ev["eventTimeZoneOffset"] = "+00:00"
    return ev


def _sign(a: Api) -> checkpoint.Checkpoint:
    with Session(a.engine) as s:
        cp = checkpoint.sign_checkpoint(s, settings=a.settings, collect=False)
        s.commit()
    return cp


@pytest.fixture(scope="module", params=["sqlite", "timescale"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    tmp = tmp_path_factory.mktemp(f"api-{request.param}")
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp / 'suyuan.db'}"
            upgrade(url=url)
        else:
            url = stack.enter_context(
                clone_database(request.getfixturevalue("pg_template"), prefix="suyuan_api")
            )
        engine = create_engine(url=url)
        stack.callback(engine.dispose)
        settings = Settings(data_dir=tmp, database_url=url)
        with Session(engine) as s:
            seed, kid = setup_device(s)
            results = []
            for k in range(0, N_EVENTS, 25):
                subs = submissions(seed, kid, [unique_event(i) for i in range(k, k + 25)], seq=k)
                results += service.append_events(s, submissions=subs)
            s.commit()
            assert [r.status for r in results] == ["appended"] * N_EVENTS
            assert service.log_size(s) == SIZE
            hashes = {
                r.index: str(service.get_record(s, index=r.index).event_hash) for r in results
            }
        client = stack.enter_context(TestClient(create_app(settings)))
        a = Api(client, engine, settings, hashes, seed, kid)
        # Before the first checkpoint: neither a checkpoint nor receipts, with a clear code.
        r = client.get("/ledger/checkpoint")
        assert r.status_code == 422 and r.json()["error"]["code"] == "no_checkpoint"
        r = client.get(f"/ledger/receipt/{quote(hashes[1], safe='')}")
        assert r.status_code == 422 and r.json()["error"]["code"] == "no_checkpoint"
        _sign(a)
        yield a


def test_checkpoint_route(api: Api) -> None:
    r = api.client.get("/ledger/checkpoint")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    assert r.headers["cache-control"] == "no-cache"
    log = checkpoint.load_log_signer(api.settings).verifier
    assert note.verified_by(r.text, log) == 0
    cp = checkpoint.parse(r.text)
    n = api.size()
    assert (cp.origin, cp.size, cp.root) == (api.settings.log_origin, n, api.root(n))
    text, sigs = note.split(r.text)
    assert text == checkpoint.body(cp.origin, cp.size, cp.root)
    assert [s.name for s in sigs] == [api.settings.log_origin]


def _b64s(items: list[str]) -> list[bytes]:
    return [base64.b64decode(x) for x in items]


def test_inclusion_proofs_verify(api: Api) -> None:
    roots = {n: api.root(n) for n in (1, 2, 3, 64, 100, 255, 256, 257, SIZE)}
    cases = [(0, 1), (0, 2), (1, 2), (2, 3), (63, 64), (0, 100), (99, 100)]
    cases += [(i, n) for n in (255, 256, 257) for i in (0, 128, n - 1)]
    cases += [(i, SIZE) for i in (0, 1, 7, 150, 255, 256, SIZE - 2, SIZE - 1)]
    for index, size in cases:
        r = api.client.get("/ledger/proof/inclusion", params={"index": index, "size": size})
        assert r.status_code == 200, (index, size, r.text)
        body = r.json()
        assert (body["index"], body["size"]) == (index, size)
        proof = _b64s(body["proof"])
        assert len(proof) == len(merkle.inclusion_ranges(index, size))
        entry = api.client.get(f"/ledger/entries/{index}").json()
        leaf = merkle.leaf_hash(base64.b64decode(entry["record_b64"]))
        merkle.verify_inclusion(index, size, leaf, proof, roots[size])
        if proof:  # a proof for another index does not verify
            with pytest.raises(ProofError):
                merkle.verify_inclusion((index + 1) % size, size, leaf, proof, roots[size])
    for params in (
        {"index": SIZE, "size": SIZE},  # index outside the tree
        {"index": 0, "size": BEYOND},  # tree larger than the log
    ):
        r = api.client.get("/ledger/proof/inclusion", params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == "bad_proof", params
    invalid: list[dict[str, int | str]] = [
        {"index": -1, "size": 5},
        {"index": 0, "size": 0},
        {"index": "x", "size": 1},
    ]
    for bad in invalid:  # rejected by the query validation
        assert api.client.get("/ledger/proof/inclusion", params=bad).status_code == 422


def test_consistency_proofs_verify(api: Api) -> None:
    sizes = (1, 2, 3, 7, 8, 64, 100, 150, 255, 256, 257, SIZE)
    roots = {n: api.root(n) for n in sizes}
    for old in sizes:
        for new in (n for n in sizes if n >= old):
            r = api.client.get("/ledger/proof/consistency", params={"old": old, "new": new})
            assert r.status_code == 200, (old, new, r.text)
            body = r.json()
            assert (body["old"], body["new"]) == (old, new)
            proof = _b64s(body["proof"])
            merkle.verify_consistency(old, new, roots[old], roots[new], proof)
            if old < new and proof:
                with pytest.raises(ProofError):
                    merkle.verify_consistency(old, new, roots[new], roots[new], proof)
    for params in ({"old": 10, "new": 5}, {"old": 1, "new": BEYOND}):
        r = api.client.get("/ledger/proof/consistency", params=params)
        assert r.status_code == 422 and r.json()["error"]["code"] == "bad_proof", params
    for params in ({"old": 0, "new": 5}, {"old": 1}):
        assert api.client.get("/ledger/proof/consistency", params=params).status_code == 422


def test_entries_route(api: Api) -> None:
    key = api.client.get("/ledger/entries/0").json()
    assert key["index"] == 0 and key["kind"] == "key.register"
    assert key["record"]["body"]["key_id"] == api.kid
    for index in (1, 150, SIZE - 1):
        r = api.client.get(f"/ledger/entries/{index}")
        assert r.status_code == 200
        body = r.json()
        raw = base64.b64decode(body["record_b64"])
        assert body["index"] == index and body["kind"] == "event"
        assert body["record"] == records.parse_record(raw)
        assert body["record"]["index"] == index
        assert body["record"]["event_hash"] == api.event_hashes[index]
        assert bytes.fromhex(body["leaf_hash"]) == merkle.leaf_hash(raw)
    r = api.client.get(f"/ledger/entries/{BEYOND}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "entry_not_found"
    assert api.client.get("/ledger/entries/-1").status_code == 404
    assert api.client.get("/ledger/entries/abc").status_code == 422


def test_receipt_route(api: Api) -> None:
    cp = checkpoint.parse(api.client.get("/ledger/checkpoint").text)
    vkey = checkpoint.load_log_signer(api.settings).verifier.vkey()
    for index in (1, 2, 150, SIZE - 1):
        h = api.event_hashes[index]
        # The event id percent-encoded whole, or only its "?" (the rest is path-safe).
        r = api.client.get(f"/ledger/receipt/{quote(h, safe='')}")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("text/plain")
        assert api.client.get(f"/ledger/receipt/{h.replace('?', '%3F')}").text == r.text
        # The event id as a query parameter (httpx encodes it).
        q = api.client.get("/ledger/receipt", params={"event_id": h})
        assert q.status_code == 200 and q.text == r.text
        assert r.text.startswith(f"{receipt.HEADER}\nextra ")
        assert r.text.endswith(cp.note)
        res = receipt.verify_receipt(r.text, log_key=vkey)
        assert (res.index, res.size, res.record["event_hash"]) == (index, cp.size, h)
    # An unencoded "?" starts the query string: the id is cut short and not found.
    h = api.event_hashes[1]
    assert api.client.get(f"/ledger/receipt/{h}").status_code == 404
    unknown = "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0"
    r = api.client.get(f"/ledger/receipt/{quote(unknown, safe='')}")
    assert r.status_code == 404 and r.json()["error"]["code"] == "entry_not_found"
    assert api.client.get("/ledger/receipt/not-an-event").status_code == 404
    r = api.client.get("/ledger/receipt", params={"event_id": unknown})
    assert r.status_code == 404 and r.json()["error"]["code"] == "entry_not_found"
    assert api.client.get("/ledger/receipt").status_code == 422  # no event id
    assert api.client.get("/ledger/receipt?event_id=").status_code == 422


def test_receipt_waits_for_the_next_checkpoint(api: Api) -> None:
    """An event appended after the latest checkpoint has no receipt until the next one."""
    with Session(api.engine) as s:
        subs = submissions(api.seed, api.kid, [unique_event(900 + api.size())], seq=900)
        new = service.append_events(s, submissions=subs)
        s.commit()
        late = str(service.get_record(s, index=new[0].index).event_hash)
    url = f"/ledger/receipt/{quote(late, safe='')}"
    r = api.client.get(url)
    assert r.status_code == 422 and r.json()["error"]["code"] == "not_checkpointed"
    cp = _sign(api)
    assert cp.size == new[0].index + 1
    r = api.client.get(url)
    assert r.status_code == 200
    vkey = checkpoint.load_log_signer(api.settings).verifier.vkey()
    assert receipt.verify_receipt(r.text, log_key=vkey).size == cp.size
    assert checkpoint.parse(api.client.get("/ledger/checkpoint").text).size == cp.size
