"""``tracectl registry``: the registry changes that carry authority, each ledgered (platform-signed
entry, ``tracectl verify`` step 10): move or revoke a device, hand a product to another party,
set a party's credit status (the serious-violation flag)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from traceability.cli._readside import emit, run, session
from traceability.registry.models import CreditStatus, DeviceStatus

app = typer.Typer(no_args_is_help=True, help="Ledgered registry changes.")
By = Annotated[str, typer.Option("--by", help="who asks (recorded in the ledger entry)")]
Json = Annotated[bool, typer.Option("--json", help="one JSON document")]


def _data_dir() -> Path:
    from traceability.config import get_settings

    return get_settings().data_dir


@app.command("device")
def device_cmd(
    device_id: Annotated[str, typer.Argument(help="the device id")],
    location: Annotated[str | None, typer.Option("--location", help="new location id")] = None,
    status: Annotated[DeviceStatus | None, typer.Option("--status")] = None,
    by: By = "cli",
    as_json: Json = False,
) -> None:
    """Move a device to another registered location and/or set its status (revoked: the
    gateway refuses it)."""
    from traceability.authority import service as authority

    with session(write=True) as s:
        out = run(
            lambda: authority.update_device(
                s,
                data_dir=_data_dir(),
                device_id=device_id,
                location_id=location,
                status=status,
                by=by,
            )
        )
    doc = out.model_dump(mode="json")
    if as_json:
        emit(doc)
    else:
        typer.echo(f"device {out.id}: at {out.location_id}, {out.status.value} (ledgered)")


@app.command("product-owner")
def product_owner_cmd(
    gtin: Annotated[str, typer.Argument(help="the product's GTIN")],
    party: Annotated[str, typer.Argument(help="the new owner (a registered party)")],
    by: By = "cli",
    as_json: Json = False,
) -> None:
    """Hand a product to another party (its owner answers for it)."""
    from traceability.authority import service as authority
    from traceability.identifiers.gs1 import validate_gtin

    with session(write=True) as s:
        out = run(
            lambda: authority.set_product_owner(
                s, data_dir=_data_dir(), gtin=validate_gtin(gtin), party_id=party, by=by
            )
        )
    doc = out.model_dump(mode="json")
    if as_json:
        emit(doc)
    else:
        typer.echo(f"product {out.gtin}: owner {out.party_id} (ledgered)")


@app.command("party-credit")
def party_credit_cmd(
    party: Annotated[str, typer.Argument(help="the party id")],
    status: Annotated[CreditStatus, typer.Argument(help="good, warning or serious_violation")],
    by: By = "cli",
    as_json: Json = False,
) -> None:
    """Set a party's credit status (serious_violation: on the serious-violation list)."""
    from traceability.authority import service as authority

    with session(write=True) as s:
        out = run(
            lambda: authority.set_party_credit(
                s, data_dir=_data_dir(), party_id=party, credit_status=status, by=by
            )
        )
    doc = out.model_dump(mode="json")
    if as_json:
        emit(doc)
    else:
        typer.echo(f"party {out.id}: credit status {out.credit_status.value} (ledgered)")
