"""``tracectl verify``: audit the whole ledger against the stored data (exit 1 on failure)."""

from __future__ import annotations

import json

import typer
from sqlmodel import Session

from traceability.config import get_settings
from traceability.ledger.audit import audit
from traceability.ledger.checkpoint import load_log_signer
from traceability.store.engine import get_engine


def register(app: typer.Typer) -> None:
    """Add this module's top-level command(s) to ``app``."""

    @app.command("verify")
    def verify_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
        """Recompute every record, chain, subtree, signature and derived row; name the first
        failing index (steps: see traceability/ledger/audit.py)."""
        settings = get_settings()
        key = load_log_signer(settings).verifier
        with Session(get_engine(settings.effective_database_url)) as s:
            report = audit(s, log_key=key)
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
                f"FAILED at index {first.index}: {first.message} (expected "
                f"{first.to_dict().get('expected')!r}, found "
                f"{first.to_dict().get('computed')!r}); {len(report.failures)} failures",
                err=False,
            )
        raise typer.Exit(0 if report.ok else 1)
