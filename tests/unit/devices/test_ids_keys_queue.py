"""Identifier conversions, key files, and the disk outbox."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from devices import ids
from devices.keys import DeviceKeyPair, KeyFileError, load_key, load_or_create_key, save_key
from devices.queue import Outbox
from traceability.identifiers import epc_urn_from_hex, parse_epc_urn
from traceability.signing.envelope import Envelope, build, verify_signature

VECTOR_HEX = "3074257BF7194E4000001A85"
VECTOR_URN = "urn:epc:id:sgtin:0614141.812345.6789"


def test_sgtin96_vector_local_and_shared() -> None:
    assert ids._local_epc_urn_from_hex(VECTOR_HEX) == VECTOR_URN
    assert ids.epc_urn_from_hex(VECTOR_HEX.lower()) == VECTOR_URN
    assert ids.sgtin96_hex("80614141123458", 6789, cp_len=7, filter_=3) == VECTOR_HEX


@pytest.mark.parametrize("serial", [0, 1, 6789, 2**38 - 1])
def test_sgtin96_encode_decode_round_trip(serial: int) -> None:
    gtin = ids.with_check_digit("0693710100001")
    hexa = ids.sgtin96_hex(gtin, serial)
    assert ids._local_epc_urn_from_hex(hexa) == epc_urn_from_hex(hexa)
    assert epc_urn_from_hex(hexa) == ids.sgtin_urn(gtin, str(serial))


@pytest.mark.parametrize("bad", ["", "ZZ", "3574257BF7194E4000001A85", "3074257BF7194E40"])
def test_non_sgtin96_hex_is_refused(bad: str) -> None:
    with pytest.raises(ids.ScanError):
        ids._local_epc_urn_from_hex(bad)


def test_scan_forms_agree() -> None:
    ais = {"01": "80614141123458", "21": "6789", "10": "L-42", "17": "271231"}
    raw = "]d2" + ids.element_string(ais)
    assert ids.GS in raw  # FNC1 after the variable-length serial
    bracketed = "(01)80614141123458(21)6789(10)L-42(17)271231"
    link = "https://id.gs1.org/01/80614141123458/10/L-42/21/6789?17=271231"
    scans = [ids.parse_scan(x) for x in (raw, bracketed, link)]
    assert {s.epc for s in scans} == {VECTOR_URN}
    assert all(s.ais["10"] == "L-42" and s.ais["17"] == "271231" for s in scans)
    assert scans[0].digital_link == link


def test_scan_lot_only_is_a_class_and_bad_check_digit_refused() -> None:
    scan = ids.parse_scan("(01)80614141123458(10)ABC")
    assert scan.epc is None and scan.epc_class == "urn:epc:class:lgtin:0614141.812345.ABC"
    with pytest.raises(ids.ScanError, match="check digit"):
        ids.parse_scan("(01)80614141123459(21)1")
    sscc = ids.parse_scan("(00)106141411234567897")
    assert sscc.epc == "urn:epc:id:sscc:0614141.1123456789"


def test_generated_urns_parse_with_the_shared_parser() -> None:
    gln = ids.with_check_digit("693710100001")
    for urn in (
        ids.sgln_urn(gln, "3"),
        ids.lgtin_urn("06937101000013", "A1"),
        ids.sscc_urn(ids.with_check_digit("06937101123456789")),
    ):
        assert parse_epc_urn(urn).scheme in urn


def test_uscc_vector() -> None:
    assert ids.uscc_valid("91350100M000100Y43")
    assert not ids.uscc_valid("91350100M000100Y44")


# ---- keys -------------------------------------------------------------------------------


def test_key_file_is_0600_and_round_trips(tmp_path: Path) -> None:
    key = DeviceKeyPair.generate("dev-1")
    path = save_key(key, tmp_path / "keys" / "dev-1.key")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = load_key(path)
    assert loaded == key and loaded.key_id == key.key_id
    assert json.loads(path.read_text())["key_id"] == key.key_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_key_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = save_key(DeviceKeyPair.generate("dev-1"), tmp_path / "k")
    path.chmod(mode)
    with pytest.raises(KeyFileError) as err:
        load_key(path)
    assert err.value.code == "key_file_permissions"


def test_key_file_never_overwritten_and_belongs_to_its_device(tmp_path: Path) -> None:
    path = tmp_path / "k"
    key, created = load_or_create_key(path, "dev-1")
    assert created
    again, created = load_or_create_key(path, "dev-1")
    assert not created and again == key
    with pytest.raises(KeyFileError):
        save_key(DeviceKeyPair.generate("dev-1"), path)
    with pytest.raises(KeyFileError):
        load_or_create_key(path, "dev-2")


# ---- outbox -----------------------------------------------------------------------------


def _builder(key: DeviceKeyPair, body: str):  # type: ignore[no-untyped-def]
    return lambda seq: build(
        device=key.device_id,
        key_id=key.key_id,
        seed=key.seed,
        seq=seq,
        events=[{"type": "ObjectEvent", "n": body}],
    )


def test_outbox_survives_reopen_in_order_and_never_reuses_a_seq(tmp_path: Path) -> None:
    key = DeviceKeyPair.generate("dev-1")
    path = tmp_path / "outbox.sqlite3"
    with Outbox(path) as box:
        seqs = [box.append(topic="t", build=_builder(key, f"e{i}")) for i in range(5)]
        assert seqs == [1, 2, 3, 4, 5]
        assert box.remove(1) and box.remove(2)
        assert not box.remove(2)
    with Outbox(path) as box:  # "restart"
        assert [q.seq for q in box.peek()] == [3, 4, 5]
        first = Envelope.from_json(box.peek()[0].payload)
        verify_signature(first, public_key=key.public_key)
        assert first.seq == "3" and first.events[0]["n"] == "e2"
        for q in box.peek():
            box.remove(q.seq)
        assert len(box) == 0
    with Outbox(path) as box:  # empty queue: the counter still moves on
        assert box.append(topic="t", build=_builder(key, "new")) == 6
        assert [q.seq for q in box.peek(after=0)] == [6]


def test_outbox_failed_build_consumes_nothing(tmp_path: Path) -> None:
    key = DeviceKeyPair.generate("dev-1")

    def boom(_seq: int) -> bytes:
        raise RuntimeError("sign failed")

    with Outbox(tmp_path / "o.sqlite3") as box:
        with pytest.raises(RuntimeError):
            box.append(topic="t", build=boom)
        assert len(box) == 0 and box.next_seq() == 1
        assert box.append(topic="t", build=_builder(key, "x")) == 1
