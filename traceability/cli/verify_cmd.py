"""``tracectl verify``: audit the whole ledger against the stored data (exit 1 on failure)."""

from __future__ import annotations

import json

import typer
from sqlmodel import Session

from traceability.config import Settings, get_settings
from traceability.errors import TraceError
from traceability.ledger.audit import audit
from traceability.ledger.audit_checkpoints import witness_sizes
from traceability.ledger.checkpoint import (
    configured_witnesses,
    latest_checkpoint,
    load_log_signer,
    signer_state,
)
from traceability.store.service import get_engine


def register(app: typer.Typer) -> None:
    """Add this module's top-level command(s) to ``app``."""

    @app.command("verify")
    def verify_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
        """Recompute every record, chain, subtree, signature and derived row; name the first
        failing index (steps: see traceability/ledger/audit.py)."""
        settings = get_settings()
        key = load_log_signer(settings).verifier
        signed = signer_state(settings)  # the largest size this signer signed
        with Session(get_engine(settings.effective_database_url)) as s:
            told = _witness_sizes(s, settings)
            witnessed = {w: size for w, size in told.items() if isinstance(size, int)}
            report = audit(s, log_key=key, signed=signed, witnessed=witnessed)
        for w, why in told.items():
            if not isinstance(why, int):
                typer.echo(f"warning: witness {w} not consulted: {why}", err=True)
        if as_json:
            typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, default=str))
        elif report.ok:
            typer.echo(
                f"ok: {report.size} entries, checkpoint {report.checkpoint_size}, "
                f"{report.signatures_checked} device signatures"
            )
        else:
            first = report.failures[0]
            typer.echo(
                f"FAILED at index {first.index}, {first.message} (expected "
                f"{first.to_dict().get('expected')!r}, found "
                f"{first.to_dict().get('computed')!r}); {len(report.failures)} failures",
                err=False,
            )
        raise typer.Exit(0 if report.ok else 1)


def _witness_sizes(session: Session, settings: Settings) -> dict[str, int | str]:
    """What each configured witness last cosigned (none when no witnesses are configured)."""
    urls = [u.strip().rstrip("/") for u in settings.witness_urls.split(",") if u.strip()]
    if not urls or not configured_witnesses(settings):
        return {}
    try:
        latest: str | None = latest_checkpoint(session).note
    except TraceError:
        latest = None
    return witness_sizes(latest, urls)
