"""``tracectl broker config --out DIR``: Mosquitto password/ACL files from the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("config")
def config_cmd(
    out: Annotated[Path, typer.Option(help="directory for passwd, acl, secrets.json")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON document")] = False,
) -> None:
    """Write passwd (PBKDF2-SHA512), acl (%u patterns) and secrets.json (0600) into OUT."""
    from gateway.broker_config import active_devices, write_config
    from traceability.config import get_settings
    from traceability.store.engine import get_engine

    settings = get_settings()
    devices = active_devices(get_engine(settings.effective_database_url))
    passwords = write_config(out, devices=devices, gateway_password=settings.mqtt_password)
    summary = {
        "out": str(out),
        "files": ["passwd", "acl", "secrets.json"],
        "users": len(passwords),
        "devices": len(devices),
    }
    typer.echo(
        json.dumps(summary)
        if as_json
        else f"wrote {out}/passwd, acl, secrets.json for {len(devices)} devices + gateway"
    )
