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
