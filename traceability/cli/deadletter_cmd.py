"""``tracectl deadletter list|show``: rejected messages with their reason codes."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlalchemy.engine import Engine

app = typer.Typer(no_args_is_help=True)


def _engine() -> Engine:
    from traceability.config import get_settings
    from traceability.store.engine import get_engine

    return get_engine(get_settings().effective_database_url)


@app.command("list")
def list_cmd(
    reason: Annotated[str | None, typer.Option(help="only this reason code")] = None,
    device: Annotated[str | None, typer.Option(help="only this device")] = None,
    limit: Annotated[int, typer.Option(help="at most this many, newest first")] = 100,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """List dead letters, newest first."""
    from traceability.deadletters.store import list_dead_letters

    rows = list_dead_letters(_engine(), reason=reason, device=device, limit=limit)
    if as_json:
        typer.echo(json.dumps({"dead_letters": rows}, ensure_ascii=False))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "received", "reason", "device", "topic", "field", "detail")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["received_at"][:23],
            r["reason"],
            r["device"] or "",
            r["topic"],
            r["field"] or "",
            r["detail"][:60],
        )
    Console().print(table)


@app.command("show")
def show_cmd(
    dead_letter_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """One dead letter with its original payload."""
    from traceability.deadletters.store import get_dead_letter
    from traceability.errors import NotFoundError

    try:
        row = get_dead_letter(_engine(), dead_letter_id)
    except NotFoundError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(row, ensure_ascii=False))
        return
    for key, value in row.items():
        if key != "payload_b64" or row.get("payload_text") is None:
            typer.echo(f"{key}: {value}")
