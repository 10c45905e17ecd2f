"""Issue 12, item 12: schemathesis over the whole OpenAPI description finds no 5xx.

Every operation of ``/openapi.json`` gets a bounded number of generated requests (valid and
invalid ones: schemathesis's positive and negative modes), each sent four times -- with the
admin, a producer and a regulator token and without one -- on both stores (SQLite and the
TimescaleDB test database), each seeded with a party, location, device, key, product and lot so
that reads find rows. Any answer >= 500 fails, and so does an error answer not in the one
error format. ``TRACE_SCHEMATHESIS_EXAMPLES`` sets the examples per operation (default 25).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from api.main import create_app
from devices.keys import DeviceKeyPair
from tests.support.services import clone_database
from traceability.config import Settings
from traceability.signing.ed25519 import b64url
from traceability.store.engine import upgrade

EXAMPLES = int(os.environ.get("TRACE_SCHEMATHESIS_EXAMPLES", "25"))
ADMIN_TOKEN = "admin-token-for-schemathesis-0123456789"
PRODUCER_TOKEN = "producer-token-for-schemathesis-0123456789"
REGULATOR_TOKEN = "regulator-token-for-schemathesis-0123456789"
AUTHS: dict[str, dict[str, str]] = {
    "anonymous": {},
    "admin": {"Authorization": f"Bearer {ADMIN_TOKEN}"},
    "producer": {"Authorization": f"Bearer {PRODUCER_TOKEN}"},
    "regulator": {"Authorization": f"Bearer {REGULATOR_TOKEN}"},
}


def _seed(app: Any) -> None:
    client = TestClient(app)
    admin = AUTHS["admin"]
    calls: list[tuple[str, dict[str, Any]]] = [
        ("/parties", {"id": "farm", "name": "Farm", "uscc": "91350100M000100Y43"}),
        (
            "/locations",
            {"id": "field", "name": "Field", "party_id": "farm", "gln": "6937101000018"},
        ),
        ("/devices", {"id": "gate-1", "location_id": "field", "party_id": "farm"}),
        (
            "/devices/gate-1/keys",
            {"public_key": b64url(DeviceKeyPair.generate("gate-1").public_key)},
        ),
        (
            "/products",
            {"gtin": "06937101000018", "name": "Oranges", "category": "food", "party_id": "farm"},
        ),
        ("/lots", {"gtin": "06937101000018", "lot": "L1"}),
    ]
    for path, body in calls:
        r = client.post(path, json=body, headers=admin)
        assert r.status_code == 201, (path, r.text)


@pytest.fixture(scope="module", params=["sqlite", "timescale"])
def api_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    data_dir: Path = tmp_path_factory.mktemp(f"schemathesis-{request.param}")

    def build(url: str) -> Any:
        app = create_app(
            Settings(
                database_url=url,
                data_dir=data_dir,
                admin_token=ADMIN_TOKEN,
                api_tokens=f"{PRODUCER_TOKEN}:producer:farm,{REGULATOR_TOKEN}:regulator",
                checkpoint_interval_s=0,
            )
        )
        _seed(app)
        return app

    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'suyuan.db'}"
        upgrade(url=url)
        yield build(url)
    else:
        template = request.getfixturevalue("pg_template")
        with clone_database(template) as url:
            yield build(url)


@pytest.fixture(scope="module")
def api_schema(api_app: Any) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read from the app's own description."""
    app = create_app(Settings(admin_token=ADMIN_TOKEN, checkpoint_interval_s=0))
    return [
        (method.upper(), path) for path, ops in app.openapi()["paths"].items() for method in ops
    ]


OPERATIONS = _operations()


def _check(case: Any) -> None:
    for who, headers in AUTHS.items():
        response = case.call(headers=headers)
        status = response.status_code
        assert status < 500, (
            f"{who}: {case.method} {case.formatted_path} -> {status}: {response.text[:500]}"
        )
        if status >= 400 and case.method != "HEAD":  # a HEAD answer has no body
            body = response.json()
            assert set(body) == {"error"} and body["error"]["code"], (who, body)


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_errors(api_schema: Any, method: str, path: str, mode: GenerationMode) -> None:
    operation = api_schema[path][method]
    strategy = operation.as_strategy(generation_mode=mode)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        _check(case)

    try:
        run()
    except Unsatisfiable:
        # negative mode: the operation has nothing that can break its schema (e.g. one
        # free-text path parameter); its positive run covers it
        if mode is not GenerationMode.NEGATIVE:
            raise
