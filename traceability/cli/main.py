"""Root of the ``tracectl`` command tree: registers each group's module."""

from __future__ import annotations

import sys

import typer

from traceability.cli import db_cmd, demo_cmd, epcis_cmd, id_cmd

app = typer.Typer(
    name="tracectl",
    help="Suyuan (溯源) traceability platform: ingest, ledger, trace, labels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(id_cmd.app, name="id")
app.add_typer(epcis_cmd.app, name="epcis")
app.add_typer(db_cmd.app, name="db")
demo_cmd.register(app)


def app_main() -> None:
    """Console-script entry point; maps usage errors to exit status 2."""
    try:
        app(standalone_mode=True)
    except SystemExit as exc:  # typer/click already use 2 for usage errors
        sys.exit(exc.code)
