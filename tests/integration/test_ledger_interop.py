"""The demo's receipts verified by an independent implementation (Go, golang.org/x/mod/sumdb).

End to end: ``tracectl demo --once`` makes a store, ``tracectl ledger key`` prints the log key,
``tracectl witness keygen|serve`` runs a real witness (separate processes), ``ledger checkpoint``
collects its cosignature (``TRACE_WITNESS_URLS``) and ``ledger receipt`` writes
c2sp.org/tlog-proof files (those two in process: each process start costs seconds of imports).
The Go verifier (``tests/interop/go/verify_receipt.go``, built by ``.ci/interop.sh``) opens the
checkpoint with ``sumdb/note``, checks inclusion with ``sumdb/tlog`` and cosignature/v1 lines with
``crypto/ed25519`` from the spec text: it shares no code with ``traceability.ledger``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner, Result

from tests.unit.ledger.helpers import event, setup_device, submissions
from traceability.cli import ledger_cmd
from traceability.config import Settings, get_settings
from traceability.ledger import checkpoint, merkle, note, receipt, service
from traceability.signing import service as signing
from traceability.store.service import create_engine

REPO = Path(__file__).resolve().parents[2]
VERIFIER = REPO / ".tools" / "interop" / "verify_receipt"
GO_SOURCES = sorted((REPO / "tests" / "interop" / "go").glob("*.go"))
TRACECTL = str(Path(sys.executable).parent / "tracectl")
XMOD = Path("/usr/share/gocode/src/golang.org/x/mod/sumdb/note/note.go")
WITNESS_NAME = "regulator.example/w1"
BUILD_HINT = (
    "Run `bash .ci/interop.sh` (Debian as root installs golang-go and golang-golang-x-mod-dev)."
)


# ------------------------------------------------------------------------------ helpers


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["TRACE_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def _runner_env(env: dict[str, str]) -> dict[str, str | None]:
    """``env`` for typer's CliRunner: unset every other TRACE_ variable of this process."""
    out: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRACE_")}
    out.update({k: v for k, v in env.items() if k.startswith("TRACE_")})
    return out


def _invoke(args: list[str], env: dict[str, str]) -> Result:
    """``tracectl ledger ARGS`` in process; ``get_settings`` is cached, so cleared around it."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(ledger_cmd.app, args, env=_runner_env(env))
    finally:
        get_settings.cache_clear()


def _tracectl(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [TRACECTL, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _done(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _ok(proc: subprocess.Popen[str]) -> str:
    rc, out, err = _done(proc)
    assert rc == 0, f"{proc.args!r} exited {rc}: {err}"
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stale() -> bool:
    if not VERIFIER.exists():
        return True
    built = VERIFIER.stat().st_mtime
    return any(src.stat().st_mtime > built for src in GO_SOURCES)


@pytest.fixture(scope="module")
def go_verifier() -> Path:
    """The Go verifier binary; built here when Go is present, a failure (never a skip) if not."""
    if _stale():
        if shutil.which("go") is None or not XMOD.exists():
            pytest.fail(
                f"the independent Go verifier is not built ({VERIFIER.relative_to(REPO)}) and "
                f"the Go toolchain / golang.org/x/mod source is missing. {BUILD_HINT}"
            )
        build = subprocess.run(
            ["bash", str(REPO / ".ci" / "interop.sh")], capture_output=True, text=True
        )
        if build.returncode != 0 or _stale():
            pytest.fail(f".ci/interop.sh failed:\n{build.stdout}\n{build.stderr}\n{BUILD_HINT}")
    return VERIFIER


def go_verify(
    binary: Path, receipt_file: Path, log_key: str, witness_keys: tuple[str, ...] = ()
) -> tuple[int, dict[str, Any] | None, str]:
    args = [str(binary), "-log-key", log_key]
    for w in witness_keys:
        args += ["-witness-key", w]
    res = subprocess.run([*args, str(receipt_file)], capture_output=True, text=True, timeout=30)
    return res.returncode, (json.loads(res.stdout) if res.returncode == 0 else None), res.stderr


@dataclass
class WitnessProc:
    proc: subprocess.Popen[str]
    url: str


def _start_witness(
    env: dict[str, str], cwd: Path, key: Path, state: Path, log_key: str
) -> WitnessProc:
    port = _free_port()
    proc = _tracectl(
        [
            "witness",
            "serve",
            "--key",
            str(key),
            "--state",
            str(state),
            "--log-key",
            log_key,
            "--port",
            str(port),
        ],
        env,
        cwd,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"witness exited {proc.returncode}: {proc.communicate()[1]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return WitnessProc(proc, f"http://127.0.0.1:{port}")
        except OSError:
            time.sleep(0.05)
    proc.kill()
    pytest.fail("witness did not start listening within 30 s")


def _stop(w: WitnessProc) -> None:
    if w.proc.poll() is None:
        w.proc.terminate()  # SIGTERM: the witness answered every request before returning
        try:
            w.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            w.proc.kill()
            w.proc.wait()
    if w.proc.stdout:
        w.proc.stdout.close()
    if w.proc.stderr:
        w.proc.stderr.close()


def _post(url: str, body: bytes) -> tuple[int, str, str]:
    req = urllib.request.Request(f"{url}/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read().decode()


def _raw_status(url: str, head: bytes) -> int:
    """The status line's code for a hand-written request (headers the client would not send)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head)
        reply = conn.makefile("rb").readline().decode()
    return int(reply.split(" ")[1]) if reply.startswith("HTTP/") else 0


def _signed(signer: note.Signer, origin: str, size: int, root: bytes) -> str:
    text = checkpoint.body(origin, size, root)
    return text + "\n" + signer.sign(text)


# ------------------------------------------------------------------------------ the world


@dataclass
class World:
    data_dir: Path
    env: dict[str, str]
    demo: dict[str, Any]
    log_key: str
    witness_key: str
    witness_key_file: Path
    witness_state: Path
    witness: WitnessProc
    checkpoint_note: str
    receipts: dict[str, Path]  # event hash -> receipt file (against the witnessed checkpoint)

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'suyuan.db'}"


def _event_hashes(db: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select idx, event_hash from ledger_entry where kind = 'event' order by idx"
        ).fetchall()
    return [(int(i), str(h)) for i, h in rows]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, go_verifier: Path) -> Iterator[World]:
    base = tmp_path_factory.mktemp("interop")
    data_dir = base / "data"
    data_dir.mkdir()
    env = _env(data_dir)
    wkey_file = base / "witness.key"
    state = base / "witness-state.json"
    # Process starts cost seconds of imports each, so they overlap: the log key is created
    # first (in process, the same command), then the demo, `tracectl ledger key` and
    # `tracectl witness keygen` run together, and the witness starts while the demo runs.
    first = _invoke(["key"], env)
    assert first.exit_code == 0, first.output
    demo_p = _tracectl(["demo", "--once", "--json"], env, base)
    key_p = _tracectl(["ledger", "key"], env, base)
    keygen_p = _tracectl(
        ["witness", "keygen", "--name", WITNESS_NAME, "--key", str(wkey_file)], env, base
    )
    log_key, witness_key = _ok(key_p).strip(), _ok(keygen_p).strip()
    assert log_key == first.output.strip()
    w = _start_witness(env, base, wkey_file, state, log_key)
    try:
        demo = json.loads(_ok(demo_p))
        wenv = _env(data_dir, TRACE_WITNESS_URLS=w.url, TRACE_WITNESS_KEYS=witness_key)
        # `tracectl ledger checkpoint` with TRACE_WITNESS_URLS/KEYS, in process too.
        signed = _invoke(["checkpoint"], wenv)
        assert signed.exit_code == 0, signed.output
        cp_note = signed.stdout
        events = _event_hashes(data_dir / "suyuan.db")
        sample = demo["samples"]["event_id"]
        picks = {h for _, h in (events[0], events[1], events[len(events) // 2], events[-1])}
        receipts = {sample: base / "sample.tlog-proof"}
        # `tracectl ledger receipt EVENT_ID --out F`, in process (same code, no start-up).
        res = _invoke(["receipt", sample, "--out", str(receipts[sample])], wenv)
        assert res.exit_code == 0 and "wrote" in res.output, res.output
        eng = create_engine(url=f"sqlite:///{data_dir / 'suyuan.db'}")
        with Session(eng) as s:
            cp = checkpoint.latest_checkpoint(s)
            for i, h in enumerate(sorted(picks - {sample})):
                receipts[h] = base / f"r{i}.tlog-proof"
                receipts[h].write_text(receipt.build_receipt(s, event_hash=h, cp=cp))
        eng.dispose()
        world = World(
            data_dir, env, demo, log_key, witness_key, wkey_file, state, w, cp_note, receipts
        )
        yield world
        w = world.witness  # the restart test replaces the process
    finally:
        _stop(w)


# ------------------------------------------------------------------------------ tests


def test_checkpoint_is_cosigned_by_the_running_witness(world: World) -> None:
    _, sigs = note.split(world.checkpoint_note)
    assert [s.name for s in sigs] == ["suyuan.example/ledger", WITNESS_NAME]
    cp = checkpoint.parse(world.checkpoint_note)
    assert cp.size == world.demo["ledger_size"]
    assert note.verified_by(world.checkpoint_note, note.Verifier.parse(world.witness_key)) > 0
    state = json.loads(world.witness_state.read_text())
    assert state[cp.origin] == {"size": cp.size, "root": base64.b64encode(cp.root).decode()}


def test_go_verifier_accepts_every_receipt(world: World, go_verifier: Path) -> None:
    cp = checkpoint.parse(world.checkpoint_note)
    eng = create_engine(url=world.db_url)
    assert len(world.receipts) >= 4
    with Session(eng) as s:
        for event_hash, path in world.receipts.items():
            rc, out, err = go_verify(go_verifier, path, world.log_key, (world.witness_key,))
            assert rc == 0, f"{event_hash}: {err}"
            assert out is not None and out["valid"] is True
            assert out["event_hash"] == event_hash and out["witnesses"] == [WITNESS_NAME]
            assert (out["origin"], out["size"]) == (cp.origin, cp.size)
            assert base64.b64decode(out["root"]) == cp.root
            # The independent RFC 6962 leaf hash (tlog.RecordHash) is the one the store keeps.
            entry = service.get_record(s, index=out["index"])
            assert bytes.fromhex(out["leaf_hash"]) == bytes(entry.leaf_hash)
            assert bytes(entry.leaf_hash) == merkle.leaf_hash(bytes(entry.record))
            # ... and the log key alone (no witness policy) is enough too.
            assert go_verify(go_verifier, path, world.log_key)[0] == 0
    eng.dispose()


def test_python_verify_receipt_cli(world: World, tmp_path: Path) -> None:
    """The installed ``tracectl`` verifies the witnessed receipt offline (exit 0)."""
    path = world.receipts[world.demo["samples"]["event_id"]]
    other = note.Signer(WITNESS_NAME, signing.generate_keypair()[0], note.COSIGNATURE_V1)
    base = ["ledger", "verify-receipt", str(path), "--log-key", world.log_key]
    good = _tracectl([*base, "--witness-key", world.witness_key, "--json"], world.env, tmp_path)
    rc, out, err = _done(good)
    assert rc == 0, err
    res = json.loads(out)
    assert res["valid"] is True and res["witnesses"] == [WITNESS_NAME]
    assert res["event_hash"] == world.demo["samples"]["event_id"]
    # A wrong witness key: exit 1 (in process; test_ledger_cli covers the exit codes).
    bad = _invoke([*base[1:], "--witness-key", other.verifier.vkey()], world.env)
    assert bad.exit_code == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: no valid signature by " + WITNESS_NAME)


# -------------------------------------------------------------- tampering, rejected by Go


def _parts(text: str) -> tuple[list[str], str]:
    head, _, cp_note = text.partition("\n\n")
    return head.split("\n"), cp_note


def _join(lines: list[str], cp_note: str) -> str:
    return "\n".join(lines) + "\n\n" + cp_note


def _flip_proof_bit(text: str) -> str:
    lines, cp_note = _parts(text)
    raw = bytearray(base64.b64decode(lines[3]))
    raw[5] ^= 0x10
    lines[3] = base64.b64encode(bytes(raw)).decode()
    return _join(lines, cp_note)


def _wrong_index(text: str) -> str:
    lines, cp_note = _parts(text)
    lines[2] = f"index {int(lines[2][6:]) + 1}"
    return _join(lines, cp_note)


def _padded_index(text: str) -> str:
    lines, cp_note = _parts(text)
    lines[2] = f"index 0{lines[2][6:]}"
    return _join(lines, cp_note)


def _alter_leaf(text: str) -> str:
    lines, cp_note = _parts(text)
    extra = json.loads(base64.b64decode(lines[1][6:]))
    record = json.loads(base64.b64decode(extra["record"]))
    record["device"] = record["device"] + "x"
    extra["record"] = base64.b64encode(signing.canonical(record)).decode()
    lines[1] = "extra " + base64.b64encode(json.dumps(extra).encode()).decode()
    return _join(lines, cp_note)


def _drop_proof_line(text: str) -> str:
    lines, cp_note = _parts(text)
    return _join(lines[:-1], cp_note)


def _alter_root(text: str) -> str:
    lines, cp_note = _parts(text)
    body = cp_note.split("\n")
    raw = bytearray(base64.b64decode(body[2]))
    raw[0] ^= 1
    body[2] = base64.b64encode(bytes(raw)).decode()
    return _join(lines, "\n".join(body))


def _resign(text: str, signer: note.Signer, *, root: bytes | None = None) -> str:
    lines, cp_note = _parts(text)
    cp = checkpoint.parse(cp_note)
    return _join(lines, _signed(signer, cp.origin, cp.size, root or cp.root))


def _flip_cosignature(text: str) -> str:
    lines, cp_note = _parts(text)
    out = []
    for line in cp_note.splitlines(keepends=True):
        if line.startswith(f"{note.DASH} {WITNESS_NAME} "):
            raw = bytearray(base64.b64decode(line.split(" ")[2]))
            raw[-1] ^= 1
            line = f"{note.DASH} {WITNESS_NAME} {base64.b64encode(bytes(raw)).decode()}\n"
        out.append(line)
    return _join(lines, "".join(out))


def test_go_verifier_rejects_tampered_receipts(
    world: World, go_verifier: Path, tmp_path: Path
) -> None:
    sample = world.receipts[world.demo["samples"]["event_id"]].read_text()
    # The same origin (name) with another key: a look-alike log signer.
    impostor = note.Signer("suyuan.example/ledger", signing.generate_keypair()[0])
    cases: dict[str, tuple[str, tuple[str, ...]]] = {
        "flipped bit in a proof hash": (_flip_proof_bit(sample), ()),
        "wrong index": (_wrong_index(sample), ()),
        "index with a leading zero": (_padded_index(sample), ()),
        "altered leaf bytes": (_alter_leaf(sample), ()),
        "proof line dropped": (_drop_proof_line(sample), ()),
        "altered checkpoint root": (_alter_root(sample), ()),
        "signed by another key": (_resign(sample, impostor), ()),
        "another key, another root": (_resign(sample, impostor, root=b"\x07" * 32), ()),
        "cosignature flipped": (_flip_cosignature(sample), (world.witness_key,)),
        "cosignature missing": (_resign(sample, _log_signer(world)), (world.witness_key,)),
    }
    for name, (text, wkeys) in cases.items():
        assert text != sample, name
        path = tmp_path / f"{name.replace(' ', '_')}.tlog-proof"
        path.write_text(text)
        rc, _, err = go_verify(go_verifier, path, world.log_key, wkeys)
        assert rc == 1, f"Go verifier accepted a receipt with {name}"
        assert err.startswith("invalid:"), (name, err)
        # The Python verifier agrees.
        with pytest.raises(Exception):  # noqa: B017 - any verification error
            receipt.verify_receipt(text, log_key=world.log_key, witness_keys=wkeys)
    # Re-signing the untouched checkpoint with the real log key keeps it valid (a control).
    control = tmp_path / "control.tlog-proof"
    control.write_text(_resign(sample, _log_signer(world)))
    assert go_verify(go_verifier, control, world.log_key)[0] == 0
    # The right receipt with the wrong keys.
    path = world.receipts[world.demo["samples"]["event_id"]]
    other_w = note.Signer(WITNESS_NAME, signing.generate_keypair()[0], note.COSIGNATURE_V1)
    assert go_verify(go_verifier, path, impostor.verifier.vkey())[0] == 1
    assert go_verify(go_verifier, path, world.log_key, (other_w.verifier.vkey(),))[0] == 1
    assert go_verify(go_verifier, path, world.witness_key)[0] == 1  # a cosigner is no log key
    assert go_verify(go_verifier, path, world.log_key, (world.log_key,))[0] == 1  # nor the reverse


def _log_signer(world: World) -> note.Signer:
    return note.Signer.parse((world.data_dir / "log.key").read_text())


# ------------------------------------------------------------------------------ witness


def test_witness_refuses_inconsistent_checkpoints_and_survives_restart(
    world: World, go_verifier: Path, tmp_path: Path
) -> None:
    log = _log_signer(world)
    cp = checkpoint.parse(world.checkpoint_note)
    n, origin = cp.size, cp.origin
    good = world.checkpoint_note[: world.checkpoint_note.index("\n\n") + 2] + log.sign(cp.text)
    url = world.witness.url

    # Its state is n: a client starting from 0 learns it (409, text/x.tlog.size).
    assert _post(url, checkpoint.add_checkpoint_request(0, [], good)) == (
        409,
        "text/x.tlog.size",
        f"{n}\n",
    )
    # The same checkpoint again from n: cosigned again.
    status, _, body = _post(url, checkpoint.add_checkpoint_request(n, [], good))
    assert status == 200 and body.startswith(f"{note.DASH} {WITNESS_NAME} ")
    # A fork: same size, another root, properly signed by the log key.
    fork = _signed(log, origin, n, b"\x01" * 32)
    assert _post(url, checkpoint.add_checkpoint_request(n, [], fork))[0] == 409
    # A larger tree whose consistency proof does not verify.
    bigger = _signed(log, origin, n + 3, b"\x02" * 32)
    assert _post(url, checkpoint.add_checkpoint_request(n, [b"\x03" * 32] * 3, bigger))[0] == 422
    assert _post(url, checkpoint.add_checkpoint_request(n, [], bigger))[0] == 422
    # Malformed requests, unknown origins, untrusted keys.
    assert _post(url, checkpoint.add_checkpoint_request(n + 1, [], good))[0] == 400
    assert _post(url, b"old 01\n\n" + good.encode())[0] == 400
    assert _post(url, checkpoint.add_checkpoint_request(n, [], "garbage\n"))[0] == 400
    other_origin = note.Signer("elsewhere.example/log", log.seed)
    assert (
        _post(
            url,
            checkpoint.add_checkpoint_request(
                n, [], _signed(other_origin, "elsewhere.example/log", n, cp.root)
            ),
        )[0]
        == 404
    )
    impostor = note.Signer(origin, signing.generate_keypair()[0])
    assert (
        _post(
            url, checkpoint.add_checkpoint_request(n, [], _signed(impostor, origin, n + 1, cp.root))
        )[0]
        == 403
    )
    post = b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nConnection: close\r\n"
    assert _raw_status(url, post + b"Content-Length: abc\r\n\r\n") == 400
    assert _raw_status(url, post + b"Content-Length: -5\r\n\r\n") == 400
    assert _raw_status(url, post + b"Content-Length: 999999\r\n\r\n") == 413
    assert _raw_status(url, post.replace(b"/add-checkpoint", b"/other") + b"\r\n") == 404
    # None of that moved its state.
    assert json.loads(world.witness_state.read_text())[origin]["size"] == n

    # Restart the witness process on the same state file (and a new port).
    _stop(world.witness)
    world.witness = _start_witness(
        world.env, tmp_path, world.witness_key_file, world.witness_state, world.log_key
    )
    url = world.witness.url
    assert _post(url, checkpoint.add_checkpoint_request(0, [], good)) == (
        409,
        "text/x.tlog.size",
        f"{n}\n",
    )
    assert _post(url, checkpoint.add_checkpoint_request(n, [], fork))[0] == 409

    # The log grows; the platform's checkpoint collects a cosignature through a real proof.
    eng = create_engine(url=world.db_url)
    with Session(eng) as s:
        seed, kid = setup_device(s, "interop-dev")
        new = service.append_events(
            s,
            submissions=submissions(
                seed, kid, [event(i) for i in range(500, 505)], device="interop-dev"
            ),
        )
        s.commit()
    eng.dispose()
    eng = create_engine(url=world.db_url)
    with Session(eng) as s:
        settings = Settings(
            data_dir=world.data_dir, witness_urls=url, witness_keys=world.witness_key
        )
        cp2_note = checkpoint.sign_checkpoint(s, settings=settings).note
        s.commit()
    eng.dispose()
    cp2 = checkpoint.parse(cp2_note)
    assert cp2.size == n + 6  # the key registration and five events
    assert [s.name for s in note.split(cp2_note)[1]] == [origin, WITNESS_NAME]
    assert json.loads(world.witness_state.read_text())[origin]["size"] == cp2.size
    # A receipt for a new event, against the new witnessed checkpoint, verifies in Go.
    eng = create_engine(url=world.db_url)
    with Session(eng) as s:
        text = receipt.build_receipt(
            s, event_hash=str(service.get_record(s, index=new[-1].index).event_hash)
        )
    eng.dispose()
    path = tmp_path / "new.tlog-proof"
    path.write_text(text)
    rc, out, err = go_verify(go_verifier, path, world.log_key, (world.witness_key,))
    assert rc == 0, err
    assert out is not None and out["size"] == cp2.size and out["index"] == new[-1].index
    # The old (smaller) checkpoint is now refused by the restarted witness.
    assert _post(url, checkpoint.add_checkpoint_request(n, [], good)) == (
        409,
        "text/x.tlog.size",
        f"{cp2.size}\n",
    )


def test_go_verifier_checks_consistency_proofs(
    world: World, go_verifier: Path, tmp_path: Path
) -> None:
    """RFC 9162 consistency proofs from the store (as `tracectl ledger prove --old --new` prints
    them) between checkpoints signed with the log key, checked with sumdb/tlog.CheckTree."""
    log = _log_signer(world)
    eng = create_engine(url=world.db_url)
    with Session(eng) as s:
        n = service.log_size(s)
        sizes = sorted({1, 2, 3, 7, 8, 9, 64, 100, 128, 129, n // 2, n - 1, n})
        notes = {}
        for size in sizes:
            notes[size] = tmp_path / f"cp{size}"
            notes[size].write_text(_signed(log, log.name, size, service.root_at(s, size)))
    eng.dispose()

    def check(old: int, new: int, proof_text: str) -> int:
        proof_file = tmp_path / "proof"
        proof_file.write_text(proof_text)
        files = [str(notes[old]), str(notes[new]), str(proof_file)]
        res = subprocess.run(
            [str(go_verifier), "-log-key", world.log_key, "-consistency", *files],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return res.returncode

    pairs = [(a, b) for a in sizes for b in sizes if a <= b]
    for old, new in pairs:
        res = _invoke(["prove", "--old", str(old), "--new", str(new)], world.env)
        assert res.exit_code == 0, res.output
        assert check(old, new, res.stdout) == 0, (old, new)
        if old < new and res.stdout:
            lines = res.stdout.splitlines()
            raw = bytearray(base64.b64decode(lines[-1]))
            raw[3] ^= 4
            lines[-1] = base64.b64encode(bytes(raw)).decode()
            assert check(old, new, "\n".join(lines) + "\n") == 1, (old, new)
            assert check(new, old, res.stdout) == 1, (old, new)  # swapped
    # A proof for another pair does not verify.
    other = _invoke(["prove", "--old", "7", "--new", str(n)], world.env).stdout
    assert check(8, n, other) == 1
