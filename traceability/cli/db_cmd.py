"""``tracectl db``: create or upgrade the store, and show where it is."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from traceability.config import get_settings
from traceability.store import engine as store

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
    """Run the migrations (one set for SQLite and PostgreSQL+TimescaleDB), then ledger a
    baseline entry for every registry row that has none yet (docs/audit.md, step 10)."""
    settings = get_settings()
    url = settings.effective_database_url
    store.upgrade(url=url, revision=revision)
    typer.echo(f"store at {store.redact(url)} is at revision {revision}")
    if revision == "head":
        n = baseline_registry(url=url, data_dir=settings.data_dir)
        if n:
            typer.echo(f"registry: {n} rows ledgered as a baseline (platform-signed)")


def baseline_registry(*, url: str, data_dir: Path) -> int:
    """The registry baseline on first start (``db upgrade``, ``serve``): see
    :func:`traceability.authority.service.baseline`."""
    from traceability.authority import service as authority

    with store.session_scope(engine=store.get_engine(url)) as session:
        return authority.baseline(session, data_dir=data_dir)


@app.command("status")
def status_cmd(as_json: bool = typer.Option(False, "--json", help="print JSON")) -> None:
    """Print the store URL, backend and current migration revision."""
    url = get_settings().effective_database_url
    engine = store.get_engine(url)
    info = {
        "url": store.redact(url),
        "backend": engine.dialect.name,
        "revision": store.current_revision(engine=engine),
    }
    if as_json:
        typer.echo(json.dumps(info))
    else:
        for k, v in info.items():
            typer.echo(f"{k:9} {v}")
