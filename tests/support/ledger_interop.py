"""Helpers for the ledger interop tests: the Go verifier build and run, the witness process,
the in-process and subprocess ``tracectl`` calls, the demo world and receipt tampering."""

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
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session
from typer.testing import CliRunner, Result

from gateway.embedded_broker import free_port
from traceability.cli import ledger_cmd
from traceability.config import get_settings
from traceability.ledger import checkpoint, note, receipt
from traceability.signing import ed25519 as signing
from traceability.store.engine import create_engine

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


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env["TRACE_DATA_DIR"] = str(data_dir)
    env.update(extra)
    return env


def _runner_env(env: dict[str, str]) -> dict[str, str | None]:
    """``env`` for typer's CliRunner: unset every other TRACE_ variable of this process."""
    out: dict[str, str | None] = {k: None for k in os.environ if k.startswith("TRACE_")}
    out.update({k: v for k, v in env.items() if k.startswith("TRACE_")})
    return out


def invoke_ledger(args: list[str], env: dict[str, str]) -> Result:
    """``tracectl ledger ARGS`` in process; ``get_settings`` is cached, so cleared around it."""
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(ledger_cmd.app, args, env=_runner_env(env))
    finally:
        get_settings.cache_clear()


def run_tracectl(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [TRACECTL, *args],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_done(proc: subprocess.Popen[str], timeout: float = 60) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def ok_output(proc: subprocess.Popen[str]) -> str:
    rc, out, err = wait_done(proc)
    assert rc == 0, f"{proc.args!r} exited {rc}: {err}"
    return out


def _stale() -> bool:
    if not VERIFIER.exists():
        return True
    built = VERIFIER.stat().st_mtime
    return any(src.stat().st_mtime > built for src in GO_SOURCES)


def build_go_verifier() -> Path:
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


def start_witness(
    env: dict[str, str], cwd: Path, key: Path, state: Path, log_key: str
) -> WitnessProc:
    port = free_port()
    proc = run_tracectl(
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


def stop_witness(w: WitnessProc) -> None:
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


def post_checkpoint(url: str, body: bytes) -> tuple[int, str, str]:
    req = urllib.request.Request(f"{url}/add-checkpoint", data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read().decode()


def raw_status(url: str, head: bytes) -> int:
    """The status line's code for a hand-written request (headers the client would not send)."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(head)
        reply = conn.makefile("rb").readline().decode()
    return int(reply.split(" ")[1]) if reply.startswith("HTTP/") else 0


def signed_note(signer: note.Signer, origin: str, size: int, root: bytes) -> str:
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


@contextmanager
def running_world(base: Path) -> Iterator[World]:
    """The demo store, its log key, a running witness and receipts against its cosigned
    checkpoint; the witness process (the one in ``World.witness`` at the end) is stopped after."""
    data_dir = base / "data"
    data_dir.mkdir()
    env = clean_env(data_dir)
    wkey_file = base / "witness.key"
    state = base / "witness-state.json"
    # Process starts cost seconds of imports each, so they overlap: the log key is created
    # first (in process, the same command), then the demo, `tracectl ledger key` and
    # `tracectl witness keygen` run together, and the witness starts while the demo runs.
    first = invoke_ledger(["key"], env)
    assert first.exit_code == 0, first.output
    demo_p = run_tracectl(["demo", "--once", "--json"], env, base)
    key_p = run_tracectl(["ledger", "key"], env, base)
    keygen_p = run_tracectl(
        ["witness", "keygen", "--name", WITNESS_NAME, "--key", str(wkey_file)], env, base
    )
    log_key, witness_key = ok_output(key_p).strip(), ok_output(keygen_p).strip()
    assert log_key == first.output.strip()
    w = start_witness(env, base, wkey_file, state, log_key)
    try:
        demo = json.loads(ok_output(demo_p))
        wenv = clean_env(data_dir, TRACE_WITNESS_URLS=w.url, TRACE_WITNESS_KEYS=witness_key)
        # `tracectl ledger checkpoint` with TRACE_WITNESS_URLS/KEYS, in process too.
        signed = invoke_ledger(["checkpoint"], wenv)
        assert signed.exit_code == 0, signed.output
        cp_note = signed.stdout
        events = _event_hashes(data_dir / "suyuan.db")
        sample = demo["samples"]["event_id"]
        picks = {h for _, h in (events[0], events[1], events[len(events) // 2], events[-1])}
        receipts = {sample: base / "sample.tlog-proof"}
        # `tracectl ledger receipt EVENT_ID --out F`, in process (same code, no start-up).
        res = invoke_ledger(["receipt", sample, "--out", str(receipts[sample])], wenv)
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
        stop_witness(w)


# -------------------------------------------------------------------- receipt tampering


def _parts(text: str) -> tuple[list[str], str]:
    head, _, cp_note = text.partition("\n\n")
    return head.split("\n"), cp_note


def _join(lines: list[str], cp_note: str) -> str:
    return "\n".join(lines) + "\n\n" + cp_note


def flip_proof_bit(text: str) -> str:
    lines, cp_note = _parts(text)
    raw = bytearray(base64.b64decode(lines[3]))
    raw[5] ^= 0x10
    lines[3] = base64.b64encode(bytes(raw)).decode()
    return _join(lines, cp_note)


def wrong_index(text: str) -> str:
    lines, cp_note = _parts(text)
    lines[2] = f"index {int(lines[2][6:]) + 1}"
    return _join(lines, cp_note)


def padded_index(text: str) -> str:
    lines, cp_note = _parts(text)
    lines[2] = f"index 0{lines[2][6:]}"
    return _join(lines, cp_note)


def alter_leaf(text: str) -> str:
    lines, cp_note = _parts(text)
    extra = json.loads(base64.b64decode(lines[1][6:]))
    record = json.loads(base64.b64decode(extra["record"]))
    record["device"] = record["device"] + "x"
    extra["record"] = base64.b64encode(signing.canonical(record)).decode()
    lines[1] = "extra " + base64.b64encode(json.dumps(extra).encode()).decode()
    return _join(lines, cp_note)


def drop_proof_line(text: str) -> str:
    lines, cp_note = _parts(text)
    return _join(lines[:-1], cp_note)


def alter_root(text: str) -> str:
    lines, cp_note = _parts(text)
    body = cp_note.split("\n")
    raw = bytearray(base64.b64decode(body[2]))
    raw[0] ^= 1
    body[2] = base64.b64encode(bytes(raw)).decode()
    return _join(lines, "\n".join(body))


def resign(text: str, signer: note.Signer, *, root: bytes | None = None) -> str:
    lines, cp_note = _parts(text)
    cp = checkpoint.parse(cp_note)
    return _join(lines, signed_note(signer, cp.origin, cp.size, root or cp.root))


def flip_cosignature(text: str) -> str:
    lines, cp_note = _parts(text)
    out = []
    for line in cp_note.splitlines(keepends=True):
        if line.startswith(f"{note.DASH} {WITNESS_NAME} "):
            raw = bytearray(base64.b64decode(line.split(" ")[2]))
            raw[-1] ^= 1
            line = f"{note.DASH} {WITNESS_NAME} {base64.b64encode(bytes(raw)).decode()}\n"
        out.append(line)
    return _join(lines, "".join(out))


def log_signer(world: World) -> note.Signer:
    return note.Signer.parse((world.data_dir / "log.key").read_text())
