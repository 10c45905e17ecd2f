"""An API over a fresh SQLite store with one token per role (admin, two producers, regulator)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from traceability.config import Settings

ADMIN = {"Authorization": "Bearer admin-secret"}
FARM = {"Authorization": "Bearer farm-token"}
SHOP = {"Authorization": "Bearer shop-token"}
REG = {"Authorization": "Bearer reg-token"}
TOKENS = "farm-token:producer:farm,shop-token:producer:shop,reg-token:regulator"


def make_client(url: str, data_dir: Path, **overrides: object) -> TestClient:
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        admin_token="admin-secret",
        api_tokens=TOKENS,
        checkpoint_interval_s=0,
        **overrides,  # type: ignore[arg-type]
    )
    return TestClient(create_app(settings), raise_server_exceptions=False)


@pytest.fixture
def client(sqlite_url: str, tmp_path: Path) -> TestClient:
    return make_client(sqlite_url, tmp_path)
