"""The print station's key file: created 0600 once, reused, refused when others can read it or
when it is not a key file; station ids that could escape the folder are refused."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from label_printing import LabelInputError
from label_printing.station import key_path, load_or_create_key
from traceability.errors import ConfigError


def test_created_private_and_reused(tmp_path: Path) -> None:
    a = load_or_create_key(data_dir=tmp_path, station="ps-1")
    path = key_path(data_dir=tmp_path, station="ps-1")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    b = load_or_create_key(data_dir=tmp_path, station="ps-1")
    assert (a.seed, a.key_id) == (b.seed, b.key_id)
    assert a.key_id.startswith("ed25519:")


def test_readable_by_others_is_refused(tmp_path: Path) -> None:
    load_or_create_key(data_dir=tmp_path, station="ps-1")
    key_path(data_dir=tmp_path, station="ps-1").chmod(0o644)
    with pytest.raises(ConfigError) as info:
        load_or_create_key(data_dir=tmp_path, station="ps-1")
    assert info.value.code == "key_file_permissions"


@pytest.mark.parametrize("text", ["", "{}", "not json", '{"device": "other", "seed": "AAAA"}'])
def test_not_a_key_file_is_refused(tmp_path: Path, text: str) -> None:
    path = key_path(data_dir=tmp_path, station="ps-1")
    path.parent.mkdir(parents=True)
    path.write_text(text)
    path.chmod(0o600)
    with pytest.raises(ConfigError) as info:
        load_or_create_key(data_dir=tmp_path, station="ps-1")
    assert info.value.code == "key_file"


@pytest.mark.parametrize("station", ["../x", "a/b", "", ".hidden", "x" * 65, "a\x00b"])
def test_bad_station_ids(tmp_path: Path, station: str) -> None:
    with pytest.raises(LabelInputError) as info:
        load_or_create_key(data_dir=tmp_path, station=station)
    assert info.value.field == "station"
    assert not (tmp_path / "label-stations").exists() or not any(
        (tmp_path / "label-stations").iterdir()
    )
