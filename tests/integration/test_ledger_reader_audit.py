"""Reader envelopes (raw reader JSON) in the ledger: the audit re-derives their events from the
stored envelope and catches any stored event that is not the derivation; receipts of derived
events verify offline. On SQLite and TimescaleDB (the ``engine`` fixture)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from tests.integration.test_ledger_tampering import _tamper
from tests.support.ledger import T0, setup_device
from tests.support.readers import IMPINJ, URN_B, ZEBRA, member
from traceability import events
from traceability.config import Settings
from traceability.ledger import audit, checkpoint, receipt, service
from traceability.ledger.errors import ReceiptError
from traceability.ledger.service import EventSubmission
from traceability.signing import envelope as env_mod

TAMPER = {
    # an event row no longer equal to what the stored envelope derives
    "event_row_body": {
        "sqlite": "update event set body = json_set(body, '$.epcList[0]', 'urn:x') "
        "where ledger_index = 1",
        "postgresql": "update event set body = "
        "jsonb_set(body, '{epcList,0}', to_jsonb('urn:x'::text)) where ledger_index = 1",
    },
    # a raw read inside the stored envelope (records and rows left alone)
    "envelope_message": {
        "sqlite": "update ledger_envelope set body = cast(replace(cast(body as text), "
        "'3074257BF7194E4000001A86', '3074257BF7194E4000001A87') as blob)",
        "postgresql": "update ledger_envelope set body = convert_to(replace(convert_from(body, "
        "'UTF8'), '3074257BF7194E4000001A86', '3074257BF7194E4000001A87'), 'UTF8')",
    },
    # the derivation's configuration inside the stored envelope
    "envelope_config": {
        "sqlite": "update ledger_envelope set body = cast(replace(cast(body as text), "
        "'\"window_ms\"\\:2000', '\"window_ms\"\\:2001') as blob)",
        "postgresql": "update ledger_envelope set body = convert_to(replace(convert_from(body, "
        "'UTF8'), '\"window_ms\"\\:2000', '\"window_ms\"\\:2001'), 'UTF8')",
    },
}


# the first failure each case must produce: step, index, what
FIRST = {
    "event_row_body": ("step6", 1, "step 6: event row body"),
    "envelope_message": ("step4", 1, "step 4: envelope digest"),
    "envelope_config": ("step4", 1, "step 4: envelope digest"),
}


def reader_submissions(
    seed: bytes, kid: str, reader: dict[str, Any], *, seq: int, forge: bool = False
) -> list[EventSubmission]:
    env = env_mod.Envelope.from_json(
        env_mod.build(device="dev-1", key_id=kid, seed=seed, seq=seq, reader=reader)
    )
    if forge:  # a dishonest gateway: events that are not what the signed reads derive
        forged = copy.deepcopy(env.events)
        forged[0]["epcList"] = [URN_B]
        object.__setattr__(env, "_derived", forged)
    return [
        EventSubmission(
            event=e, event_hash=events.event_hash(e), envelope=env, device_id="dev-1", key_id=kid
        )
        for e in env.events
    ]


def fill(engine: Engine, tmp_path: Path, *, forge: bool = False) -> Settings:
    settings = Settings(data_dir=tmp_path, database_url=str(engine.url.render_as_string(False)))
    with Session(engine) as s:
        seed, kid = setup_device(s)
        service.append_events(
            s, submissions=reader_submissions(seed, kid, member("impinj-iot/v1", IMPINJ), seq=1)
        )
        zebra = reader_submissions(seed, kid, member("zebra-iot/v1", ZEBRA), seq=2, forge=forge)
        service.append_events(s, submissions=zebra, recorded_at=T0)
        checkpoint.sign_checkpoint(s, settings=settings)
        s.commit()
    return settings


def _verify(settings: Settings) -> audit.AuditReport:
    key = checkpoint.load_log_signer(settings).verifier
    with Session(sa.create_engine(settings.effective_database_url)) as s:
        return audit.audit(s, log_key=key)


def test_reader_events_audit_and_receipts_verify(engine: Engine, tmp_path: Path) -> None:
    settings = fill(engine, tmp_path)
    report = _verify(settings)
    assert report.ok, report.to_dict()
    assert report.size == 6  # the key entry, 3 Impinj events, 2 Zebra events
    vkey = checkpoint.load_log_signer(settings).verifier.vkey()
    with Session(engine) as s:
        rows = s.connection().execute(sa.text("select event_hash from event")).all()
        for (h,) in rows:
            result = receipt.verify_receipt(
                receipt.build_receipt(s, event_hash=str(h)), log_key=vkey
            )
            assert events.event_hash(result.event) == h


@pytest.mark.parametrize("name", sorted(TAMPER))
def test_tampering_after_a_reader_ingest_is_caught(
    engine: Engine, tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from traceability.cli.main import app
    from traceability.config import get_settings

    settings = fill(engine, tmp_path)
    case = {
        k: v.replace(":urn", "'urn:epc:id:sgtin:0614141.812345.1'") for k, v in TAMPER[name].items()
    }
    _tamper(engine, case)
    report = _verify(settings)
    first = report.to_dict()["first_failure"]
    assert first is not None, name
    assert (first["field"], first.get("index"), first["message"]) == FIRST[name], first
    monkeypatch.setenv("TRACE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("TRACE_DATABASE_URL", settings.effective_database_url)
    get_settings.cache_clear()
    try:
        out = CliRunner().invoke(app, ["verify"])
    finally:
        get_settings.cache_clear()
    assert out.exit_code == 1, out.output


def test_events_that_are_not_the_derivation_are_caught(engine: Engine, tmp_path: Path) -> None:
    """Records, rows and edges all agree with each other, but not with what the signed reads
    derive: the audit re-runs the derivation and names the record; its receipt fails."""
    settings = fill(engine, tmp_path, forge=True)
    report = _verify(settings)
    assert not report.ok
    first = report.to_dict()["first_failure"]
    assert (first["field"], first["index"]) == ("step4", 4) and "event hash" in first["message"]
    vkey = checkpoint.load_log_signer(settings).verifier.vkey()
    with Session(engine) as s:
        h = s.connection().execute(sa.text("select event_hash from event where ledger_index = 4"))
        text = receipt.build_receipt(s, event_hash=str(h.scalar_one()))
    with pytest.raises(ReceiptError) as caught:
        receipt.verify_receipt(text, log_key=vkey)
    assert caught.value.field == "event_hash"
