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


STRONG = "k" * 32  # long enough for production mode


def _production(monkeypatch: pytest.MonkeyPatch, **env: str) -> None:
    monkeypatch.setenv("TRACE_MODE", "production")
    monkeypatch.setenv("TRACE_DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("TRACE_ADMIN_TOKEN", STRONG)
    monkeypatch.delenv("TRACE_API_TOKENS", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"TRACE_{name.upper()}", value)


def test_production_refuses_default_admin_token(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    monkeypatch.delenv("TRACE_ADMIN_TOKEN")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.code == "default_secret" and err.value.field == "admin_token"
    assert DEFAULT_SECRET not in err.value.message


def test_production_with_everything_empty_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The issue's case: TRACE_MODE=production TRACE_DATABASE_URL= TRACE_ADMIN_TOKEN=
    TRACE_SECRET_KEY= -- it started on SQLite with an empty admin token."""
    _production(monkeypatch, database_url="", admin_token="", secret_key="")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.field == "admin_token" and "empty" in err.value.message
    monkeypatch.setenv("TRACE_ADMIN_TOKEN", STRONG)
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.code == "production_store"  # an empty URL is not "use PostgreSQL"


@pytest.mark.parametrize("url", ["sqlite:///x.db", "mysql://u@h/db", " "])
def test_production_refuses_other_stores(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    _production(monkeypatch, database_url=url)
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.code == "production_store"


def test_production_refuses_sqlite_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch)
    monkeypatch.delenv("TRACE_DATABASE_URL")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.code == "production_store"


@pytest.mark.parametrize("token", ["short-token", "k" * 31, "\xa0" * 40, "a b" * 20])
def test_production_refuses_weak_admin_tokens(monkeypatch: pytest.MonkeyPatch, token: str) -> None:
    _production(monkeypatch, admin_token=token)
    with pytest.raises(ConfigError) as err:
        Settings()
    assert err.value.field == "admin_token"
    assert token not in err.value.message


def test_production_accepts_strong_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, api_tokens=f"{'p' * 32}:producer:farm,{'r' * 40}:regulator")
    s = Settings()
    assert [(t.role, t.party_id) for t in s.api_token_table] == [
        ("admin", None),
        ("producer", "farm"),
        ("regulator", None),
    ]


def test_development_allows_short_but_not_empty_tokens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TRACE_MODE", raising=False)
    assert Settings(admin_token="dev").admin_token == "dev"
    for bad in ("", "\xa0", "with space", "a\x00b"):
        with pytest.raises(ConfigError) as err:
            Settings(admin_token=bad)
        assert err.value.field == "admin_token"


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("sekrit-value:boss", "entry 1 of 1 must be token:role"),
        ("ok1:regulator,sekrit-value", "entry 2 of 2 must be token:role"),
        ("sekrit-value:producer", "producer token needs its party"),
        ("sekrit-value:regulator:farm", "only producer tokens belong to a party"),
        ("sekrit-value:admin,sekrit-value:regulator", "listed twice"),
        (":regulator", "is empty"),
        ("sekrit value:regulator", "characters a bearer token cannot have"),
    ],
)
def test_api_tokens_are_validated_at_start_without_echoing_them(
    monkeypatch: pytest.MonkeyPatch, spec: str, words: str
) -> None:
    monkeypatch.delenv("TRACE_MODE", raising=False)
    with pytest.raises(ConfigError) as err:
        Settings(api_tokens=spec)
    assert err.value.field == "api_tokens" and words in err.value.message
    assert "sekrit" not in err.value.message and "sekrit" not in str(err.value.to_dict())


def test_production_refuses_short_api_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    _production(monkeypatch, api_tokens="farm-token:producer:farm")
    with pytest.raises(ConfigError) as err:
        Settings()
    assert "shorter than 32" in err.value.message and "farm-token" not in err.value.message


def test_api_token_may_not_equal_the_admin_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACE_MODE", raising=False)
    with pytest.raises(ConfigError):
        Settings(admin_token="same-token", api_tokens="same-token:regulator")


def test_secret_key_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    """It was required in production but used nowhere; an old .env that sets it still works."""
    _production(monkeypatch, secret_key="whatever")
    s = Settings()
    assert not hasattr(s, "secret_key")
