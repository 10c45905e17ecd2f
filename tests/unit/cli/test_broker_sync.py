"""Issue 12 item 19: the broker's files follow the registry without hand work, the gateway's
password is the one setting, and the broker reloads them when they change."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import time
from pathlib import Path

import pytest

from gateway.broker_config import check_password
from tests.unit.cli.conftest import TRACECTL, Cli, one_line_error
from traceability.registry import service as reg
from traceability.registry.schemas import DeviceCreate, LocationCreate, PartyCreate
from traceability.store.engine import create_engine, session_scope

REPO = Path(__file__).resolve().parents[3]


def _passwd_users(folder: Path) -> dict[str, str]:
    text = (folder / "passwd").read_text()
    return dict(line.split(":", 1) for line in text.splitlines() if line)


def _enroll(url: str, device: str) -> None:
    engine = create_engine(url=url)
    with session_scope(engine=engine) as s:
        reg.create_party(s, data=PartyCreate(id="farm", name="Farm"))
        reg.create_location(
            s, data=LocationCreate(id="field", name="Field", party_id="farm", gln="6937101000018")
        )
        reg.create_device(
            s, data=DeviceCreate(id=device, location_id="field", party_id="farm", kind="reader")
        )
    engine.dispose()


def test_config_writes_the_gateway_password_it_is_given(
    cli: Cli, sqlite_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "broker"
    cli.env.update(TRACE_DATABASE_URL=sqlite_url, TRACE_MQTT_PASSWORD="s3cret-for-the-gateway")
    res = cli("broker", "config", "--out", str(out))
    assert res.code == 0, res.stderr
    users = _passwd_users(out)
    assert check_password("s3cret-for-the-gateway", users["gateway"])
    assert stat.S_IMODE((out / "passwd").stat().st_mode) == 0o640
    assert stat.S_IMODE((out / "secrets.json").stat().st_mode) == 0o600


def test_production_needs_the_gateway_password(cli: Cli, tmp_path: Path) -> None:
    cli.env.update(
        TRACE_MODE="production",
        TRACE_DATABASE_URL="postgresql://postgres@127.0.0.1:1/x",
        TRACE_SECRET_KEY="k" * 40,
        TRACE_ADMIN_TOKEN="t" * 40,
    )
    res = cli("broker", "config", "--out", str(tmp_path / "b"))
    one_line_error(res, 2, "TRACE_MQTT_PASSWORD")


def test_every_follows_enrolments(sqlite_url: str, tmp_path: Path) -> None:
    out = tmp_path / "broker"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACE_")}
    env.update(
        TRACE_DATABASE_URL=sqlite_url, TRACE_MQTT_PASSWORD="pw", TRACE_DATA_DIR=str(tmp_path)
    )
    proc = subprocess.Popen(
        [TRACECTL, "broker", "config", "--out", str(out), "--every", "1", "--json"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["devices"] == 0 and set(_passwd_users(out)) == {"gateway"}
        _enroll(sqlite_url, "gate-7")
        second = json.loads(proc.stdout.readline())  # within a few seconds
        assert second["devices"] == 1
        assert set(_passwd_users(out)) == {"gateway", "gate-7"}
        secrets = json.loads((out / "secrets.json").read_text())
        assert check_password(secrets["gate-7"], _passwd_users(out)["gate-7"])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.skipif(shutil.which("cksum") is None, reason="needs a POSIX shell toolset")
def test_broker_reloads_when_the_passwd_file_changes(tmp_path: Path) -> None:
    log = tmp_path / "signals.log"
    fake = tmp_path / "mosquitto"
    fake.write_text(
        "#!/bin/sh\n"
        f"trap 'echo hup >> {log}' HUP\n"
        f"trap 'echo term >> {log}; exit 0' TERM\n"
        "while true; do sleep 0.1; done\n"
    )
    fake.chmod(0o755)
    passwd = tmp_path / "passwd"
    passwd.write_text("gateway:x\n")
    env = {
        **os.environ,
        "MOSQUITTO_BIN": str(fake),
        "MOSQUITTO_PASSWD": str(passwd),
        "MOSQUITTO_CONF": "/dev/null",
        "RELOAD_INTERVAL": "0.2",
    }
    proc = subprocess.Popen(["sh", str(REPO / "gateway/mosquitto/run-mosquitto.sh")], env=env)
    try:
        time.sleep(1.0)
        assert not log.exists()  # nothing changed: no reload
        passwd.write_text("gateway:x\ngate-7:y\n")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (log.exists() and "hup" in log.read_text()):
            time.sleep(0.1)
        assert log.read_text().splitlines() == ["hup"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
