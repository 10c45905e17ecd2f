"""``tracectl apikey create|list|revoke``: party API keys for ``POST /capture`` and
``GET /events`` (docs/epcis.md). The key is printed once, at creation; the store keeps its
SHA-256 digest only."""

from __future__ import annotations

from typing import Annotated

import typer

from traceability.cli._readside import emit, run, session

app = typer.Typer(no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help="one JSON document")]


@app.command("create")
def create_cmd(
    party: Annotated[str, typer.Option("--party", help="the party the key acts for")],
    name: Annotated[str, typer.Option("--name", help="a label (which system uses it)")] = "",
    as_json: Json = False,
) -> None:
    """Create a key and print it ONCE (it cannot be shown again; revoke and create to replace)."""
    from traceability.epcis.apikeys import create_key, key_public

    with session(write=True) as s:
        row, key = run(lambda: create_key(s, party_id=party, name=name))
        doc = {**key_public(row), "key": key}
    if as_json:
        emit(doc)
    else:
        typer.echo(key)
        typer.echo(
            f"key {doc['id']} for party {doc['party_id']}: store it now, it is not shown again",
            err=True,
        )


@app.command("list")
def list_cmd(
    party: Annotated[str | None, typer.Option("--party", help="only this party's keys")] = None,
    as_json: Json = False,
) -> None:
    """Keys by id, party, name, creation and revocation (never the keys themselves)."""
    from traceability.epcis.apikeys import key_public, list_keys

    with session() as s:
        rows = [key_public(r) for r in run(lambda: list_keys(s, party_id=party))]
    if as_json:
        emit(rows)
        return
    for r in rows:
        state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
        typer.echo(f"{r['id']}  {r['party_id']}  {r['name'] or '-'}  {r['created_at']}  {state}")
    if not rows:
        typer.echo("no API keys", err=True)


@app.command("revoke")
def revoke_cmd(
    key_id: Annotated[str, typer.Argument(metavar="ID", help="the key's id (12 hex digits)")],
    as_json: Json = False,
) -> None:
    """Revoke a key: from now on it authenticates nothing."""
    from traceability.epcis.apikeys import key_public, revoke_key

    with session(write=True) as s:
        doc = key_public(run(lambda: revoke_key(s, key_id=key_id)))
    if as_json:
        emit(doc)
    else:
        typer.echo(f"key {doc['id']} of party {doc['party_id']} revoked at {doc['revoked_at']}")
