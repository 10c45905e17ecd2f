"""Issue 12, item 12: every malformed request is a 4xx with a clear message, never a 500.

The protections are central (api/guard.py, api/jsonbody.py, the bounded types of api/deps.py,
api/errors.py), so each case is tried on several routes, and two tests check that every route
of the app has them.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.unit.api.conftest import ADMIN, FARM, REG, make_client

HUGE = str(2**63)  # one past the largest bigint
JSON = {"Content-Type": "application/json"}


def _error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body
    err: dict[str, Any] = body["error"]
    assert err["code"] and err["message"], err
    return err


def _party(client: TestClient) -> None:
    r = client.post("/parties", json={"id": "farm", "name": "Farm"}, headers=ADMIN)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/ledger/entries/{HUGE}", "path.index"),
        (f"/ledger/proof/inclusion?index=0&size={HUGE}", "query.size"),
        (f"/ledger/proof/inclusion?index={HUGE}&size=1", "query.index"),
        (f"/ledger/proof/consistency?old=1&new={HUGE}", "query.new"),
        (f"/deadletters/{HUGE}", "path.dead_letter_id"),
        (f"/deadletters?offset={HUGE}", "query.offset"),
        (f"/parties?offset={HUGE}", "query.offset"),
        (f"/products?offset={HUGE}", "query.offset"),
        (f"/lots?offset={10**40}", "query.offset"),
        ("/devices?limit=0", "query.limit"),
    ],
)
def test_integers_beyond_64_bits_are_a_422(client: TestClient, path: str, field: str) -> None:
    err = _error(client.get(path, headers=ADMIN), 422)
    assert err["code"] == "invalid" and err["field"] == field


def test_every_integer_parameter_is_bounded(client: TestClient) -> None:
    """A new route with a plain ``int`` parameter fails here: use api.deps' bounded types."""
    spec = client.get("/openapi.json").json()
    loose = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for p in op.get("parameters", []):
                schema = p.get("schema", {})
                kinds = [schema, *schema.get("anyOf", [])]
                for k in kinds:
                    if k.get("type") == "integer" and "maximum" not in k:
                        loose.append(f"{method.upper()} {path} {p['name']}")
    assert not loose, f"unbounded integer parameters: {loose}"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ('{"id": "a", "name": "A", "roles": [1e400]}', "body.roles[0]", "1e400"),
        ('{"id": "a", "name": "A", "roles": [1e-400]}', "body.roles[0]", "1e-400"),
        ('{"id": "a", "name": "A", "roles": [' + HUGE + "]}", "body.roles[0]", "64-bit"),
        ('{"id": "a", "name": "A", "roles": [' + "9" * 5000 + "]}", None, "not valid JSON"),
        ('{"id": "a", "name": "\\ud800"}', "body.name", "surrogate"),
        ('{"id": "a", "name": "a\\u0000b"}', "body.name", "NUL"),
        ('{"id": "a", "name": "A", "x\\u0000": 1}', "body", "member name"),
        ('{"id": "a", "name": "A", "roles": ' + "[" * 900 + "]" * 900 + "}", None, "deeper"),
        ("[" * 100_000 + "]" * 100_000, "body", "deeper"),
        ('{"id": "a", "name": "A"', None, "not valid JSON"),
        (b'{"id": "a", "name": "\xff"}', None, "not valid JSON"),
    ],
)
def test_bodies_no_store_can_keep_are_a_422(
    client: TestClient, body: str | bytes, field: str | None, words: str
) -> None:
    err = _error(client.post("/parties", content=body, headers={**ADMIN, **JSON}), 422)
    assert err["code"] == "json_invalid" and words in err["message"], err
    if field is not None:
        assert err["field"] == field


def test_a_float_too_large_is_refused_not_stored_as_infinity(client: TestClient) -> None:
    _party(client)
    loc = (
        '{"id": "f", "name": "F", "party_id": "farm", "latitude": 1e400, '
        '"sgln": "urn:epc:id:sgln:6937101.00001.0"}'
    )
    err = _error(client.post("/locations", content=loc, headers={**ADMIN, **JSON}), 422)
    assert err["field"] == "body.latitude"
    prod = (
        '{"gtin": "06937101000018", "name": "O", "category": "food", "party_id": "farm", '
        '"attributes": {"weight": 1e400}}'
    )
    err = _error(client.post("/products", content=prod, headers={**ADMIN, **JSON}), 422)
    assert err["field"] == "body.attributes.weight"
    tiny = prod.replace("1e400", "1e-400")  # underflows to 0.0: refused, not stored as 0
    err = _error(client.post("/products", content=tiny, headers={**ADMIN, **JSON}), 422)
    assert err["field"] == "body.attributes.weight" and "underflows" in err["message"]
    assert client.get("/products/06937101000018").status_code == 404  # nothing stored


@pytest.mark.parametrize(
    "path",
    [
        "/parties/a%00b",  # unauthenticated
        "/products/0693710100001%00",
        "/lots?gtin=%00",
        "/devices?party_id=a%00b",
        "/ledger/receipt/x%00y",
        "/parties/a%01b",
        "/lots?gtin=%ED%A0%80",  # a lone surrogate, UTF-8-encoded: not UTF-8
        "/lots?gtin=%FF",
    ],
)
def test_nul_and_control_characters_in_path_or_query_are_a_400(
    client: TestClient, path: str
) -> None:
    err = _error(client.get(path, headers=REG), 400)
    assert err["code"] == "invalid_characters"
    if "?" in path:  # the query parameter is named
        assert err["field"] == "query." + path.split("?")[1].split("=")[0], err
    else:
        assert err["field"] == "path", err


def test_bodies_over_the_limit_are_a_413(sqlite_url: str, tmp_path: Any) -> None:
    client = make_client(sqlite_url, tmp_path, api_max_body_bytes=64 * 1024)
    big = b'{"id": "a", "name": "' + b"x" * (20 * 1024 * 1024) + b'"}'
    err = _error(client.post("/parties", content=big, headers={**ADMIN, **JSON}), 413)
    assert err["code"] == "too_large" and "65536" in err["message"]

    def chunks() -> Any:  # no Content-Length: counted as it streams
        yield b'{"id": "a", "name": "'
        for _ in range(100):
            yield b"x" * 4096
        yield b'"}'

    err = _error(client.post("/parties", content=chunks(), headers={**ADMIN, **JSON}), 413)
    assert err["code"] == "too_large"
    ok = b'{"id": "a", "name": "' + b"x" * 100 + b'"}'
    assert client.post("/parties", content=ok, headers={**ADMIN, **JSON}).status_code == 201


def test_the_default_body_limit_refuses_20_mb(client: TestClient) -> None:
    big = b"[" + b"0," * (10 * 1024 * 1024) + b"0]"
    err = _error(client.post("/parties", content=big, headers={**ADMIN, **JSON}), 413)
    assert err["code"] == "too_large"


def test_validation_errors_do_not_echo_huge_or_unrenderable_input(client: TestClient) -> None:
    _party(client)
    body = {"id": "x" * 100_000, "name": "A"}
    err = _error(client.post("/parties", json=body, headers=ADMIN), 422)
    assert err["field"] == "body.id" and len(str(err)) < 2000
    err = _error(client.post("/locations", json={"latitude": "north"}, headers=FARM), 422)
    assert err["code"] == "invalid" and err["errors"]


def test_every_route_reads_json_strictly_and_is_guarded(client: TestClient) -> None:
    from api.guard import RequestGuard
    from api.jsonbody import StrictJSONRoute

    app: Any = client.app
    routes = [r for r in app.routes if isinstance(r, APIRoute)]
    loose = [r.path for r in routes if not isinstance(r, StrictJSONRoute) and r.path != "/healthz"]
    assert not loose
    assert any(m.cls is RequestGuard for m in app.user_middleware)
