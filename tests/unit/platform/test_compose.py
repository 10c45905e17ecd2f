"""docker-compose.yml describes the same stack (no Docker engine here: parse and check it)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from traceability.config import Settings

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    doc = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    assert isinstance(doc, dict)
    return doc


def test_services_present(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) >= {"db", "broker", "migrate", "api", "gateway"}


def test_images_pinned(compose: dict[str, Any]) -> None:
    for name, svc in compose["services"].items():
        image = svc.get("image")
        assert image, f"{name} has no image"
        repo, _, tag = image.rpartition(":")
        assert repo and tag and tag != "latest", f"{name}: image {image!r} is not pinned"
        assert re.search(r"\d+\.\d+", tag), f"{name}: tag {tag!r} names no version"
    assert compose["services"]["db"]["image"].startswith("timescale/timescaledb:")
    assert compose["services"]["broker"]["image"].startswith("eclipse-mosquitto:2")


def test_long_running_services_have_healthchecks(compose: dict[str, Any]) -> None:
    for name in ("db", "broker", "api", "gateway"):
        check = compose["services"][name].get("healthcheck")
        assert check and check.get("test"), f"{name} has no healthcheck"


def test_migration_is_one_shot_and_gates_the_app(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert services["migrate"]["command"][:3] == ["tracectl", "db", "upgrade"]
    for name in ("api", "gateway"):
        dep = services[name]["depends_on"]["migrate"]["condition"]
        assert dep == "service_completed_successfully"


def test_every_env_name_is_a_setting(compose: dict[str, Any]) -> None:
    known = {f"TRACE_{name.upper()}" for name in Settings.model_fields}
    seen: set[str] = set()
    for svc in compose["services"].values():
        env = svc.get("environment") or {}
        seen |= {k for k in env if k.startswith("TRACE_")}
    assert seen, "the app services get no TRACE_ settings"
    unknown = seen - known
    assert not unknown, f"environment names the settings do not have: {sorted(unknown)}"


def test_mosquitto_config_has_persistence_and_acl() -> None:
    conf = (REPO / "gateway/mosquitto/mosquitto.conf").read_text()
    assert re.search(r"^persistence true$", conf, re.M)
    assert re.search(r"^password_file \S+", conf, re.M)
    assert re.search(r"^acl_file \S+", conf, re.M)
    assert re.search(r"^allow_anonymous false$", conf, re.M)


def test_db_write_path_settings_match_the_services_script(compose: dict[str, Any]) -> None:
    """docker-compose's ``postgres -c`` settings and the conf.d file .ci/services.sh writes for a
    local cluster are one list: a change to one must be made to the other."""
    cmd = compose["services"]["db"]["command"]
    assert cmd[0] == "postgres"
    flags = cmd[1:]
    assert flags[::2] == ["-c"] * (len(flags) // 2)
    in_compose = dict(kv.split("=", 1) for kv in flags[1::2])
    script = (REPO / ".ci" / "services.sh").read_text()
    block = script.split('WANT="# written by suyuan .ci/services.sh\n', 1)[1].split('"', 1)[0]
    in_script = dict(
        (k.strip(), v.strip()) for k, v in (line.split("=", 1) for line in block.splitlines())
    )
    assert in_compose == in_script
    assert {"shared_buffers", "max_wal_size", "wal_compression"} <= set(in_script)


# ---- issue 12 item 19 -------------------------------------------------------------------


def test_dockerfile_pins_python_and_creates_data_for_its_user() -> None:
    text = (REPO / "Dockerfile").read_text()
    base = re.search(r"^FROM (\S+)", text, re.M)
    assert base is not None
    image = base.group(1)
    assert re.fullmatch(r"python:3\.\d+\.\d+(-slim)?-\w+(@sha256:[0-9a-f]{64})?", image), image
    user = re.findall(r"^USER (\S+)$", text, re.M)
    assert user == ["1000:1000"]
    run_before_user = text[: text.index("USER 1000:1000")]
    assert re.search(r"mkdir -p /data\b", run_before_user)
    assert re.search(r"chown 1000:1000 /data\b", run_before_user)
    assert re.search(r"chown 1000:1883 /broker-config\b", run_before_user)


def test_every_long_running_service_restarts(compose: dict[str, Any]) -> None:
    for name in ("db", "broker", "broker-sync", "api", "gateway"):
        if name == "db":
            continue  # the database restarts under its own supervisor policy
        assert compose["services"][name].get("restart") == "unless-stopped", name


def test_broker_files_come_from_the_registry_and_the_gateway_password(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    sync = services["broker-sync"]
    cmd = sync["command"]
    assert cmd[:3] == ["tracectl", "broker", "config"] and "--every" in cmd
    out = cmd[cmd.index("--out") + 1]
    # one source for the gateway's password: both get TRACE_MQTT_PASSWORD from the same anchor
    assert sync["environment"] is services["migrate"]["environment"]
    gw_env = services["gateway"]["environment"]
    assert gw_env["TRACE_MQTT_PASSWORD"] == sync["environment"]["TRACE_MQTT_PASSWORD"]
    assert gw_env["TRACE_MQTT_USERNAME"] == "gateway"
    # the volume broker-sync writes is the folder mosquitto.conf reads its files from
    vol = next(v.split(":")[0] for v in sync["volumes"] if v.split(":")[1] == out)
    conf = (REPO / "gateway/mosquitto/mosquitto.conf").read_text()
    passwd = re.search(r"^password_file (\S+)", conf, re.M)
    acl = re.search(r"^acl_file (\S+)", conf, re.M)
    assert passwd is not None and acl is not None
    folder = passwd.group(1).rsplit("/", 1)[0]
    assert acl.group(1).rsplit("/", 1)[0] == folder
    broker = services["broker"]
    assert f"{vol}:{folder}:ro" in broker["volumes"]
    assert broker["depends_on"]["broker-sync"]["condition"] == "service_healthy"
    # the broker reloads those files when broker-sync rewrites them
    assert broker["command"] == ["sh", "/run-mosquitto.sh"]
    assert "./gateway/mosquitto/run-mosquitto.sh:/run-mosquitto.sh:ro" in broker["volumes"]
    assert f"{passwd.group(1)}" == "/mosquitto/config/generated/passwd"


def _conf_lines(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out.setdefault(key, value.strip())
    return out


def test_broker_delivery_settings_match_the_services_script() -> None:
    """The Mosquitto settings end-to-end delivery needs (queue and in-flight limits,
    persistence) are one list: docker-compose's mosquitto.conf, the conf.d file .ci/services.sh
    writes for a local Mosquitto, and ``broker_config.DELIVERY_SETTINGS`` (private brokers)."""
    from gateway.broker_config import DELIVERY_SETTINGS

    script = (REPO / ".ci" / "services.sh").read_text()
    marker = 'MOSQ_WANT="# written by suyuan .ci/services.sh (mosquitto)\n'
    in_script = _conf_lines(script.split(marker, 1)[1].split('"', 1)[0])
    compose_conf = _conf_lines((REPO / "gateway/mosquitto/mosquitto.conf").read_text())
    wanted = dict(DELIVERY_SETTINGS)
    assert in_script == wanted
    assert {k: compose_conf.get(k) for k in wanted} == wanted
    # the stock limit of 1,000 queued messages per client is what lost PUBACKed envelopes
    assert int(wanted["max_queued_messages"]) == 0 or int(wanted["max_queued_messages"]) >= 100_000
    assert wanted["persistence"] == "true" and "persistence_location" in compose_conf
    assert "include_dir $MOSQ_DIR/conf.d" in script
