"""``tracectl db``: create or upgrade the store, and show where it is."""

from __future__ import annotations

import json

import typer

from traceability.config import get_settings
from traceability.store import engine as store

app = typer.Typer(no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Alembic revision")) -> None:
    """Run the migrations (one set for SQLite and PostgreSQL+TimescaleDB)."""
    url = get_settings().effective_database_url
    store.upgrade(url=url, revision=revision)
    typer.echo(f"store at {store.redact(url)} is at revision {revision}")


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
