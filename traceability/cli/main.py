"""Root of the ``tracectl`` command tree.

Start-up matters (people and scripts call ``tracectl id check`` many times), so the console
script imports only the module of the command being run; the others are listed with their
help text alone. ``app`` (for tests and ``CliRunner``) is the full tree with everything loaded.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import typer

from traceability.cli.failures import HandledGroup

# group name -> (module, help); the module has ``app = typer.Typer(...)``
GROUPS: dict[str, tuple[str, str]] = {
    "id": ("traceability.cli.id_cmd", "Identify and validate any code."),
    "epcis": ("traceability.cli.epcis_cmd", "EPCIS 2.0 documents: hash, validate."),
    "db": ("traceability.cli.db_cmd", "The store: upgrade, status."),
    "ledger": ("traceability.cli.ledger_cmd", "The custody ledger: checkpoints, proofs, receipts."),
    "witness": ("traceability.cli.witness_cmd", "Run a witness that cosigns checkpoints."),
    "device": ("traceability.cli.device_cmd", "Device keys and enrolment."),
    "simulate": ("traceability.cli.simulate_cmd", "Site simulators and scenarios."),
    "deadletter": ("traceability.cli.deadletter_cmd", "Rejected messages."),
    "broker": ("traceability.cli.broker_cmd", "Mosquitto password/ACL files."),
    "labels": ("traceability.cli.labels_cmd", "Print labels: serials, QR, DataMatrix, PDF, ZPL."),
    "trace": ("traceability.cli.trace_cmd", "Trace forward or backward from an item or lot."),
    "recall": ("traceability.cli.recall_cmd", "Recalls: create, show, list."),
    "export": ("traceability.cli.export_cmd", "FSMA 204 spreadsheet, EPCIS document."),
    "equipment": ("traceability.cli.equipment_cmd", "Special equipment: overdue units."),
    "apikey": ("traceability.cli.apikey_cmd", "Party API keys: create, list, revoke."),
    "registry": ("traceability.cli.registry_cmd", "Ledgered registry changes."),
}
# command name -> (module, help); the module has ``register(app)`` adding that command
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("traceability.cli.demo_cmd", "The main job on the embedded default."),
    "serve": ("traceability.cli.serve_cmd", "Run the HTTP API."),
    "verify": ("traceability.cli.verify_cmd", "Audit the whole ledger and every item chain."),
    "gateway": ("traceability.cli.gateway_cmd", "Run an ingest worker."),
    "custody": ("traceability.cli.custody_cmd", "Custody timeline of an item or lot."),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command tree; with ``only``, just that command's module is imported."""
    root = typer.Typer(
        name="tracectl",
        help="Suyuan (溯源) traceability platform: ingest, registry, custody ledger, audit.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        cls=HandledGroup,
    )
    for name, (module, text) in COMMANDS.items():
        if only is None or only == name:
            importlib.import_module(module).register(root)
        else:
            root.command(name, help=text)(_unloaded)
    for name, (module, text) in GROUPS.items():
        if only is None or only == name:
            root.add_typer(importlib.import_module(module).app, name=name, help=text)
        else:
            stub = typer.Typer(help=text)
            stub.command("…", hidden=True)(_unloaded)
            root.add_typer(stub, name=name, help=text)
    return root


def _unloaded() -> None:  # pragma: no cover - never selected: the real module is loaded then
    raise typer.Exit(2)


def _selected(argv: list[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in GROUPS or first in COMMANDS else None


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(name)


def app_main() -> None:
    """Console-script entry point (typer maps usage errors to exit status 2)."""
    only = _selected(sys.argv[1:])
    build_app(only if only is not None else "")()


if __name__ == "__main__":
    app_main()
