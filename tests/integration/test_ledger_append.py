"""Appends, proofs, checkpoints, witness cosignatures and receipts on SQLite and TimescaleDB."""

from __future__ import annotations

import base64
import logging
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from tests.support.ledger import T0, event, fill, setup_device, submissions
from tests.support.merkle import mth
from traceability.config import Settings
from traceability.ledger import (
    audit,
    bulk,
    checkpoint,
    log_state,
    merkle,
    note,
    receipt,
    service,
    store,
)
from traceability.ledger.errors import InconsistentCheckpointError, ReceiptError
from traceability.ledger.witness import Response, Witness, serve
from traceability.registry.keys import KeyLookupError, key_for, revoke_key, rotate_key
from traceability.signing import ed25519 as signing
from traceability.signing.errors import WeakKeyError


def test_append_dedupe_and_proofs(engine: Engine) -> None:
    with Session(engine) as s:
        seed, kid, results = fill(s, n=13)
        assert [r.status for r in results] == ["appended"] * 13
        assert [r.index for r in results] == list(range(1, 14))  # entry 0 registered the key
        again = service.append_events(s, submissions=submissions(seed, kid, [event(0)], seq=99))
        assert again[0].status == "duplicate" and again[0].index == 1
        n = service.log_size(s)
        assert n == 14
        root = service.root_at(s, n)
        for size in (1, 5, 8, 14):
            r = service.root_at(s, size)
            for i in range(size):
                leaf = service.get_record(s, index=i).leaf_hash
                merkle.verify_inclusion(
                    i, size, leaf, service.inclusion_proof(s, index=i, size=size), r
                )
            merkle.verify_consistency(
                size, n, r, root, service.consistency_proof(s, old=size, new=n)
            )
        assert audit.audit(s).ok


def test_checkpoint_witness_receipt(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    wseed, _ = signing.generate_keypair()
    with Session(engine) as s:
        fill(s, n=6)
        log = checkpoint.load_log_signer(settings)
        w = Witness(
            signer=note.Signer("regulator.example/w1", wseed),
            logs=[log.verifier],
            state_file=tmp_path / "w.json",
        )
        server = serve(w)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        wkey = w.signer.verifier.vkey()
        settings = Settings(data_dir=tmp_path, witness_urls=url, witness_keys=wkey)
        cp = checkpoint.sign_checkpoint(s, settings=settings)
        s.commit()
        assert cp.size == 7 and cp.note.count(note.DASH) == 2
        fill_more = submissions(*_device2(s), [event(40), event(41)], device="dev-2")
        service.append_events(s, submissions=fill_more)
        s.commit()
        cp2 = checkpoint.sign_checkpoint(s, settings=settings)  # witness needs a proof 7 -> 10
        s.commit()
        server.shutdown()
        assert cp2.size == 10 and cp2.note.count(note.DASH) == 2
        ev = service.get_record(s, index=3)
        text = receipt.build_receipt(s, event_hash=str(ev.event_hash))
        res = receipt.verify_receipt(text, log_key=log.verifier.vkey(), witness_keys=[wkey])
        assert res.index == 3 and res.event["type"]
        forged = text.replace("index 3", "index 4")
        with pytest.raises(Exception):  # noqa: B017 - any verification error
            receipt.verify_receipt(forged, log_key=log.verifier.vkey())
        other = note.Signer("regulator.example/w1", signing.generate_keypair()[0], 4)
        with pytest.raises(Exception):  # noqa: B017
            receipt.verify_receipt(
                text, log_key=log.verifier.vkey(), witness_keys=[other.verifier.vkey()]
            )
        assert audit.audit(s, log_key=log.verifier).ok


class _MixedWitness(Witness):
    """A real witness whose answer also carries lines that are not its valid cosignature."""

    def __init__(self, *, junk: list[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.junk = junk

    def add_checkpoint(self, body: bytes) -> Response:
        resp = super().add_checkpoint(body)
        if resp.status != 200:
            return resp
        return Response(200, resp.content_type, "".join(self.junk) + resp.body)


def _bad_lines(w: note.Signer, log: note.Signer, text: str) -> list[str]:
    good = w.cosign(text, int(time.time()))
    raw = bytearray(base64.b64decode(good.split(" ")[2]))
    raw[-1] ^= 1
    stranger = note.Signer("stranger.example/w", signing.generate_keypair()[0], 4)
    return [
        "— not a signature line\n",
        f"{note.DASH} {w.name} !!!notbase64\n",
        f"{note.DASH} {w.name} {base64.b64encode(bytes(raw)).decode()}\n",  # bad signature
        w.cosign(text, int(time.time()) + 86_400),  # dated tomorrow
        w.cosign(text.replace("\n", "x\n", 1), int(time.time())),  # another checkpoint
        stranger.cosign(text, int(time.time())),  # an unknown key
        log.sign(text),  # the log's own name
        note.Signer(log.name, w.seed, 4).cosign(text, int(time.time())),  # the log's name again
    ]


def test_only_verified_cosignatures_are_stored(engine: Engine, tmp_path: Path) -> None:
    """A witness answering with malformed, foreign or forged lines next to its cosignature:
    only the cosignature is stored and served; the checkpoint and receipts still verify."""
    settings = Settings(data_dir=tmp_path)
    with Session(engine) as s:
        fill(s, n=4)
        log = checkpoint.load_log_signer(settings)
        wsigner = note.Signer("regulator.example/w1", signing.generate_keypair()[0], 4)
        size = service.log_size(s)
        text = checkpoint.body(log.name, size, service.root_at(s, size))
        w = _MixedWitness(
            junk=_bad_lines(wsigner, log, text),
            signer=wsigner,
            logs=[log.verifier],
            state_file=tmp_path / "w.json",
        )
        server = serve(w)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        wkey = w.signer.verifier.vkey()
        settings = Settings(data_dir=tmp_path, witness_urls=url, witness_keys=wkey)
        try:
            cp = checkpoint.sign_checkpoint(s, settings=settings)
            s.commit()
        finally:
            server.shutdown()
        _, sigs = note.split(cp.note)
        assert [x.name for x in sigs] == [log.name, w.signer.name]
        assert note.verified_by(cp.note, w.signer.verifier) > 0
        stored = s.connection().execute(sa.text("select line from ledger_cosignature")).all()
        assert [r[0] for r in stored] == [sigs[1].line]
        ev = service.get_record(s, index=2)
        rtext = receipt.build_receipt(s, event_hash=str(ev.event_hash))
        res = receipt.verify_receipt(rtext, log_key=log.verifier.vkey(), witness_keys=[wkey])
        assert res.witnesses == [w.signer.name]


def test_unverified_cosignature_rows_are_not_served(engine: Engine, tmp_path: Path) -> None:
    """Rows stored before cosignatures were verified cannot break the served note."""
    settings = Settings(data_dir=tmp_path)
    wsigner = note.Signer("regulator.example/w1", signing.generate_keypair()[0], 4)
    with Session(engine) as s:
        fill(s, n=3)
        log = checkpoint.load_log_signer(settings)
        cp = checkpoint.sign_checkpoint(s, settings=settings)
        good = wsigner.cosign(cp.text, int(time.time()))
        lines = [*_bad_lines(wsigner, log, cp.text), good]
        now = datetime.now(UTC)
        rows = [(cp.size, ln.split(" ")[1], ln, now) for ln in lines]
        bulk.insert(s, "ledger_cosignature", ("size", "witness", "line", "received_at"), rows)
        s.commit()
        plain = checkpoint.latest_checkpoint(s)  # structurally sound lines only
        note.split(plain.note)
        assert note.verified_by(plain.note, log.verifier) == 0
        assert all(x.name != log.name for x in note.split(plain.note)[1][1:])
        checked = checkpoint.latest_checkpoint(s, witnesses=[wsigner.verifier])
        assert checked.note == cp.note + good
        assert note.verified_by(checked.note, wsigner.verifier) > 0


def test_witness_urls_without_keys_collect_nothing(
    engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(data_dir=tmp_path)
    with Session(engine) as s:
        fill(s, n=3)
        log = checkpoint.load_log_signer(settings)
        w = Witness(
            signer=note.Signer("regulator.example/w1", signing.generate_keypair()[0]),
            logs=[log.verifier],
            state_file=tmp_path / "w.json",
        )
        server = serve(w)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        try:
            with caplog.at_level(logging.WARNING):
                settings = Settings(data_dir=tmp_path, witness_urls=url)
                cp = checkpoint.sign_checkpoint(s, settings=settings)
        finally:
            server.shutdown()
        assert cp.note.count(note.DASH) == 1
        assert "TRACE_WITNESS_KEYS" in caplog.text


def _device2(s: Session) -> tuple[bytes, str]:
    return setup_device(s, "dev-2")


def test_signer_refuses_inconsistent(engine: Engine, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    with Session(engine) as s:
        fill(s, n=3)
        checkpoint.sign_checkpoint(s, settings=settings)
        s.commit()
    state = Path(str(settings.effective_log_key_file) + ".last")
    size = state.read_text().split()[0]
    state.write_text(f"{size} {'A' * 43}=\n")  # a different root at the same size
    with Session(engine) as s, pytest.raises(InconsistentCheckpointError):
        checkpoint.sign_checkpoint(s, settings=settings)


def test_witness_statuses(tmp_path: Path) -> None:
    log = note.Signer("log.example", signing.generate_keypair()[0])
    w = Witness(
        signer=note.Signer("w.example", signing.generate_keypair()[0]),
        logs=[log.verifier],
        state_file=tmp_path / "s.json",
    )
    leaves = [merkle.leaf_hash(bytes([i])) for i in range(6)]
    nodes = {(0, i): h for i, h in enumerate(leaves)}
    nodes.update({(lv, i): h for lv, i, h in merkle.append_leaves(0, [], leaves)[0]})

    def cp(n: int, signer: note.Signer = log) -> str:
        text = checkpoint.body(signer.name, n, merkle.range_hash(0, n, nodes.__getitem__))
        return text + "\n" + signer.sign(text)

    def req(old: int, n: int, proof: list[bytes] | None = None, signer: note.Signer = log) -> int:
        return w.add_checkpoint(
            checkpoint.add_checkpoint_request(old, proof or [], cp(n, signer))
        ).status

    assert req(0, 3) == 200
    assert req(0, 5) == 409
    assert req(7, 5) == 400
    bad = [bytes(32)]
    assert req(3, 5, bad) == 422
    good = [merkle.range_hash(a, b, nodes.__getitem__) for a, b in merkle.consistency_ranges(3, 5)]
    assert req(3, 5, good) == 200
    stranger = note.Signer("log.example", signing.generate_keypair()[0])
    assert req(5, 6, None, stranger) == 403
    assert req(5, 6, None, note.Signer("other.example", stranger.seed)) == 404
    resp = w.add_checkpoint(checkpoint.add_checkpoint_request(5, [], cp(5)))
    line = resp.body
    assert note.verified_by(cp(5) + line, w.signer.verifier) > 0


def test_key_lifecycle(engine: Engine) -> None:
    from datetime import timedelta

    with Session(engine) as s:
        _, kid = setup_device(s)
        assert key_for(s, key_id=kid, device_id="dev-1", at=T0).key_id == kid
        _, pub2 = signing.generate_keypair()
        new = rotate_key(s, device_id="dev-1", new_public_key=pub2, at=T0 + timedelta(hours=1))
        assert key_for(s, key_id=kid, device_id="dev-1", at=T0 + timedelta(minutes=59))
        with pytest.raises(KeyLookupError) as e1:
            key_for(s, key_id=kid, device_id="dev-1", at=T0 + timedelta(hours=2))
        assert e1.value.code == "unknown_key"
        revoke_key(
            s, device_id="dev-1", key_id=new.key_id, at=T0 + timedelta(hours=3), reason="lost"
        )
        with pytest.raises(KeyLookupError) as e2:
            key_for(s, key_id=new.key_id, device_id="dev-1", at=T0 + timedelta(hours=3))
        assert e2.value.code == "device_revoked"
        with pytest.raises(KeyLookupError) as e3:
            key_for(s, key_id=kid, device_id="nope", at=T0)
        assert e3.value.code == "unknown_device"
        with pytest.raises(WeakKeyError):
            rotate_key(s, device_id="dev-1", new_public_key=bytes([1]) + bytes(31))
        s.commit()
        assert audit.audit(s).ok
        assert store.size(s) == 3


def test_receipt_needs_checkpoint(engine: Engine) -> None:
    with Session(engine) as s:
        _, _, res = fill(s, n=2)
        with pytest.raises(Exception):  # noqa: B017 - no checkpoint yet
            receipt.build_receipt(s, event_hash=res[0].event_hash)
    assert ReceiptError.code == "bad_receipt"


def test_large_batch_streams_its_records(engine: Engine) -> None:
    """More rows than bulk.SMALL_ROWS: on PostgreSQL the records are built while their binary
    COPY is sent (bulk.copy_stream); the log must be the one a row-at-a-time build gives."""
    n = 3 * bulk.SMALL_ROWS
    with Session(engine) as s:
        seed, kid = setup_device(s)
        subs = submissions(seed, kid, [event(i, items=n) for i in range(n)])  # all distinct
        results = service.append_events(s, submissions=subs, recorded_at=T0)
        s.commit()
        assert [r.index for r in results] == list(range(1, n + 1))
        size = service.log_size(s)
        entries = [service.get_record(s, index=i).record for i in range(size)]
        assert service.root_at(s, size) == mth(entries)  # the naive RFC 9162 reference
        assert audit.audit(s).ok


def test_an_event_recorded_twice_is_refused_or_named(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The append's duplicate check bypassed (as a faulty or hostile writer would): SQLite's
    unique index refuses the second record; on PostgreSQL (a hash index, migration 0005) the
    audit names it, and nothing else fails."""
    with Session(engine) as s:
        seed, kid, first = fill(s, n=3)
        real = log_state._query

        def blind(*args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
            return [r for r in real(*args, **kwargs) if r[0] != 1]  # "nothing recorded yet"

        monkeypatch.setattr(log_state, "_query", blind)
        again = submissions(seed, kid, [event(0)], seq=77)  # the same event, a new envelope
        if engine.dialect.name == "sqlite":
            with pytest.raises(sa.exc.IntegrityError):
                service.append_events(s, submissions=again, recorded_at=T0)
                s.flush()
            return
        (twice,) = service.append_events(s, submissions=again, recorded_at=T0)
        s.commit()
        assert twice.status == "appended"
        report = audit.audit(s)
        assert [f.to_dict()["message"] for f in report.failures] == [
            f"step 4: event {first[0].event_hash} recorded twice"
        ]
        assert report.failures[0].to_dict()["index"] == twice.index
