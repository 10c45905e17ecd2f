"""Root of the ``tracectl`` command tree: registers each group's module."""

from __future__ import annotations

import typer

from traceability.cli import (
    broker_cmd,
    db_cmd,
    deadletter_cmd,
    demo_cmd,
    device_cmd,
    epcis_cmd,
    gateway_cmd,
    id_cmd,
    ledger_cmd,
    serve_cmd,
    simulate_cmd,
    verify_cmd,
    witness_cmd,
)

app = typer.Typer(
    name="tracectl",
    help="Suyuan (溯源) traceability platform: ingest, ledger, trace, labels.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.add_typer(id_cmd.app, name="id", help="Identify and validate any code.")
app.add_typer(epcis_cmd.app, name="epcis", help="EPCIS 2.0 documents: hash, validate.")
app.add_typer(db_cmd.app, name="db", help="The store: upgrade, status.")
app.add_typer(ledger_cmd.app, name="ledger", help="The custody ledger: checkpoints, proofs.")
app.add_typer(witness_cmd.app, name="witness", help="Run a witness that cosigns checkpoints.")
app.add_typer(device_cmd.app, name="device", help="Device keys and enrolment.")
app.add_typer(simulate_cmd.app, name="simulate", help="Site simulators and scenarios.")
app.add_typer(deadletter_cmd.app, name="deadletter", help="Rejected messages.")
app.add_typer(broker_cmd.app, name="broker", help="Mosquitto password/ACL files.")
demo_cmd.register(app)
serve_cmd.register(app)
verify_cmd.register(app)
gateway_cmd.register(app)


def app_main() -> None:
    """Console-script entry point (typer maps usage errors to exit status 2)."""
    app()
