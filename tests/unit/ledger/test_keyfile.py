"""Secret files of the ledger: created 0600, refused when others may read or write them, and a
signer state that cannot be read is an error naming the file (never a ValueError)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from traceability.cli.witness_cmd import app as witness_app
from traceability.config import Settings
from traceability.ledger import checkpoint, keyfile, note
from traceability.signing import ed25519 as signing


def test_the_log_key_is_created_private_and_refused_when_others_may_read_it(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path)
    signer = checkpoint.load_log_signer(settings)
    key = settings.effective_log_key_file
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert checkpoint.load_log_signer(settings) == signer
    for mode in (0o644, 0o620, 0o604, 0o660):
        key.chmod(mode)
        with pytest.raises(keyfile.KeyFileError) as caught:
            checkpoint.load_log_signer(settings)
        assert caught.value.code == "key_file_permissions"
        assert str(key) in caught.value.message and f"chmod 600 {key}" in caught.value.message
    key.chmod(0o400)  # the owner alone, read-only: fine
    assert checkpoint.load_log_signer(settings) == signer


def test_write_private_replaces_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "state"
    path.write_text("old")
    path.chmod(0o644)
    (tmp_path / "state.tmp").write_text("stale")
    (tmp_path / "state.tmp").chmod(0o666)
    keyfile.write_private(path, "new\n", replace=True)
    assert path.read_text() == "new\n" and stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(FileExistsError):
        keyfile.write_private(path, "again")


@pytest.mark.parametrize(
    "text",
    ["", "12", "x AAAA 1", "12 not-base64 1", "12 AAAA 1", "12 " + "A" * 43 + "= x", "1 2 3 4"],
)
def test_a_malformed_signer_state_names_the_file(tmp_path: Path, text: str) -> None:
    path = tmp_path / "log.key.last"
    keyfile.write_private(path, text)
    with pytest.raises(keyfile.KeyFileError, match="restore it from a backup") as caught:
        keyfile.read_state(path)
    assert str(path) in caught.value.message


def test_signer_state_lines_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "log.key.last"
    for state in (keyfile.SignerState(14, b"r" * 32, 3), keyfile.SignerState(7, b"s" * 32)):
        keyfile.write_private(path, state.line(), replace=True)
        assert keyfile.read_state(path) == state
    assert keyfile.read_state(tmp_path / "none") is None


def test_witness_serve_refuses_a_key_others_may_read(tmp_path: Path) -> None:
    key = tmp_path / "w.key"
    signer = note.Signer("w.example", signing.generate_keypair()[0], note.COSIGNATURE_V1)
    keyfile.write_private(key, signer.private_key() + "\n")
    key.chmod(0o644)
    res = CliRunner().invoke(
        witness_app,
        ["serve", "--key", str(key), "--state", str(tmp_path / "s.json"), "--log-key", "x+1+2"],
    )
    assert res.exit_code != 0
    assert isinstance(res.exception, keyfile.KeyFileError), res.output
    assert f"chmod 600 {key}" in str(res.exception)


def test_a_witness_whose_state_breaks_answers_503(tmp_path: Path) -> None:
    from traceability.ledger.witness import Witness

    log = note.Signer("log.example", signing.generate_keypair()[0])
    state = tmp_path / "w.json"
    w = Witness(
        signer=note.Signer("w.example", signing.generate_keypair()[0]),
        logs=[log.verifier],
        state_file=state,
    )
    text = checkpoint.body("log.example", 1, b"\x01" * 32)
    body = ("old 0\n\n" + text + "\n" + log.sign(text)).encode()
    assert w.add_checkpoint(body).status == 200
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    keyfile.write_private(state, "{not json", replace=True)
    resp = w.add_checkpoint(body)
    assert resp.status == 503 and "witness state" in resp.body
