"""Issue 12 item 15: a device id can never make ``tracectl`` write outside its folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.cli.conftest import Cli, one_line_error

BAD_IDS = ["../evil", "../../x", "a/b", "/abs", ".hidden", "..", "bad id!", "x\n", "", "é"]


def _files(root: Path) -> set[Path]:
    return {Path(d) / f for d, _, fs in os.walk(root) for f in fs}


@pytest.mark.parametrize("bad", BAD_IDS)
def test_keygen_refuses_ids_that_are_not_ids(cli: Cli, tmp_path: Path, bad: str) -> None:
    before = _files(tmp_path)
    res = cli("device", "keygen", "--id", bad)
    one_line_error(res, 2, "--id", "not a valid device id")
    assert _files(tmp_path) == before


@pytest.mark.parametrize("bad", ["../evil", "bad id!"])
def test_enroll_refuses_before_touching_files(cli: Cli, tmp_path: Path, bad: str) -> None:
    before = _files(tmp_path)
    res = cli("device", "enroll", "--id", bad, "--location", "l", "--party", "p")
    one_line_error(res, 2, "--id", "not a valid device id")
    assert _files(tmp_path) == before


def test_keygen_writes_inside_the_data_dir(cli: Cli, tmp_path: Path) -> None:
    res = cli("device", "keygen", "--id", "gate-1.a_b")
    assert res.code == 0, res.stderr
    assert (tmp_path / "data" / "devices" / "gate-1.a_b.key").is_file()


def test_key_pair_and_default_path_refuse_bad_ids(tmp_path: Path) -> None:
    from devices.keys import DeviceKeyPair, default_key_path
    from traceability.errors import InvalidInputError

    for bad in BAD_IDS:
        with pytest.raises(InvalidInputError):
            DeviceKeyPair.generate(bad)
        with pytest.raises(InvalidInputError):
            default_key_path(tmp_path, bad)
    assert default_key_path(tmp_path, "ok-1") == tmp_path.resolve() / "ok-1.key"


def test_default_path_does_not_follow_a_link_out(tmp_path: Path) -> None:
    from devices.keys import default_key_path
    from traceability.errors import InvalidInputError

    outside = tmp_path / "outside"
    outside.mkdir()
    folder = tmp_path / "devices"
    folder.mkdir()
    (folder / "dev-1.key").symlink_to(outside / "stolen.key")
    with pytest.raises(InvalidInputError):
        default_key_path(folder, "dev-1")


def test_one_id_rule_for_registry_envelope_and_device_config() -> None:
    """The registry's schemas, the device config and the envelope's ``device`` check agree."""
    from pydantic import ValidationError

    from devices.config import DeviceConfig
    from traceability.registry.ids import is_valid_id
    from traceability.registry.schemas import PartyCreate
    from traceability.signing import envelope

    samples = [*BAD_IDS, "a", "A9", "x" * 64, "x" * 65, "a..b", "a-b_c.d", "-a", "_a", "a b"]
    for value in samples:
        ok = is_valid_id(value)
        try:
            PartyCreate(id=value, name="n")
            registry_ok = True
        except ValidationError:
            registry_ok = False
        try:
            DeviceConfig(device_id=value)
            config_ok = True
        except ValidationError:
            config_ok = False
        envelope_ok = envelope._DEVICE_RE.fullmatch(value) is not None
        assert ok == registry_ok == config_ok == envelope_ok, value
