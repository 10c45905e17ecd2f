"""``tracectl device``: device keys and enrolment in the configured store."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from traceability.config import get_settings
from traceability.errors import TraceError

app = typer.Typer(no_args_is_help=True, help="Device keys and enrolment.")


@app.callback()
def _root() -> None:
    """Device keys and enrolment."""


def _default_key_file(device_id: str) -> Path:
    from devices.keys import default_key_path

    return default_key_path(get_settings().data_dir / "devices", device_id)


def _device_id(value: str) -> str:
    from traceability.registry.ids import ID_RULE, is_valid_id

    if not is_valid_id(value):
        raise typer.BadParameter(f"{value!r} is not a valid device id ({ID_RULE})")
    return value


@app.command("keygen")
def keygen(
    device_id: str = typer.Option(..., "--id", help="The device id.", callback=_device_id),
    key_file: Path | None = typer.Option(None, "--key-file", help="Default: data_dir/devices."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Create the device's Ed25519 key file (mode 0600); refuses to overwrite one."""
    from devices.keys import DeviceKeyPair, save_key
    from traceability.signing.ed25519 import b64url

    path = key_file or _default_key_file(device_id)
    try:
        key = DeviceKeyPair.generate(device_id)
        save_key(key, path)
    except TraceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    out = {
        "device": device_id,
        "key_id": key.key_id,
        "public_key": b64url(key.public_key),
        "key_file": str(path),
    }
    typer.echo(json.dumps(out) if as_json else f"{key.key_id}  {path}")


@app.command("enroll")
def enroll(
    device_id: str = typer.Option(..., "--id", help="The device id.", callback=_device_id),
    location: str = typer.Option(..., "--location", help="Registered location id it stands at."),
    party: str = typer.Option(..., "--party", help="The accountable party (registered)."),
    key_file: Path | None = typer.Option(None, "--key-file", help="Default: data_dir/devices."),
    kind: str = typer.Option("reader", "--kind"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Write (or reuse) the key file and register the device and its public key directly in
    the configured store. Exit 0 when enrolled, 1 when the store refuses."""
    from devices.keys import load_or_create_key
    from traceability.authority import service as authority
    from traceability.errors import ConflictError
    from traceability.registry import service as registry
    from traceability.registry.models import Device
    from traceability.registry.schemas import DeviceCreate
    from traceability.store.engine import get_engine, session_scope

    settings = get_settings()
    path = key_file or _default_key_file(device_id)
    try:
        key, created = load_or_create_key(path, device_id)
        with session_scope(engine=get_engine(settings.effective_database_url)) as session:
            existing = session.get(Device, device_id)
            if existing is None:
                authority.create_device(
                    session,
                    data_dir=settings.data_dir,
                    data=DeviceCreate(
                        id=device_id, location_id=location, party_id=party, kind=kind
                    ),
                    by="cli",
                )
            elif existing.location_id != location or existing.party_id != party:
                raise ConflictError(
                    f"device {device_id} is registered at {existing.location_id} for "
                    f"{existing.party_id}",
                    field="device",
                    value=device_id,
                )
            try:
                with session.begin_nested():
                    registry.enroll_device_key(
                        session, device_id=device_id, public_key=key.public_key
                    )
                key_state = "registered"
            except ConflictError:
                key_state = "already registered"
    except TraceError as exc:
        if as_json:
            typer.echo(json.dumps({"enrolled": False, "error": exc.to_dict()}))
        else:
            typer.echo(f"error: {exc.code}: {exc.message}", err=True)
        raise typer.Exit(1) from None
    out = {
        "enrolled": True,
        "device": device_id,
        "location": location,
        "party": party,
        "key_id": key.key_id,
        "key_file": str(path),
        "key_file_created": created,
        "key": key_state,
    }
    if as_json:
        typer.echo(json.dumps(out))
    else:
        typer.echo(
            f"enrolled {device_id} at {location} for {party}: key {key.key_id} "
            f"({key_state}; key file {path}{' created' if created else ''})"
        )
