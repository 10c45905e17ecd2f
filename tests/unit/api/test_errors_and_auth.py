"""One error format for every answer (issue 12, item 17), strict bearer tokens (item 11), the
bearer scheme in OpenAPI, and codes validated on reads (item 17)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.unit.api.conftest import ADMIN, FARM, SHOP


def _error(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error"}, body  # never FastAPI's {"detail": ...}
    err: dict[str, Any] = body["error"]
    assert isinstance(err["code"], str) and isinstance(err["message"], str) and err["message"]
    return err


def test_every_status_has_the_same_shape(client: TestClient) -> None:
    party = {"id": "farm", "name": "Farm"}
    assert _error(client.post("/parties", json=party), 401)["code"] == "unauthenticated"
    assert _error(client.post("/parties", json=party, headers=FARM), 403)["code"] == "forbidden"
    assert client.post("/parties", json=party, headers=ADMIN).status_code == 201
    assert _error(client.post("/parties", json=party, headers=ADMIN), 409)["code"] == "conflict"
    err = _error(client.get("/parties/nobody"), 404)
    assert err["code"] == "not_found" and err["field"] == "party"
    assert _error(client.get("/no/such/path"), 404)["code"] == "not_found"
    assert _error(client.delete("/parties/farm"), 405)["code"] == "method_not_allowed"
    err = _error(client.post("/parties", json={"name": "x"}, headers=ADMIN), 422)
    assert err["code"] == "invalid" and err["field"] == "body.id"
    err = _error(client.get("/parties?limit=x", headers=ADMIN), 422)
    assert err["field"] == "query.limit"
    key = {"public_key": "00"}
    client.post(
        "/locations",
        json={"id": "f", "name": "F", "party_id": "farm", "gln": "6937101000018"},
        headers=ADMIN,
    )
    dev = {"id": "d", "location_id": "f", "party_id": "farm"}
    assert client.post("/devices", json=dev, headers=ADMIN).status_code == 201
    err = _error(client.post("/devices/d/keys", json=key, headers=ADMIN), 400)
    assert err["code"] == "weak_key" and err["field"] == "public_key"


def test_401_says_bearer(client: TestClient) -> None:
    r = client.get("/parties")
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer \xa0",  # str.strip() made this an empty token, which matched an empty admin token
        "Bearer ",
        "Bearer",
        "Bearer \tadmin-secret",
        "Bearer admin-secret\xa0",
        "Bearer admin-secret ",
        "Bearer admin secret",
        "Basic admin-secret",
        "admin-secret",
        "Bearer admin-secreT",
        "Bearer admin-secre",
    ],
)
def test_only_the_exact_token_authenticates(client: TestClient, header: str) -> None:
    r = client.get("/parties", headers={"Authorization": header.encode("latin-1")})
    assert _error(r, 401)["code"] == "unauthenticated"


def test_the_scheme_is_case_insensitive(client: TestClient) -> None:
    for header in ("Bearer admin-secret", "bearer admin-secret", "BEARER  admin-secret"):
        assert client.get("/parties", headers={"Authorization": header}).status_code == 200


def test_a_wrong_token_on_a_public_route_is_still_refused(client: TestClient) -> None:
    client.post("/parties", json={"id": "farm", "name": "Farm"}, headers=ADMIN)
    assert client.get("/parties/farm").status_code == 200
    assert client.get("/devices", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_openapi_declares_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    ((name, scheme),) = schemes.items()
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    ops = spec["paths"]
    assert {name: []} in ops["/devices"]["get"]["security"]
    assert {name: []} in ops["/parties"]["post"]["security"]
    assert {name: []} in ops["/deadletters"]["get"]["security"]


def _farm_with_product(client: TestClient) -> None:
    client.post("/parties", json={"id": "farm", "name": "Farm"}, headers=ADMIN)
    prod = {"gtin": "06937101000018", "name": "O", "category": "food", "party_id": "farm"}
    assert client.post("/products", json=prod, headers=FARM).status_code == 201


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/lots?gtin=06937101000017", "check_digit"),
        ("/lots?gtin=abc", "charset"),
        ("/lots?gtin=123", "length"),
        ("/products/abc", "charset"),
        ("/products/6937101000017", "check_digit"),
        ("/products/000000000000000000006937101000018", "length"),
    ],
)
def test_codes_in_reads_are_validated(client: TestClient, path: str, code: str) -> None:
    _farm_with_product(client)
    err = _error(client.get(path), 400)
    assert err["code"] == code and err["field"] == "gtin"


def test_valid_gtins_of_any_length_find_the_product(client: TestClient) -> None:
    _farm_with_product(client)
    for gtin in ("06937101000018", "6937101000018"):
        assert client.get(f"/products/{gtin}").json()["gtin"] == "06937101000018"
    client.post("/lots", json={"gtin": "06937101000018", "lot": "L1"}, headers=FARM)
    assert [x["lot"] for x in client.get("/lots?gtin=6937101000018").json()] == ["L1"]
    err = _error(client.get("/products?category=toys"), 422)
    assert err["field"] == "query.category"


def test_uscc_rule(client: TestClient) -> None:
    """Shape errors are refused; a failing check character is registered and flagged."""
    bad_check = {"id": "a", "name": "A", "uscc": "91350100M000100Y44"}
    r = client.post("/parties", json=bad_check, headers=ADMIN)
    assert r.status_code == 201
    assert r.json()["uscc_checksum_valid"] is False
    assert r.json()["uscc_warning"] == (
        "unified social credit code check character should be 3, got 4"
    )
    shown = client.get("/parties/a").json()
    assert shown["uscc_checksum_valid"] is False and shown["uscc_warning"]
    listed = client.get("/parties", headers=SHOP).json()
    assert listed[0]["uscc_checksum_valid"] is False
    good = {"id": "b", "name": "B", "uscc": "91350100M000100Y43"}
    assert client.post("/parties", json=good, headers=ADMIN).json()["uscc_checksum_valid"] is True
    for shape in ("91350100M000100I43", "9135010", "91ABCDEFM000100Y43"):
        err = _error(client.post("/parties", json={**good, "uscc": shape}, headers=ADMIN), 422)
        assert err["field"] == "body.uscc"


def test_uscc_rule_is_one_for_the_api_and_id_check(client: TestClient) -> None:
    """``tracectl id check`` states the flags ``POST /parties`` gives, from one function."""
    import json as _json

    from typer.testing import CliRunner

    from traceability.cli.id_cmd import app as id_app
    from traceability.identifiers.cn import uscc_check_char

    base = "91350100M000100Y4"
    wrong_org = base[:16] + "X"  # the organisation code's check character fails
    codes = [
        base + uscc_check_char(base),  # valid
        base + "4",  # the GB 32100 check character fails
        wrong_org + uscc_check_char(wrong_org),  # only the GB 11714 check fails
        wrong_org + "0",  # both fail
    ]
    seen = set()
    for i, code in enumerate(codes):
        api = client.post(
            "/parties", json={"id": f"u{i}", "name": "U", "uscc": code}, headers=ADMIN
        )
        assert api.status_code == 201, api.text
        out = CliRunner().invoke(id_app, ["check", code, "--json"])
        cli = _json.loads(out.stdout)
        assert cli["kind"] == "uscc"
        flags = (cli["uscc_checksum_valid"], cli["uscc_warning"])
        assert flags == (api.json()["uscc_checksum_valid"], api.json()["uscc_warning"])
        assert cli["valid"] is flags[0]  # id check's verdict is the same rule
        assert out.exit_code == (0 if flags[0] else 1)
        text = CliRunner().invoke(id_app, ["check", code]).stdout
        assert f"uscc_checksum_valid: {str(flags[0]).lower()}" in text
        seen.add(flags)
    assert len(seen) == 4  # valid, and three different warnings
