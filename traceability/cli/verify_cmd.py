"""``tracectl verify``: audit the whole ledger against the stored data (exit 1 on failure)."""

from __future__ import annotations

import json

import typer
from sqlmodel import Session

from traceability.config import Settings, get_settings
from traceability.errors import ConfigError, TraceError
from traceability.ledger import note
from traceability.ledger.audit import audit
from traceability.ledger.audit.checkpoints import witness_sizes
from traceability.ledger.checkpoint import (
    configured_witnesses,
    latest_checkpoint,
    load_log_signer,
    signer_state,
)
from traceability.ledger.errors import NoteError
from traceability.store.engine import get_engine


def register(app: typer.Typer) -> None:
    """Add this module's top-level command(s) to ``app``."""

    @app.command("verify")
    def verify_cmd(
        as_json: bool = typer.Option(False, "--json", help="print JSON"),
        log_key: str | None = typer.Option(
            None, "--log-key", help="the log's verifier key (default: from the log key file)"
        ),
    ) -> None:
        """Recompute every record, chain, subtree, signature and derived row; name the first
        failing index and step (docs/audit.md)."""
        settings = get_settings()
        signed = signer_state(settings)  # the largest size this signer signed
        with Session(get_engine(settings.effective_database_url)) as s:
            try:
                key = _log_verifier(s, settings, log_key)
            except TraceError as exc:
                typer.echo(f"error: {exc.message}", err=True)
                raise typer.Exit(1) from None
            told = _witness_sizes(s, settings)
            witnessed = {w: size for w, size in told.items() if isinstance(size, int)}
            report = audit(s, log_key=key, signed=signed, witnessed=witnessed)
        _remember(settings, report.to_dict())
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


def _remember(settings: Settings, report: dict[str, object]) -> None:
    """Keep the result for the console's ledger page (its "last audit"); best effort."""
    from traceability.console.data import record_audit

    failures = report.get("failures")
    summary = {k: v for k, v in report.items() if k != "failures"}
    summary["failure_count"] = len(failures) if isinstance(failures, list) else 0
    try:
        record_audit(settings.data_dir, summary)
    except OSError as exc:
        typer.echo(f"warning: the audit result was not kept for the console: {exc}", err=True)


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


def _log_verifier(session: Session, settings: Settings, vkey: str | None) -> note.Verifier | None:
    """The key checkpoints must be signed by: ``--log-key``, else the log key file's. Verifying
    never creates a key: without one, a store holding checkpoints is an error."""
    if vkey is not None:
        v = note.Verifier.parse(vkey)
        if v.alg != note.ED25519:
            raise NoteError("the log key must be an Ed25519 (type 0x01) key", field="log_key")
        return v
    path = settings.effective_log_key_file
    if path.exists():
        return load_log_signer(settings).verifier
    try:
        latest_checkpoint(session)
    except NoteError:
        return None  # no key and no checkpoint: nothing is signed yet
    raise ConfigError(
        f"no log key at {path} to check the stored checkpoints with: give --log-key <vkey> "
        "(`tracectl ledger key` prints it where the key is) or set TRACE_LOG_KEY_FILE",
        field="log_key",
    )
