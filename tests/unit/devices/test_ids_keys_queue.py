"""Identifier conversions, key files, and the disk outbox."""

from __future__ import annotations

import json
import random
import stat
from pathlib import Path

import pytest

from devices.ids import parse_scan
from devices.keys import DeviceKeyPair, KeyFileError, load_key, load_or_create_key, save_key
from devices.queue import Outbox
from devices.simulators.world import Company, make_uscc
from traceability.identifiers import (
    IdentifierError,
    epc_urn_from_hex,
    epc_urn_to_hex,
    parse_epc_urn,
    to_element_string,
    validate_gln,
    validate_gtin,
    validate_sscc,
    validate_uscc,
)
from traceability.signing.envelope import Envelope, build, verify_signature

GS = "\x1d"
VECTOR_URN = "urn:epc:id:sgtin:0614141.812345.6789"
COMPANY = Company("69371010")


@pytest.mark.parametrize("serial", [0, 1, 6789, 2**38 - 1])
def test_simulated_sgtin96_tags_decode_to_their_urn(serial: int) -> None:
    urn = COMPANY.sgtin(COMPANY.gtin(1), str(serial))
    assert epc_urn_from_hex(epc_urn_to_hex(urn, filter_value=1)) == urn


def test_scan_forms_agree() -> None:
    ais = {"01": "80614141123458", "21": "6789", "10": "L-42", "17": "271231"}
    raw = "]d2" + to_element_string(ais, bracketed=False)
    assert GS in raw  # FNC1 after the variable-length serial
    bracketed = "(01)80614141123458(21)6789(10)L-42(17)271231"
    link = "https://id.gs1.org/01/80614141123458/10/L-42/21/6789?17=271231"
    scans = [parse_scan(x) for x in (raw, bracketed, link)]
    assert {s.epc for s in scans} == {VECTOR_URN}
    assert all(s.ais["10"] == "L-42" and s.ais["17"] == "271231" for s in scans)
    assert {s.digital_link for s in scans} == {link}


def test_scan_lot_only_is_a_class_and_bad_check_digit_refused() -> None:
    scan = parse_scan("(01)80614141123458(10)ABC")
    assert scan.epc is None and scan.epc_class == "urn:epc:class:lgtin:0614141.812345.ABC"
    with pytest.raises(IdentifierError, match="check digit"):
        parse_scan("(01)80614141123459(21)1")
    sscc = parse_scan("(00)106141411234567897")
    assert sscc.epc == "urn:epc:id:sscc:0614141.1123456789"
    assert sscc.digital_link == "https://id.gs1.org/00/106141411234567897"


@pytest.mark.parametrize("data", ["(01)80614141123458", "(414)0614141123452"])
def test_scan_without_an_item_or_logistic_unit_is_refused(data: str) -> None:
    with pytest.raises(IdentifierError) as err:
        parse_scan(data)
    assert err.value.code == "not_encodable"


def test_simulated_company_keys_and_urns() -> None:
    gtin, gln, sscc = COMPANY.gtin(1, indicator=1), COMPANY.gln(3), COMPANY.sscc(12345678)
    assert (validate_gtin(gtin), validate_gln(gln), validate_sscc(sscc)) == (gtin, gln, sscc)
    cases = {
        COMPANY.sgln(3, "2"): (("414", gln), ("254", "2")),
        COMPANY.sgln(3): (("414", gln),),
        COMPANY.pgln(): (("417", COMPANY.gln(0)),),
        COMPANY.sgtin(gtin, "A1"): (("01", gtin), ("21", "A1")),
        COMPANY.lgtin(gtin, "L1"): (("01", gtin), ("10", "L1")),
        COMPANY.sscc_urn(sscc): (("00", sscc),),
        COMPANY.giai("311050107202400042"): (("8004", "69371010311050107202400042"),),
    }
    for urn, elements in cases.items():
        parsed = parse_epc_urn(urn)
        assert parsed.company_prefix == COMPANY.prefix and parsed.elements == elements


def test_simulated_uscc_passes_both_checks() -> None:
    rng = random.Random(5)
    for _ in range(50):
        code = make_uscc(rng, division="500103")
        assert validate_uscc(code).admin_division == "500103"


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


def test_outbox_append_many_is_one_transaction_in_seq_order(tmp_path: Path) -> None:
    key = DeviceKeyPair.generate("dev-1")

    def boom(_seq: int) -> bytes:
        raise RuntimeError("sign failed")

    with Outbox(tmp_path / "o.sqlite3") as box:
        assert box.append(topic="t", build=_builder(key, "a")) == 1
        with pytest.raises(RuntimeError):  # all or nothing
            box.append_many(topic="t", builds=[_builder(key, "b"), boom])
        assert len(box) == 1 and box.next_seq() == 2
        assert box.append_many(topic="t", builds=[_builder(key, f"m{i}") for i in range(3)]) == [
            2,
            3,
            4,
        ]
        envs = [Envelope.from_json(q.payload) for q in box.peek()]
        assert [(e.seq, e.events[0]["n"]) for e in envs] == [
            ("1", "a"),
            ("2", "m0"),
            ("3", "m1"),
            ("4", "m2"),
        ]
        for e in envs:
            verify_signature(e, public_key=key.public_key)
        assert box.next_seq() == 5
