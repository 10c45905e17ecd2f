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
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from tests.support.ledger import event, setup_device, submissions
from tests.support.ledger_interop import (
    WITNESS_NAME,
    World,
    alter_leaf,
    alter_root,
    build_go_verifier,
    drop_proof_line,
    flip_cosignature,
    flip_proof_bit,
    go_verify,
    invoke_ledger,
    log_signer,
    padded_index,
    post_checkpoint,
    raw_status,
    resign,
    run_tracectl,
    running_world,
    signed_note,
    start_witness,
    stop_witness,
    wait_done,
    wrong_index,
)
from traceability.config import Settings
from traceability.ledger import checkpoint, merkle, note, receipt, service
from traceability.signing import ed25519 as signing
from traceability.store.engine import create_engine


@pytest.fixture(scope="module")
def go_verifier() -> Path:
    """The Go verifier binary; built here when Go is present, a failure (never a skip) if not."""
    return build_go_verifier()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, go_verifier: Path) -> Iterator[World]:
    with running_world(tmp_path_factory.mktemp("interop")) as w:
        yield w


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
    good = run_tracectl([*base, "--witness-key", world.witness_key, "--json"], world.env, tmp_path)
    rc, out, err = wait_done(good)
    assert rc == 0, err
    res = json.loads(out)
    assert res["valid"] is True and res["witnesses"] == [WITNESS_NAME]
    assert res["event_hash"] == world.demo["samples"]["event_id"]
    # A wrong witness key: exit 1 (in process; test_ledger_cli covers the exit codes).
    bad = invoke_ledger([*base[1:], "--witness-key", other.verifier.vkey()], world.env)
    assert bad.exit_code == 1 and bad.stdout == ""
    assert bad.stderr.startswith("error: no valid signature by " + WITNESS_NAME)


def test_go_verifier_rejects_tampered_receipts(
    world: World, go_verifier: Path, tmp_path: Path
) -> None:
    sample = world.receipts[world.demo["samples"]["event_id"]].read_text()
    # The same origin (name) with another key: a look-alike log signer.
    impostor = note.Signer("suyuan.example/ledger", signing.generate_keypair()[0])
    cases: dict[str, tuple[str, tuple[str, ...]]] = {
        "flipped bit in a proof hash": (flip_proof_bit(sample), ()),
        "wrong index": (wrong_index(sample), ()),
        "index with a leading zero": (padded_index(sample), ()),
        "altered leaf bytes": (alter_leaf(sample), ()),
        "proof line dropped": (drop_proof_line(sample), ()),
        "altered checkpoint root": (alter_root(sample), ()),
        "signed by another key": (resign(sample, impostor), ()),
        "another key, another root": (resign(sample, impostor, root=b"\x07" * 32), ()),
        "cosignature flipped": (flip_cosignature(sample), (world.witness_key,)),
        "cosignature missing": (resign(sample, log_signer(world)), (world.witness_key,)),
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
    control.write_text(resign(sample, log_signer(world)))
    assert go_verify(go_verifier, control, world.log_key)[0] == 0
    # The right receipt with the wrong keys.
    path = world.receipts[world.demo["samples"]["event_id"]]
    other_w = note.Signer(WITNESS_NAME, signing.generate_keypair()[0], note.COSIGNATURE_V1)
    assert go_verify(go_verifier, path, impostor.verifier.vkey())[0] == 1
    assert go_verify(go_verifier, path, world.log_key, (other_w.verifier.vkey(),))[0] == 1
    assert go_verify(go_verifier, path, world.witness_key)[0] == 1  # a cosigner is no log key
    assert go_verify(go_verifier, path, world.log_key, (world.log_key,))[0] == 1  # nor the reverse


# ------------------------------------------------------------------------------ witness


def test_witness_refuses_inconsistent_checkpoints_and_survives_restart(
    world: World, go_verifier: Path, tmp_path: Path
) -> None:
    log = log_signer(world)
    cp = checkpoint.parse(world.checkpoint_note)
    n, origin = cp.size, cp.origin
    good = world.checkpoint_note[: world.checkpoint_note.index("\n\n") + 2] + log.sign(cp.text)
    url = world.witness.url

    # Its state is n: a client starting from 0 learns it (409, text/x.tlog.size).
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(0, [], good)) == (
        409,
        "text/x.tlog.size",
        f"{n}\n",
    )
    # The same checkpoint again from n: cosigned again.
    status, _, body = post_checkpoint(url, checkpoint.add_checkpoint_request(n, [], good))
    assert status == 200 and body.startswith(f"{note.DASH} {WITNESS_NAME} ")
    # A fork: same size, another root, properly signed by the log key.
    fork = signed_note(log, origin, n, b"\x01" * 32)
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(n, [], fork))[0] == 409
    # A larger tree whose consistency proof does not verify.
    bigger = signed_note(log, origin, n + 3, b"\x02" * 32)
    assert (
        post_checkpoint(url, checkpoint.add_checkpoint_request(n, [b"\x03" * 32] * 3, bigger))[0]
        == 422
    )
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(n, [], bigger))[0] == 422
    # Malformed requests, unknown origins, untrusted keys.
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(n + 1, [], good))[0] == 400
    assert post_checkpoint(url, b"old 01\n\n" + good.encode())[0] == 400
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(n, [], "garbage\n"))[0] == 400
    other_origin = note.Signer("elsewhere.example/log", log.seed)
    assert (
        post_checkpoint(
            url,
            checkpoint.add_checkpoint_request(
                n, [], signed_note(other_origin, "elsewhere.example/log", n, cp.root)
            ),
        )[0]
        == 404
    )
    impostor = note.Signer(origin, signing.generate_keypair()[0])
    assert (
        post_checkpoint(
            url,
            checkpoint.add_checkpoint_request(n, [], signed_note(impostor, origin, n + 1, cp.root)),
        )[0]
        == 403
    )
    post = b"POST /add-checkpoint HTTP/1.1\r\nHost: w\r\nConnection: close\r\n"
    assert raw_status(url, post + b"Content-Length: abc\r\n\r\n") == 400
    assert raw_status(url, post + b"Content-Length: -5\r\n\r\n") == 400
    assert raw_status(url, post + b"Content-Length: 999999\r\n\r\n") == 413
    assert raw_status(url, post.replace(b"/add-checkpoint", b"/other") + b"\r\n") == 404
    # None of that moved its state.
    assert json.loads(world.witness_state.read_text())[origin]["size"] == n

    # Restart the witness process on the same state file (and a new port).
    stop_witness(world.witness)
    world.witness = start_witness(
        world.env, tmp_path, world.witness_key_file, world.witness_state, world.log_key
    )
    url = world.witness.url
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(0, [], good)) == (
        409,
        "text/x.tlog.size",
        f"{n}\n",
    )
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(n, [], fork))[0] == 409

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
    assert post_checkpoint(url, checkpoint.add_checkpoint_request(n, [], good)) == (
        409,
        "text/x.tlog.size",
        f"{cp2.size}\n",
    )


def test_go_verifier_checks_consistency_proofs(
    world: World, go_verifier: Path, tmp_path: Path
) -> None:
    """RFC 9162 consistency proofs from the store (as `tracectl ledger prove --old --new` prints
    them) between checkpoints signed with the log key, checked with sumdb/tlog.CheckTree."""
    log = log_signer(world)
    eng = create_engine(url=world.db_url)
    with Session(eng) as s:
        n = service.log_size(s)
        sizes = sorted({1, 2, 3, 7, 8, 9, 64, 100, 128, 129, n // 2, n - 1, n})
        notes = {}
        for size in sizes:
            notes[size] = tmp_path / f"cp{size}"
            notes[size].write_text(signed_note(log, log.name, size, service.root_at(s, size)))
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
        res = invoke_ledger(["prove", "--old", str(old), "--new", str(new)], world.env)
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
    other = invoke_ledger(["prove", "--old", "7", "--new", str(n)], world.env).stdout
    assert check(8, n, other) == 1
