"""Settings: defaults for the embedded store, production refuses default secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from traceability.config import DEFAULT_SECRET, Settings
from traceability.errors import ConfigError


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for var in ("TRACE_DATABASE_URL", "TRACE_MQTT_URL", "TRACE_DATA_DIR", "TRACE_MODE"):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.mqtt_url == "embedded"
    assert s.data_dir == Path(".suyuan")
    assert s.effective_database_url == f"sqlite:///{(tmp_path / '.suyuan' / 'suyuan.db')}"


def test_env_and_dotenv(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("TRACE_MQTT_URL=mqtt://10.0.0.5:1883\n")
    monkeypatch.setenv("TRACE_DATA_DIR", str(tmp_path / "d"))
    s = Settings()
    assert s.mqtt_url == "mqtt://10.0.0.5:1883"
    assert s.data_dir == tmp_path / "d"


def test_production_refuses_default_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_MODE", "production")
    monkeypatch.setenv("TRACE_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("TRACE_ADMIN_TOKEN", "a-real-token")
    monkeypatch.delenv("TRACE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.code == "default_secret" and err.value.field == "secret_key"
    monkeypatch.setenv("TRACE_SECRET_KEY", "another-real-secret")
    assert Settings().secret_key != DEFAULT_SECRET


def test_production_refuses_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACE_MODE", "production")
    monkeypatch.setenv("TRACE_SECRET_KEY", "s")
    monkeypatch.setenv("TRACE_ADMIN_TOKEN", "t")
    monkeypatch.delenv("TRACE_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.code == "production_store"
