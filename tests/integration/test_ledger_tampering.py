"""Tampering by direct SQL (protection deliberately disabled) is caught by the audit.

A data-driven corpus: each case names the tampering, the SQL that does it (per dialect where
they differ) or the record it rewrites (``rewrite``: index and change; the leaf hash is
recomputed, as a careful forger would), and the audit step and index of the first failure it
must produce (``first``). The store holds 13 records plus the key entry, with a signed
checkpoint at size 14 and the signer's state file beside the log key.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from tests.support.ledger import T0, event, fill, setup_device, submissions
from traceability import events
from traceability.config import Settings
from traceability.ledger import audit, checkpoint, merkle, records, service
from traceability.signing import ed25519 as signing


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda rec: rec["body"].pop(key)


def _put(key: str, value: Any, *, body: bool = True) -> Callable[[dict[str, Any]], None]:
    return lambda rec: (rec["body"] if body else rec).__setitem__(key, value)


TRUNCATE_AT = 10
CASES: dict[str, dict[str, Any]] = {
    "event_row_column": {
        "first": (6, 2, "event row columns"),
        "sql": "update event set biz_step = 'tampered' where ledger_index = 2",
    },
    "event_row_body": {
        "first": (6, 4, "event row body"),
        "sqlite": "update event set body = json_set(body, '$.action', 'ADD') "
        "where ledger_index = 4",
        "postgresql": "update event set body = jsonb_set(body, '{action}', '\"ADD\"') "
        "where ledger_index = 4",
    },
    "event_row_deleted": {
        "first": (6, 3, "event row missing"),
        "sql": "delete from event where ledger_index = 3",
    },
    # a second row for record 2 (the key is (ledger_index, event_time), so another time fits)
    "event_row_inserted": {
        "first": (6, 2, "event rows for one record"),
        "sqlite": "insert into event select event_hash, datetime(event_time, '+1 day'), "
        "event_type, action, biz_step, disposition, read_point, biz_location, device_id, "
        "ledger_index, recorded_at, body from event where ledger_index = 2",
        "postgresql": "insert into event select event_hash, event_time + interval '1 day', "
        "event_type, action, biz_step, disposition, read_point, biz_location, device_id, "
        "ledger_index, recorded_at, body from event where ledger_index = 2",
    },
    "record_modified": {
        "first": (2, 5, "leaf hash"),
        "sql": "update ledger_entry set record = (select record from ledger_entry where idx = 6) "
        "where idx = 5",
    },
    "leaf_hash_modified": {
        "first": (2, 5, "leaf hash"),
        "sql": "update ledger_entry set leaf_hash = (select leaf_hash from ledger_entry "
        "where idx = 6) where idx = 5",
    },
    "entry_column_modified": {
        "first": (2, 7, "entry columns"),
        "sql": "update ledger_entry set envelope = 'x' where idx = 7",
    },
    "edge_modified": {
        "first": (6, 1, "trace edges"),
        "sql": "update trace_edge set dst = 'urn:tampered' where ledger_index = 1",
    },
    "edge_deleted": {
        "first": (6, 1, "trace edges"),
        "sql": "delete from trace_edge where id = (select min(id) from trace_edge)",
    },
    "subtree_modified": {  # node (1, 1) lives on entry 3, which also holds (2, 0)
        "first": (7, 3, "stored subtree hashes (nodes)"),
        "sql": "update ledger_entry set nodes = (select nodes from ledger_entry "
        "where idx = 11) where idx = 3",
    },
    "subtree_deleted": {
        "first": (7, 3, "stored subtree hashes (nodes)"),
        "sql": "update ledger_entry set nodes = (select nodes from ledger_entry "
        "where idx = 0) where idx = 3",
    },
    "subtree_inserted": {
        "first": (7, 4, "stored subtree hashes (nodes)"),
        "sql": "update ledger_entry set nodes = (select nodes from ledger_entry "
        "where idx = 1) where idx = 4",
    },
    "edge_moved": {
        "first": (6, 1, "trace edges"),
        "sql": "update trace_edge set ledger_index = 2 where ledger_index = 1",
    },
    "edge_id_moved": {
        "first": (6, 1, "trace edges"),
        "sql": "update trace_edge set id = id + 100 * 1048576 where ledger_index = 1",
    },
    "record_deleted": {
        "first": (1, 3, "ledger index missing"),
        "sql": "delete from ledger_entry where idx = 3",
    },
    "last_record_deleted": {
        "first": (6, 13, "ledger_item rows"),
        "sql": "delete from ledger_entry where idx = 13",
    },
    "record_inserted": {
        "first": (2, 14, "record index"),
        "sql": "insert into ledger_entry (idx, kind, leaf_hash, nodes, record, recorded_at, "
        "event_hash, envelope) select 14, kind, leaf_hash, nodes, record, recorded_at, "
        "'ni:///x', envelope "
        "from ledger_entry where idx = 2",
    },
    "records_reordered": {
        "first": (2, 2, "record index"),
        "sql": "update ledger_entry set idx = -1 where idx = 2;"
        "update ledger_entry set idx = 2 where idx = 3;"
        "update ledger_entry set idx = 3 where idx = -1",
    },
    "item_link_deleted": {
        "first": (6, 4, "ledger_item rows"),
        "sql": "delete from ledger_item where idx = 4",
    },
    "item_link_inserted": {
        "first": (6, 5, "ledger_item rows"),
        "sql": "insert into ledger_item (item, idx) values ('urn:x', 5)",
    },
    "envelope_signature_modified": {
        "first": (4, 1, "envelope device/key/sig"),
        "sql": "update ledger_envelope set sig = "
        "(select leaf_hash from ledger_entry where idx = 0)",
    },
    "device_key_substituted": {
        "first": (8, None, "differs from the ledger"),
        "sql": "update device_key set public_key = :other_key",
    },
    # The event body inside the stored envelope (records, edges and event rows left alone).
    "envelope_event_body": {
        "first": (4, 1, "envelope digest"),
        "sqlite": "update ledger_envelope set body = cast(replace(cast(body as text), "
        "'\"OBSERVE\"', '\"DELETE\"') as blob) "
        "where digest = (select envelope from ledger_entry where idx = 1)",
        "postgresql": "update ledger_envelope set body = convert_to(replace(convert_from(body, "
        "'UTF8'), '\"OBSERVE\"', '\"DELETE\"'), 'UTF8') "
        "where digest = (select envelope from ledger_entry where idx = 1)",
    },
    "record_not_json": {  # the audit reports it (step 2) instead of stopping on a parse error
        "first": (2, 5, "record does not parse"),
        "sqlite": "update ledger_entry set record = cast('{\"index\": NaN' as blob) where idx = 5",
        "postgresql": "update ledger_entry set record = convert_to('{\"index\": NaN', 'UTF8') "
        "where idx = 5",
    },
    "checkpoint_modified": {
        "first": (8, 13, "checkpoint 14 does not verify: invalid signature"),
        "sql": "update ledger_checkpoint set note = replace(note, '\n14\n', '\n13\n')",
    },
    # the key entry (index 0) rewritten with its leaf hash: step 3 names it, no KeyError
    "key_entry_valid_from_removed": {
        "first": (3, 0, "key entry"),
        "rewrite": (0, _drop("valid_from")),
    },
    "key_entry_public_key_not_base64": {
        "first": (3, 0, "key entry"),
        "rewrite": (0, _put("public_key", "!!")),
    },
    "key_entry_body_not_an_object": {
        "first": (3, 0, "key entry"),
        "rewrite": (0, _put("body", "x", body=False)),
    },
    # a recording time with no UTC equivalent: named, not a crash in the time parsing
    "record_time_unreadable": {
        "first": (2, 5, "entry columns"),
        "rewrite": (5, _put("recorded_at", "0001-01-01T00:00:00+08:00", body=False)),
    },
    "event_row_time_unreadable": {
        "first": (6, 6, "event row columns"),
        "sqlite": "update event set event_time = 'not a time' where ledger_index = 6",
        # a timestamptz holds no unreadable time; one the envelope does not say, same chunk
        "postgresql": "update event set event_time = event_time + interval '1 second' "
        "where ledger_index = 6",
    },
    "checkpoint_root_column_modified": {
        "first": (8, 13, "checkpoint 14: root column differs from the signed root"),
        "sql": "update ledger_checkpoint set root = (select leaf_hash from ledger_entry "
        "where idx = 0)",
    },
    "checkpoint_row_deleted": {
        "first": (8, 13, "checkpoint row 14 missing (the signer state names it)"),
        "sql": "delete from ledger_checkpoint",
    },
    # the last entries with everything derived from them and the checkpoints: a rolled-back
    # tail that is consistent in itself; the signer state still names size 14
    "truncated_tail": {
        "first": (8, 10, "log rolled back: the signer state (size 14)"),
        "sql": ";".join(
            [
                f"delete from ledger_entry where idx >= {TRUNCATE_AT}",
                f"delete from event where ledger_index >= {TRUNCATE_AT}",
                f"delete from trace_edge where ledger_index >= {TRUNCATE_AT}",
                f"delete from ledger_item where idx >= {TRUNCATE_AT}",
                "delete from ledger_envelope where digest not in "
                "(select envelope from ledger_entry where envelope is not null)",
                "delete from ledger_checkpoint",
            ]
        ),
    },
}


def _rewrite(conn: sa.Connection, idx: int, change: Callable[[dict[str, Any]], None]) -> None:
    data = conn.execute(sa.text("select record from ledger_entry where idx = :i"), {"i": idx})
    rec = json.loads(bytes(data.scalar_one()))
    change(rec)
    new = records.record_bytes(rec)
    conn.execute(
        sa.text("update ledger_entry set record = :r, leaf_hash = :h where idx = :i"),
        {"r": new, "h": merkle.leaf_hash(new), "i": idx},
    )


def _tamper(engine: Engine, case: dict[str, Any]) -> None:
    sql = "" if "rewrite" in case else case.get("sql") or case[engine.dialect.name]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("set session_replication_role = replica"))
        else:
            names = conn.execute(sa.text("select name from sqlite_master where type = 'trigger'"))
            for (name,) in list(names):
                conn.execute(sa.text(f"drop trigger {name}"))
        if "rewrite" in case:
            _rewrite(conn, *case["rewrite"])
        for stmt in filter(None, sql.split(";")):
            params = {"other_key": signing.generate_keypair()[1]} if ":other_key" in stmt else {}
            conn.execute(sa.text(stmt), params)


def _audit(
    s: Session, settings: Settings, *, chunk: int = audit.CHUNK, processes: int | None = None
) -> audit.AuditReport:
    """The audit as ``tracectl verify`` runs it: with the log key and the signer state."""
    key = checkpoint.load_log_signer(settings).verifier
    signed = checkpoint.signer_state(settings)
    return audit.audit(s, log_key=key, signed=signed, chunk=chunk, processes=processes)


def _first(report: audit.AuditReport) -> tuple[int, int | None, str]:
    first = report.to_dict()["first_failure"]
    assert first is not None, report.to_dict()
    return int(first["field"][4:]), first.get("index"), first["message"]


@pytest.fixture
def filled(engine: Engine, tmp_path: Path) -> Settings:
    settings = Settings(data_dir=tmp_path, database_url=str(engine.url.render_as_string(False)))
    with Session(engine) as s:
        fill(s, n=13)
        checkpoint.sign_checkpoint(s, settings=settings)
        s.commit()
    return settings


@pytest.mark.parametrize("name", sorted(CASES))
def test_tampering_is_caught(engine: Engine, filled: Settings, name: str) -> None:
    """Each case is named by its first failure: the audit step, the index and what."""
    with Session(engine) as s:
        assert _audit(s, filled).ok
    _tamper(engine, CASES[name])
    with Session(engine) as s:
        report = _audit(s, filled)
    step, index, message = _first(report)
    want_step, want_index, want_what = CASES[name]["first"]
    assert (step, index) == (want_step, want_index), report.to_dict()["first_failure"]
    assert message.startswith(f"step {want_step}: ") and want_what in message, message
    if name == "record_time_unreadable":  # the time itself is named too, at its step
        messages = [f.message for f in report.failures]
        assert "step 4: recorded_at is not a time" in messages, messages
    if name == "event_row_inserted":  # named as such, whichever of the two rows is kept
        messages = [f.to_dict()["message"] for f in report.failures]
        assert any("event rows for one record" in m for m in messages), messages


@pytest.mark.parametrize(
    "name",
    [
        "record_modified",
        "edge_moved",
        "subtree_deleted",
        "item_link_deleted",
        "item_link_inserted",
        "envelope_event_body",
        "key_entry_valid_from_removed",
        "record_time_unreadable",
        "event_row_time_unreadable",
        "truncated_tail",
    ],
)
def test_tampering_is_caught_in_parallel_chunks(
    engine: Engine, filled: Settings, name: str
) -> None:
    with Session(engine) as s:
        assert _audit(s, filled, chunk=4, processes=2).ok
    _tamper(engine, CASES[name])
    with Session(engine) as s:
        serial = _audit(s, filled, chunk=1000, processes=1)
        parallel = _audit(s, filled, chunk=4, processes=2)
    assert _first(parallel)[:2] == CASES[name]["first"][:2]
    assert parallel.to_dict()["first_failure"] == serial.to_dict()["first_failure"]


def _event_hash_failures(report: audit.AuditReport) -> list[dict[str, Any]]:
    return [f.to_dict() for f in report.failures if "event hash" in f.message]


def test_envelope_event_body_altered_is_an_event_hash_mismatch(
    engine: Engine, filled: Settings
) -> None:
    """The audit recomputes the CBV 2.0 hash of the event in the envelope: an altered body is
    named at its index with the committed hash (expected) and the recomputed one."""
    with Session(engine) as s:
        committed = str(service.get_record(s, index=1).event_hash)
        body = s.connection().execute(sa.text("select body from event where ledger_index = 1"))
        stored = body.scalar()
    original = stored if isinstance(stored, dict) else json.loads(str(stored))
    assert events.event_hash(original) == committed
    _tamper(engine, CASES["envelope_event_body"])
    altered = {**original, "action": "DELETE"}
    key = checkpoint.load_log_signer(filled).verifier
    for procs, chunk in ((1, 1000), (2, 4)):
        with Session(engine) as s:
            report = audit.audit(s, log_key=key, processes=procs, chunk=chunk)
        got = _event_hash_failures(report)
        assert got, report.to_dict()
        assert got[0]["index"] == 1
        assert got[0]["expected"] == committed
        assert got[0]["computed"] == events.event_hash(altered)


def test_event_recorded_under_another_hash(engine: Engine, tmp_path: Path) -> None:
    """A record whose event hash is not its event's (nothing else inconsistent): step 4."""
    with Session(engine) as s:
        seed, kid = setup_device(s)
        subs = submissions(seed, kid, [event(0), event(1)])
        wrong = dataclasses.replace(subs[1], event_hash=events.event_hash(event(7)))
        service.append_events(s, submissions=[subs[0], wrong], recorded_at=T0)
        s.commit()
        report = audit.audit(s)
    assert not report.ok
    first = report.to_dict()["first_failure"]
    assert first["index"] == 2 and "event hash" in first["message"]
    assert first["expected"] == events.event_hash(event(7))
    assert first["computed"] == events.event_hash(event(1))


def test_protection_refuses_update_and_delete(engine: Engine, filled: Settings) -> None:
    for stmt in (
        "update ledger_entry set kind = 'x'",
        "delete from event",
        "update trace_edge set kind = 'x'",
        "delete from ledger_item",
    ):
        with pytest.raises(sa.exc.DBAPIError), engine.begin() as conn:
            conn.execute(sa.text(stmt))


def test_cli_verify_exit_codes(
    engine: Engine, filled: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traceability.cli.main import app
    from traceability.config import get_settings

    monkeypatch.setenv("TRACE_DATA_DIR", str(filled.data_dir))
    monkeypatch.setenv("TRACE_DATABASE_URL", filled.effective_database_url)
    get_settings.cache_clear()
    try:
        ok = CliRunner().invoke(app, ["verify", "--json"])
        assert ok.exit_code == 0, ok.output
        _tamper(engine, CASES["edge_modified"])
        bad = CliRunner().invoke(app, ["verify"])
        assert bad.exit_code == 1 and "index 1, step 6: trace edges" in bad.output
    finally:
        get_settings.cache_clear()


def test_app_role_refused(pg_url: str) -> None:
    eng = sa.create_engine(pg_url)
    try:
        with eng.begin() as conn:
            conn.execute(sa.text("set role suyuan_app"))
            conn.execute(sa.text("select count(*) from ledger_entry"))
        for stmt in (
            "update ledger_entry set kind = 'x'",
            "delete from ledger_entry",
            "truncate ledger_entry",
            "update event set action = 'x'",
            "delete from trace_edge",
            "truncate trace_edge",
        ):
            with (
                pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
                eng.begin() as conn,
            ):
                conn.execute(sa.text("set role suyuan_app"))
                conn.execute(sa.text(stmt))
    finally:
        eng.dispose()
