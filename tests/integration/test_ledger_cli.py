"""``tracectl ledger key|checkpoint|prove|receipt|verify-receipt``: exit codes and outputs.

Exit codes: 0 success, 1 a ledger/verification error (``error: ...`` on stderr, or
``{"valid": false, ...}`` with ``--json``), 2 a usage error. They run in process
(typer's CliRunner on the whole ``tracectl`` tree): each process start costs seconds of imports.
The installed console script runs in ``test_ledger_interop``.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner, Result

from tests.support.ledger import event, setup_device, submissions
from traceability.cli.main import app
from traceability.config import Settings, get_settings
from traceability.ledger import checkpoint, merkle, note, receipt, service
from traceability.signing import ed25519 as signing
from traceability.store.engine import create_engine, upgrade

N_EVENTS = 40
ORIGIN = "suyuan.example/ledger"


@dataclass
class Cli:
    data_dir: Path
    url: str
    env: dict[str, str | None]
    hashes: dict[int, str]  # index -> event hash
    seed: bytes
    kid: str

    def run(self, *args: str, **env: str) -> Result:
        get_settings.cache_clear()  # settings are cached per process
        try:
            return CliRunner().invoke(app, ["ledger", *args], env={**self.env, **env})
        finally:
            get_settings.cache_clear()

    def session(self) -> Session:
        return Session(create_engine(url=self.url))

    def vkey(self) -> str:
        return checkpoint.load_log_signer(
            Settings(data_dir=self.data_dir, database_url=self.url)
        ).verifier.vkey()


def _unique_event(i: int) -> dict[str, Any]:
    ev = event(i)
    ev["eventTime"] = f"2026-11-27T{i // 60 % 24:02d}:{i % 60:02d}:00Z"
    ev["eventTimeZoneOffset"] = "+00:00"
    return ev


@pytest.fixture(scope="module")
def cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    data_dir = tmp_path_factory.mktemp("ledger-cli")
    url = f"sqlite:///{data_dir / 'suyuan.db'}"
    upgrade(url=url)
    engine = create_engine(url=url)
    with Session(engine) as s:
        seed, kid = setup_device(s)
        results = []
        for k in range(0, N_EVENTS, 10):
            subs = submissions(seed, kid, [_unique_event(i) for i in range(k, k + 10)], seq=k)
            results += service.append_events(s, submissions=subs)
        s.commit()
        assert [r.status for r in results] == ["appended"] * N_EVENTS
        hashes = {r.index: str(service.get_record(s, index=r.index).event_hash) for r in results}
    engine.dispose()
    env: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRACE_")}
    env.update(TRACE_DATA_DIR=str(data_dir), TRACE_DATABASE_URL=url)
    yield Cli(data_dir, url, env, hashes, seed, kid)


def _size(cli: Cli) -> int:
    with cli.session() as s:
        return service.log_size(s)


def _root(cli: Cli, n: int) -> bytes:
    with cli.session() as s:
        return service.root_at(s, n)


# ------------------------------------------------------------------------------ key


def test_key(cli: Cli) -> None:
    first = cli.run("key")
    assert first.exit_code == 0, first.output
    vkey = first.stdout.strip()
    assert first.stdout == vkey + "\n"
    v = note.Verifier.parse(vkey)
    assert (v.name, v.alg) == (ORIGIN, note.ED25519)
    key_file = cli.data_dir / "log.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith(f"PRIVATE+KEY+{ORIGIN}+")
    assert cli.run("key").stdout.strip() == vkey  # created once, then read


# ------------------------------------------------------------------------------ checkpoint


def test_checkpoint(cli: Cli) -> None:
    res = cli.run("checkpoint", "--no-witness")
    assert res.exit_code == 0, res.output
    n = _size(cli)
    assert note.verified_by(res.stdout, note.Verifier.parse(cli.vkey())) == 0
    cp = checkpoint.parse(res.stdout)
    assert (cp.origin, cp.size, cp.root) == (ORIGIN, n, _root(cli, n))
    assert cli.run("checkpoint", "--no-witness").stdout == res.stdout  # same tree, same note
    # A witness that is down does not stop the log: the checkpoint, without cosignatures.
    wkey = note.Signer("w.example", signing.generate_keypair()[0], 4).verifier.vkey()
    down = cli.run("checkpoint", TRACE_WITNESS_URLS="http://127.0.0.1:9", TRACE_WITNESS_KEYS=wkey)
    assert down.exit_code == 0, down.output
    assert down.stdout == res.stdout


def test_checkpoint_refuses_a_fork(cli: Cli) -> None:
    """The signer's state file says another root at this size: exit 1, nothing signed."""
    assert cli.run("checkpoint", "--no-witness").exit_code == 0
    state = cli.data_dir / "log.key.last"
    saved = state.read_text()
    size = saved.split()[0]
    try:
        state.write_text(f"{size} {base64.b64encode(b'x' * 32).decode()}\n")
        res = cli.run("checkpoint", "--no-witness")
        assert res.exit_code == 1
        assert res.stdout == ""
        assert res.stderr.startswith("error: same size, different root")
    finally:
        state.write_text(saved)
    assert cli.run("checkpoint", "--no-witness").exit_code == 0


# ------------------------------------------------------------------------------ prove


def test_prove_inclusion(cli: Cli) -> None:
    n = _size(cli)
    with cli.session() as s:
        leaves = {i: bytes(service.get_record(s, index=i).leaf_hash) for i in range(n)}
    for index, size in ((0, 1), (3, 4), (5, 17), (16, 17), (0, n), (n // 2, n), (n - 1, n)):
        res = cli.run("prove", "--index", str(index), "--size", str(size))
        assert res.exit_code == 0, res.output
        proof = [base64.b64decode(x, validate=True) for x in res.stdout.splitlines()]
        merkle.verify_inclusion(index, size, leaves[index], proof, _root(cli, size))
        as_json = cli.run("prove", "--index", str(index), "--size", str(size), "--json")
        assert as_json.exit_code == 0
        assert json.loads(as_json.stdout) == {
            "index": index,
            "size": size,
            "old": None,
            "new": None,
            "proof": res.stdout.splitlines(),
        }
    assert cli.run("prove", "--index", "0", "--size", "1").stdout == ""  # an empty proof


def test_prove_consistency(cli: Cli) -> None:
    n = _size(cli)
    for old, new in ((1, 2), (1, n), (7, 8), (8, 16), (13, 29), (16, n), (n - 1, n), (n, n)):
        res = cli.run("prove", "--old", str(old), "--new", str(new))
        assert res.exit_code == 0, res.output
        proof = [base64.b64decode(x, validate=True) for x in res.stdout.splitlines()]
        merkle.verify_consistency(old, new, _root(cli, old), _root(cli, new), proof)
        as_json = json.loads(
            cli.run("prove", "--old", str(old), "--new", str(new), "--json").stdout
        )
        assert as_json == {
            "index": None,
            "size": None,
            "old": old,
            "new": new,
            "proof": res.stdout.splitlines(),
        }


def test_prove_errors(cli: Cli) -> None:
    n = _size(cli)
    for args in (("--index", "1"), ("--old", "1"), ("--size", "3", "--new", "4"), ()):
        res = cli.run("prove", *args)
        assert res.exit_code == 2, args
        assert "give --index and --size, or --old and --new" in res.stderr
    for args in (("--index", "x", "--size", "3"), ("--old", "1", "--new", "1.5")):
        assert cli.run("prove", *args).exit_code == 2, args  # not integers: a usage error
    for args in (
        ("--index", "5", "--size", "5"),
        ("--index", "0", "--size", str(n + 1)),
        ("--old", "5", "--new", "4"),
        ("--old", "0", "--new", "4"),
        ("--old", "1", "--new", str(n + 1)),
    ):
        res = cli.run("prove", *args)
        assert res.exit_code == 1, (args, res.output)
        assert res.stdout == "" and res.stderr.startswith("error: "), args
        as_json = cli.run("prove", *args, "--json")
        assert as_json.exit_code == 1
        body = json.loads(as_json.stdout)
        assert body["valid"] is False and body["error"]["code"] == "bad_proof", args


# ------------------------------------------------------------------------------ receipts


def test_receipt_and_verify_receipt(cli: Cli, tmp_path: Path) -> None:
    vkey = cli.vkey()
    h = cli.hashes[7]
    out = tmp_path / "r.tlog-proof"
    res = cli.run("receipt", h, "--out", str(out))
    assert res.exit_code == 0, res.output
    assert res.stdout == f"wrote {out}\n"
    text = out.read_text()
    assert text.startswith(f"{receipt.HEADER}\nextra ")
    to_stdout = cli.run("receipt", h)
    assert to_stdout.exit_code == 0 and to_stdout.stdout == text
    n = _size(cli)

    ok = cli.run("verify-receipt", str(out), "--log-key", vkey)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout == (f"valid: entry 7 of {ORIGIN} (size {n}), event {h}, witnesses: none\n")
    as_json = cli.run("verify-receipt", str(out), "--log-key", vkey, "--json")
    assert as_json.exit_code == 0
    body = json.loads(as_json.stdout)
    assert body["valid"] is True
    assert (body["index"], body["tree_size"], body["origin"], body["event_hash"]) == (
        7,
        n,
        ORIGIN,
        h,
    )
    assert body["witnesses"] == [] and body["event"]["type"]

    # Not verifying: exit 1, "error: ..." on stderr, or {"valid": false} with --json.
    impostor = note.Signer(ORIGIN, signing.generate_keypair()[0]).verifier.vkey()
    bad_files = {
        "tampered proof": _flip_first_proof_hash(text),
        "wrong index": text.replace("\nindex 7\n", "\nindex 8\n"),
        "index with a leading zero": text.replace("\nindex 7\n", "\nindex 07\n"),
        "not a receipt": "hello\n",
        "bad base64 proof line": _replace_first_proof_line(text, "not base64!"),
        "extra is not JSON": _set_extra(text, b"{not json"),
        "extra without a record": _set_extra(text, b'{"envelope": ""}'),
        "extra is a list": _set_extra(text, b"[]"),
    }
    for name, content in bad_files.items():
        path = tmp_path / "bad.tlog-proof"
        path.write_text(content)
        res = cli.run("verify-receipt", str(path), "--log-key", vkey)
        assert res.exit_code == 1, (name, res.output, res.exception)
        assert res.stdout == "" and res.stderr.startswith("error: "), name
        js = cli.run("verify-receipt", str(path), "--log-key", vkey, "--json")
        assert js.exit_code == 1, name
        assert json.loads(js.stdout)["valid"] is False, name
    wrong = cli.run("verify-receipt", str(out), "--log-key", impostor, "--json")
    assert wrong.exit_code == 1
    assert json.loads(wrong.stdout)["error"]["code"] == "bad_note"
    # Key types: the log key signs (0x01), witness keys cosign (0x04); never the other way.
    wkey = note.Signer("w.example/1", signing.generate_keypair()[0], note.COSIGNATURE_V1)
    swapped = cli.run("verify-receipt", str(out), "--log-key", wkey.verifier.vkey())
    assert swapped.exit_code == 1 and "type 0x01" in swapped.stderr
    as_witness = cli.run("verify-receipt", str(out), "--log-key", vkey, "--witness-key", vkey)
    assert as_witness.exit_code == 1 and "not a cosignature/v1" in as_witness.stderr
    garbled_key = cli.run("verify-receipt", str(out), "--log-key", "not-a-key")
    assert garbled_key.exit_code == 1 and "name+keyid+key" in garbled_key.stderr

    # Usage errors: exit 2.
    assert cli.run("verify-receipt", str(out)).exit_code == 2  # no --log-key
    assert cli.run("verify-receipt", str(tmp_path / "nope"), "--log-key", vkey).exit_code == 2
    assert cli.run("verify-receipt", str(tmp_path), "--log-key", vkey).exit_code == 2  # a dir
    assert cli.run("receipt").exit_code == 2


def test_receipt_signs_a_checkpoint_when_needed(cli: Cli, tmp_path: Path) -> None:
    assert cli.run("checkpoint", "--no-witness").exit_code == 0
    with cli.session() as s:
        subs = submissions(cli.seed, cli.kid, [_unique_event(500 + _size(cli))], seq=500)
        new = service.append_events(s, submissions=subs)
        s.commit()
        h = str(service.get_record(s, index=new[0].index).event_hash)
    res = cli.run("receipt", h)
    assert res.exit_code == 0, res.output
    result = receipt.verify_receipt(res.stdout, log_key=cli.vkey())
    assert result.index == new[0].index and result.size == new[0].index + 1
    unknown = cli.run("receipt", "ni:///sha-256;" + "0" * 64 + "?ver=CBV2.0")
    assert unknown.exit_code == 1
    assert unknown.stderr.startswith("error: no ledger entry for event")


# ------------------------------------------------------------------------------ helpers


def _parts(text: str) -> tuple[list[str], str]:
    head, _, cp_note = text.partition("\n\n")
    return head.split("\n"), cp_note


def _replace_first_proof_line(text: str, line: str) -> str:
    lines, cp_note = _parts(text)
    lines[3] = line
    return "\n".join(lines) + "\n\n" + cp_note


def _flip_first_proof_hash(text: str) -> str:
    lines, _ = _parts(text)
    raw = bytearray(base64.b64decode(lines[3]))
    raw[0] ^= 0x80
    return _replace_first_proof_line(text, base64.b64encode(bytes(raw)).decode())


def _set_extra(text: str, extra: bytes) -> str:
    lines, cp_note = _parts(text)
    lines[1] = "extra " + base64.b64encode(extra).decode()
    return "\n".join(lines) + "\n\n" + cp_note
