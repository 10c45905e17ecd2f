"""Tampering by direct SQL (protection deliberately disabled) is caught by the audit.

A data-driven corpus: each case names the tampering and the SQL that does it (per dialect where
they differ). The store holds 13 records plus the key entry, with a signed checkpoint.
"""

from __future__ import annotations

import dataclasses
import json
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
from traceability.ledger import audit, checkpoint, service
from traceability.signing import ed25519 as signing

CASES: dict[str, dict[str, str]] = {
    "event_row_column": {"sql": "update event set biz_step = 'tampered' where ledger_index = 2"},
    "event_row_body": {
        "sqlite": "update event set body = json_set(body, '$.action', 'ADD') "
        "where ledger_index = 4",
        "postgresql": "update event set body = jsonb_set(body, '{action}', '\"ADD\"') "
        "where ledger_index = 4",
    },
    "event_row_deleted": {"sql": "delete from event where ledger_index = 3"},
    # a second row for record 2 (the key is (ledger_index, event_time), so another time fits)
    "event_row_inserted": {
        "sqlite": "insert into event select event_hash, datetime(event_time, '+1 day'), "
        "event_type, action, biz_step, disposition, read_point, biz_location, device_id, "
        "ledger_index, recorded_at, body from event where ledger_index = 2",
        "postgresql": "insert into event select event_hash, event_time + interval '1 day', "
        "event_type, action, biz_step, disposition, read_point, biz_location, device_id, "
        "ledger_index, recorded_at, body from event where ledger_index = 2",
    },
    "record_modified": {
        "sql": "update ledger_entry set record = (select record from ledger_entry where idx = 6) "
        "where idx = 5"
    },
    "leaf_hash_modified": {
        "sql": "update ledger_entry set leaf_hash = (select leaf_hash from ledger_entry "
        "where idx = 6) where idx = 5"
    },
    "entry_column_modified": {"sql": "update ledger_entry set envelope = 'x' where idx = 7"},
    "edge_modified": {"sql": "update trace_edge set dst = 'urn:tampered' where ledger_index = 1"},
    "edge_deleted": {"sql": "delete from trace_edge where id = (select min(id) from trace_edge)"},
    "subtree_modified": {  # node (1, 1) lives on entry 3, which also holds (2, 0)
        "sql": "update ledger_entry set nodes = (select nodes from ledger_entry "
        "where idx = 11) where idx = 3"
    },
    "subtree_deleted": {
        "sql": "update ledger_entry set nodes = (select nodes from ledger_entry "
        "where idx = 0) where idx = 3"
    },
    "subtree_inserted": {
        "sql": "update ledger_entry set nodes = (select nodes from ledger_entry "
        "where idx = 1) where idx = 4"
    },
    "edge_moved": {"sql": "update trace_edge set ledger_index = 2 where ledger_index = 1"},
    "edge_id_moved": {
        "sql": "update trace_edge set id = id + 100 * 1048576 where ledger_index = 1"
    },
    "record_deleted": {"sql": "delete from ledger_entry where idx = 3"},
    "last_record_deleted": {"sql": "delete from ledger_entry where idx = 13"},
    "record_inserted": {
        "sql": "insert into ledger_entry (idx, kind, leaf_hash, nodes, record, recorded_at, "
        "event_hash, envelope) select 14, kind, leaf_hash, nodes, record, recorded_at, "
        "'ni:///x', envelope "
        "from ledger_entry where idx = 2"
    },
    "records_reordered": {
        "sql": "update ledger_entry set idx = -1 where idx = 2;"
        "update ledger_entry set idx = 2 where idx = 3;"
        "update ledger_entry set idx = 3 where idx = -1"
    },
    "item_link_deleted": {"sql": "delete from ledger_item where idx = 4"},
    "item_link_inserted": {"sql": "insert into ledger_item (item, idx) values ('urn:x', 5)"},
    "envelope_signature_modified": {
        "sql": "update ledger_envelope set sig = (select leaf_hash from ledger_entry where idx = 0)"
    },
    "device_key_substituted": {"sql": "update device_key set public_key = :other_key"},
    # The event body inside the stored envelope (records, edges and event rows left alone).
    "envelope_event_body": {
        "sqlite": "update ledger_envelope set body = cast(replace(cast(body as text), "
        "'\"OBSERVE\"', '\"DELETE\"') as blob) "
        "where digest = (select envelope from ledger_entry where idx = 1)",
        "postgresql": "update ledger_envelope set body = convert_to(replace(convert_from(body, "
        "'UTF8'), '\"OBSERVE\"', '\"DELETE\"'), 'UTF8') "
        "where digest = (select envelope from ledger_entry where idx = 1)",
    },
    "record_not_json": {  # the audit reports it (step 2) instead of stopping on a parse error
        "sqlite": "update ledger_entry set record = cast('{\"index\": NaN' as blob) where idx = 5",
        "postgresql": "update ledger_entry set record = convert_to('{\"index\": NaN', 'UTF8') "
        "where idx = 5",
    },
    "checkpoint_modified": {
        "sql": "update ledger_checkpoint set note = replace(note, '\n14\n', '\n13\n')"
    },
}


def _tamper(engine: Engine, case: dict[str, str]) -> None:
    sql = case.get("sql") or case[engine.dialect.name]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("set session_replication_role = replica"))
        else:
            names = conn.execute(sa.text("select name from sqlite_master where type = 'trigger'"))
            for (name,) in list(names):
                conn.execute(sa.text(f"drop trigger {name}"))
        for stmt in sql.split(";"):
            params = {"other_key": signing.generate_keypair()[1]} if ":other_key" in stmt else {}
            conn.execute(sa.text(stmt), params)


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
    key = checkpoint.load_log_signer(filled).verifier
    with Session(engine) as s:
        assert audit.audit(s, log_key=key).ok
    _tamper(engine, CASES[name])
    with Session(engine) as s:
        report = audit.audit(s, log_key=key)
    assert not report.ok, name
    assert report.failures[0].to_dict()["message"]
    if name == "record_not_json":
        first = report.failures[0].to_dict()
        assert first["index"] == 5 and "does not parse" in first["message"], first
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
    ],
)
def test_tampering_is_caught_in_parallel_chunks(
    engine: Engine, filled: Settings, name: str
) -> None:
    key = checkpoint.load_log_signer(filled).verifier
    with Session(engine) as s:
        assert audit.audit(s, log_key=key, chunk=4, processes=2).ok
    _tamper(engine, CASES[name])
    with Session(engine) as s:
        serial = audit.audit(s, log_key=key, chunk=1000, processes=1)
        parallel = audit.audit(s, log_key=key, chunk=4, processes=2)
    assert not parallel.ok, name
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
        assert bad.exit_code == 1 and "index 1" in bad.output
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
