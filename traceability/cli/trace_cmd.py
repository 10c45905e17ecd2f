"""``tracectl trace forward|backward``: where a thing went, where it came from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer

from traceability.cli._readside import emit, fail, run, session

app = typer.Typer(no_args_is_help=True)
MaxNodes = Annotated[
    int, typer.Option("--max-nodes", help="cut the trace (truncated: true) beyond this many items")
]
Json = Annotated[bool, typer.Option("--json", help="one JSON document")]
IdArg = Annotated[
    str | None,
    typer.Argument(
        metavar="ID", help="item, container, lot: GS1 Digital Link, EPC URN or element string"
    ),
]
Location = Annotated[
    str | None, typer.Option(help="trace what was at this location (SGLN/PGLN) instead of an ID")
]
From = Annotated[datetime | None, typer.Option("--from", help="with --location: from (UTC)")]
To = Annotated[datetime | None, typer.Option("--to", help="with --location: to (UTC)")]


def _trace(
    direction: str, ident: str | None, location: str | None, since: Any, until: Any, max_nodes: int
) -> dict[str, Any]:
    from datetime import UTC

    from traceability.trace import service

    if (ident is None) == (location is None):
        raise fail("give either an ID or --location (with --from and --to)", 2)
    with session() as s:
        if location is not None:
            if since is None or until is None:
                raise fail("--location needs --from and --to", 2)
            lo = since if since.tzinfo else since.replace(tzinfo=UTC)
            hi = until if until.tzinfo else until.replace(tzinfo=UTC)
            res = run(
                lambda: service.trace_location(
                    s,
                    direction=direction,
                    location=location,
                    since=lo,
                    until=hi,
                    max_nodes=max_nodes,
                )
            )
            return res.to_dict()
        assert ident is not None
        found, res = run(
            lambda: service.trace_id(s, direction=direction, text=ident, max_nodes=max_nodes)
        )
        return {"id": ident, "resolved": found.ids, **res.to_dict()}


def _print(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console()
    con.print(
        f"[bold]{doc['direction']}[/bold] trace of {', '.join(doc['start'])}"
        + ("  [red](truncated)[/red]" if doc["truncated"] else "")
    )
    items = Table("item / container", "mode", "reached at")
    for i in doc["items"]:
        items.add_row(i["id"], i["mode"], i["reached_at"] or "")
    con.print(items)
    places = Table("place / party", "kind", "first", "last", "ledger indexes")
    for p in doc["places"]:
        places.add_row(
            p["id"],
            p["kind"],
            p["first_at"],
            p["last_at"],
            ", ".join(map(str, p["ledger_indexes"])),
        )
    con.print(places)
    con.print(f"{len(doc['steps'])} steps from ledger entries {doc['ledger_indexes']}")


def _register(direction: str, help_text: str) -> None:
    """``tracectl trace forward`` and ``backward``: one command body, two directions."""

    def command(
        ident: IdArg = None,
        location: Location = None,
        since: From = None,
        until: To = None,
        max_nodes: MaxNodes = 5000,
        as_json: Json = False,
    ) -> None:
        doc = _trace(direction, ident, location, since, until, max_nodes)
        if as_json:
            emit(doc)
        else:
            _print(doc)

    command.__doc__ = help_text
    app.command(direction)(command)


_register(
    "forward", "Everything downstream: items, containers, transformation outputs, places, parties."
)
_register(
    "backward",
    "Everything upstream: origins, harvests, ingredient lots, containers, places, parties.",
)
