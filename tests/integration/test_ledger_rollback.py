"""A rolled-back log: the audit names it, and the signer will not sign its fork.

Rolling back is deleting the last entries with everything derived from them and the checkpoints
(``truncated_tail`` of the tampering corpus): what is left is consistent in itself, so only
what remembers the larger size can tell. That is the signer's state file beside the log key,
the stored cosignatures, and the witnesses. On SQLite and TimescaleDB (the ``engine`` fixture).
"""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from tests.integration.test_ledger_tampering import CASES, TRUNCATE_AT, _audit, _first, _tamper
from tests.support.ledger import T0, event, fill, setup_device, submissions
from traceability.cli.main import app
from traceability.config import Settings, get_settings
from traceability.ledger import audit, checkpoint, note, service
from traceability.ledger.audit.checkpoints import witness_sizes
from traceability.ledger.errors import InconsistentCheckpointError, SubmissionError
from traceability.ledger.keyfile import KeyFileError
from traceability.ledger.witness import Witness, serve
from traceability.signing import ed25519 as signing


def _settings(engine: Engine, tmp_path: Path, **kw: str) -> Settings:
    url = str(engine.url.render_as_string(False))
    return Settings(data_dir=tmp_path, database_url=url, **kw)  # type: ignore[arg-type]


def _sign(engine: Engine, settings: Settings, **kw: bool) -> checkpoint.Checkpoint:
    with Session(engine) as s:
        cp = checkpoint.sign_checkpoint(s, settings=settings, **kw)
        s.commit()
    return cp


@pytest.fixture
def signed(engine: Engine, tmp_path: Path) -> Settings:
    """13 records and the key entry, a checkpoint at 14 and the signer state."""
    settings = _settings(engine, tmp_path)
    with Session(engine) as s:
        fill(s, n=13)
    _sign(engine, settings)
    return settings


def _cli(settings: Settings, *args: str) -> tuple[int, str]:
    env = {
        "TRACE_DATA_DIR": str(settings.data_dir),
        "TRACE_DATABASE_URL": settings.effective_database_url,
    }
    get_settings.cache_clear()
    try:
        res = CliRunner().invoke(app, args, env=env)
    finally:
        get_settings.cache_clear()
    return res.exit_code, res.output


def test_truncated_tail_is_named_by_verify(engine: Engine, signed: Settings) -> None:
    code, out = _cli(signed, "verify")
    assert code == 0, out
    _tamper(engine, CASES["truncated_tail"])
    code, out = _cli(signed, "verify")
    assert code == 1
    assert f"FAILED at index {TRUNCATE_AT}, step 8: log rolled back: the signer state" in out, out


def test_a_deleted_checkpoint_between_others_is_named(engine: Engine, signed: Settings) -> None:
    with Session(engine) as s:
        seed, kid = setup_device(s, "dev-2")
        more = submissions(seed, kid, [event(50), event(51)], device="dev-2")
        service.append_events(s, submissions=more, recorded_at=T0 + timedelta(hours=1))
        s.commit()
    assert _sign(engine, signed).size == 17  # the second key entry and two records
    _tamper(engine, {"sql": "delete from ledger_checkpoint where size = 14"})
    with Session(engine) as s:
        report = _audit(s, signed)
    step, index, message = _first(report)
    assert (step, index) == (8, None), report.to_dict()
    assert (
        "checkpoint rows missing: the signer signed 2 up to size 17, the store holds 1" in message
    )


def test_signer_refuses_to_sign_without_its_state(engine: Engine, signed: Settings) -> None:
    """Deleting ``log.key.last`` no longer lets the signer sign what the store holds."""
    state = checkpoint.state_path(signed)
    state.unlink()
    with Session(engine) as s, pytest.raises(InconsistentCheckpointError) as caught:
        checkpoint.sign_checkpoint(s, settings=signed)
    assert caught.value.code == "signer_state_missing"
    code, out = _cli(signed, "ledger", "checkpoint", "--no-witness")
    assert code == 1
    line = out.strip()
    assert "\n" not in line and "--trust-store" in line and str(state) in line, out
    assert line.startswith("error: refusing to sign: the signer state"), out
    assert not state.exists()
    code, out = _cli(signed, "ledger", "checkpoint", "--no-witness", "--trust-store")
    assert code == 0, out
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    assert _cli(signed, "ledger", "checkpoint", "--no-witness")[0] == 0


def test_signer_refuses_a_rolled_back_store(engine: Engine, signed: Settings) -> None:
    """The tail deleted with its rows (its checkpoints kept): refused with the state and, after
    the state is deleted too, refused for that and then, trusting the store, as a shrunk log."""
    case = CASES["truncated_tail"]["sql"].replace(";delete from ledger_checkpoint", "")
    _tamper(engine, {"sql": case})
    with Session(engine) as s, pytest.raises(InconsistentCheckpointError, match="log shrank"):
        checkpoint.sign_checkpoint(s, settings=signed)
    checkpoint.state_path(signed).unlink()
    with Session(engine) as s, pytest.raises(InconsistentCheckpointError, match="state"):
        checkpoint.sign_checkpoint(s, settings=signed)
    with Session(engine) as s, pytest.raises(InconsistentCheckpointError, match="log shrank"):
        checkpoint.sign_checkpoint(s, settings=signed, trust_store=True)


def test_key_and_state_files_are_private(engine: Engine, signed: Settings) -> None:
    key, state = signed.effective_log_key_file, checkpoint.state_path(signed)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    for path in (key, state):
        path.chmod(0o644)
        with Session(engine) as s, pytest.raises(KeyFileError, match=f"chmod 600 {path}"):
            checkpoint.sign_checkpoint(s, settings=signed)
        path.chmod(0o600)
    _sign(engine, signed)


@pytest.fixture
def witness(tmp_path: Path, signed: Settings) -> Iterator[tuple[str, str, Witness]]:
    w = Witness(
        signer=note.Signer("regulator.example/w1", signing.generate_keypair()[0]),
        logs=[checkpoint.load_log_signer(signed).verifier],
        state_file=tmp_path / "witness.json",
    )
    server = serve(w)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", w.signer.verifier.vkey(), w
    finally:
        server.shutdown()
        server.server_close()


def test_witnesses_remember_the_rolled_back_size(
    engine: Engine, signed: Settings, witness: tuple[str, str, Witness]
) -> None:
    url, wkey, w = witness
    settings = signed.model_copy(update={"witness_urls": url, "witness_keys": wkey})
    _sign(engine, settings)  # cosigned at 14
    assert stat.S_IMODE(w.state_file.stat().st_mode) == 0o600
    with Session(engine) as s:
        latest = checkpoint.latest_checkpoint(s).note
    assert witness_sizes(latest, [url]) == {url: 14}
    # the stored cosignatures remember it
    _tamper(engine, CASES["truncated_tail"])
    checkpoint.state_path(signed).unlink()
    with Session(engine) as s:
        report = audit.audit(s, log_key=checkpoint.load_log_signer(signed).verifier)
    step, index, message = _first(report)
    assert (step, index) == (8, TRUNCATE_AT) and "a cosignature by regulator.example/w1" in message
    # with those gone too, the witness does: it answers with the size it cosigned
    _tamper(engine, {"sql": "delete from ledger_cosignature"})
    with Session(engine) as s:
        assert audit.audit(s).ok  # nothing in the store remembers
        told = witness_sizes(latest, [url])
        report = audit.audit(s, witnessed={k: v for k, v in told.items() if isinstance(v, int)})
    step, index, message = _first(report)
    assert (step, index) == (8, TRUNCATE_AT) and f"witness {url} (cosigned size 14)" in message


def test_witness_state_readable_by_others_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "w.json"
    state.write_text("{}")
    state.chmod(0o644)
    signer = note.Signer("w.example", signing.generate_keypair()[0])
    with pytest.raises(KeyFileError, match=f"chmod 600 {state}"):
        Witness(signer=signer, logs=[], state_file=state)


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"])
def test_extreme_event_times_audit_without_a_crash(engine: Engine, when: str) -> None:
    """A record of year 1 (stored before ingest refused such times) audits; its time was
    written ``1-01-01`` and read back as no time at all."""
    with Session(engine) as s:
        seed, kid = setup_device(s)
        ev = {**event(0), "eventTime": when}
        service.append_events(s, submissions=submissions(seed, kid, [ev]), recorded_at=T0)
        s.commit()
        report = audit.audit(s)
    assert report.ok, report.to_dict()


def test_an_event_time_with_no_utc_equivalent_is_refused_at_append(engine: Engine) -> None:
    with Session(engine) as s:
        seed, kid = setup_device(s)
        ev = {**event(0), "eventTime": "0001-01-01T00:00:00+08:00"}
        with pytest.raises(SubmissionError, match="eventTime"):
            service.append_events(s, submissions=submissions(seed, kid, [ev]), recorded_at=T0)


def test_signer_refuses_to_sign_with_a_new_key(engine: Engine, signed: Settings) -> None:
    """The log key lost while the store holds checkpoints: no new key is made (it would start
    another history); the error says what to restore."""
    key = signed.effective_log_key_file
    key.unlink()
    with Session(engine) as s, pytest.raises(InconsistentCheckpointError) as caught:
        checkpoint.sign_checkpoint(s, settings=signed)
    assert caught.value.code == "log_key_missing" and str(key) in caught.value.message
    assert not key.exists()


def test_verify_takes_the_log_key_and_never_makes_one(engine: Engine, signed: Settings) -> None:
    vkey = checkpoint.load_log_signer(signed).verifier.vkey()
    key = signed.effective_log_key_file
    key.unlink()
    code, out = _cli(signed, "verify")
    assert code == 1 and "no log key at" in out and "--log-key" in out, out
    assert not key.exists()
    code, out = _cli(signed, "verify", "--log-key", vkey)
    assert code == 0 and out.startswith("ok: 14 entries, checkpoint 14"), out
    other = note.Signer("suyuan.example/ledger", signing.generate_keypair()[0]).verifier.vkey()
    code, out = _cli(signed, "verify", "--log-key", other)
    assert code == 1 and "index 13, step 8: checkpoint 14 does not verify" in out, out
