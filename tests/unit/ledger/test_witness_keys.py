"""TRACE_WITNESS_KEYS: parsed and checked with the settings; required with witness URLs in
production mode."""

from __future__ import annotations

import logging

import pytest

from traceability.config import Settings
from traceability.errors import ConfigError
from traceability.ledger import checkpoint, note
from traceability.signing import ed25519 as signing

PROD = {
    "mode": "production",
    "secret_key": "s3cret",
    "admin_token": "t0ken",
    "database_url": "postgresql://postgres@127.0.0.1:5432/x",
}


def _wkey(name: str = "regulator.example/w1", alg: int = note.COSIGNATURE_V1) -> str:
    return note.Signer(name, signing.generate_keypair()[0], alg).verifier.vkey()


def test_production_refuses_witness_urls_without_keys() -> None:
    with pytest.raises(ConfigError) as exc:
        Settings(**PROD, witness_urls="http://w.example")  # type: ignore[arg-type]
    assert exc.value.code == "witness_keys"
    ok = Settings(**PROD, witness_urls="http://w.example", witness_keys=_wkey())  # type: ignore[arg-type]
    assert ok.witness_keys


def test_development_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        Settings(witness_urls="http://w.example")
    assert "TRACE_WITNESS_KEYS" in caplog.text


@pytest.mark.parametrize(
    "keys",
    [
        "not-a-key",
        _wkey(alg=note.ED25519),  # a note signing key, not a cosigner
        _wkey(name="suyuan.example/ledger"),  # the log's own name
        _wkey() + ",garbage",
    ],
)
def test_bad_witness_keys_are_refused(keys: str) -> None:
    with pytest.raises(ConfigError):
        Settings(witness_urls="http://w.example", witness_keys=keys)


def test_keys_parsed() -> None:
    a, b = _wkey(), _wkey("regulator.example/w2")
    s = Settings(witness_urls="http://w1, http://w2", witness_keys=f" {a} , {b} ,")
    got = checkpoint.configured_witnesses(s)
    assert got is not None and [v.vkey() for v in got] == [a, b]
    assert checkpoint.configured_witnesses(Settings()) is None


def test_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    key = _wkey()
    monkeypatch.setenv("TRACE_WITNESS_KEYS", key)
    assert Settings().witness_keys == key
