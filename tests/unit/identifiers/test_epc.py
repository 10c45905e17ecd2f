from __future__ import annotations

import pytest

from traceability.identifiers import (
    IdentifierError,
    decode_epc_hex,
    digital_link_to_epc_urn,
    epc_urn_from_elements,
    epc_urn_from_hex,
    epc_urn_to_digital_link,
    epc_urn_to_element_string,
    epc_urn_to_hex,
    parse_epc_urn,
)

# epcpy (used as a cross-check) emits DeprecationWarnings for its regex literals.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

# GS1 EPC Tag Data Standard 2.x worked example (section E / §7): this hex, this URN,
# (01)80614141123458(21)6789.
VECTOR_HEX = "3074257BF7194E4000001A85"
VECTOR_URN = "urn:epc:id:sgtin:0614141.812345.6789"


def test_sgtin96_vector() -> None:
    tag = decode_epc_hex(VECTOR_HEX)
    assert tag.urn == VECTOR_URN
    assert tag.filter == 3
    assert tag.scheme == "sgtin-96"
    assert tag.tag_uri == "urn:epc:tag:sgtin-96:3.0614141.812345.6789"
    assert epc_urn_to_hex(VECTOR_URN, filter_value=3) == VECTOR_HEX
    assert epc_urn_to_element_string(VECTOR_URN) == "(01)80614141123458(21)6789"
    assert epc_urn_to_digital_link(VECTOR_URN) == "https://id.gs1.org/01/80614141123458/21/6789"
    assert digital_link_to_epc_urn("https://id.gs1.org/01/80614141123458/21/6789", 7) == VECTOR_URN


@pytest.mark.parametrize(
    ("urn", "element_string"),
    [
        # TDS 2.x pure identity examples (section 6.3)
        ("urn:epc:id:sscc:0614141.1234567890", "(00)106141412345678908"),
        ("urn:epc:id:sgln:0614141.12345.400", "(414)0614141123452(254)400"),
        ("urn:epc:id:sgln:0614141.12345.0", "(414)0614141123452"),
        ("urn:epc:id:grai:0614141.12345.400", "(8003)00614141123452400"),
        ("urn:epc:id:giai:0614141.32a%2Fb", "(8004)061414132a/b"),
        ("urn:epc:class:lgtin:4012345.012345.998877", "(01)04012345123456(10)998877"),
        ("urn:epc:id:sgtin:0614141.712345.32a%2Fb", "(01)70614141123451(21)32a/b"),
    ],
)
def test_urn_to_element_string_and_back(urn: str, element_string: str) -> None:
    assert epc_urn_to_element_string(urn) == element_string
    cp_len = len(parse_epc_urn(urn).company_prefix)
    dl = epc_urn_to_digital_link(urn)
    assert digital_link_to_epc_urn(dl, company_prefix_length=cp_len) == urn


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:sscc:0614141.1234567890",
        "urn:epc:id:sgln:0614141.12345.400",
        "urn:epc:id:grai:0614141.12345.400",
        "urn:epc:id:giai:0614141.12345400",
        "urn:epc:id:sgln:061414112345..0",
    ],
)
def test_other_96_bit_schemes_round_trip(urn: str) -> None:
    import epcpy

    hexed = epc_urn_to_hex(urn, filter_value=1)
    assert epc_urn_from_hex(hexed) == urn
    # cross-check against epcpy's independent decoder
    assert epcpy.hex_to_tag_encodable(hexed).epc_uri == urn  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("hexed", "code"),
    [
        ("3074257BF7194E4000001A8", "invalid_hex"),
        ("3074257BF7194E4000001A8G", "invalid_hex"),
        ("FF74257BF7194E4000001A85", "unknown_header"),
        ("307E257BF7194E4000001A85", "invalid_partition"),  # partition 7
        ("3154257BF4499602D2000001", "invalid_hex"),  # SSCC-96 reserved bits set
    ],
)
def test_bad_hex(hexed: str, code: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        decode_epc_hex(hexed)
    assert exc.value.code == code


@pytest.mark.parametrize(
    ("urn", "code"),
    [
        ("urn:epc:id:sgtin:0614141.81234.6789", "length"),
        ("urn:epc:id:sgtin:0614141.812345", "invalid_urn"),
        ("urn:epc:id:foo:0614141.812345.1", "invalid_urn"),
        ("urn:epc:id:sgtin:06141.81234567.1", "company_prefix"),
        ("urn:epc:id:sgtin:061414A.812345.1", "charset"),
        ("urn:epc:id:sgtin:0614141.812345.%zz", "bad_percent_encoding"),
        ("urn:isbn:123", "invalid_urn"),
    ],
)
def test_bad_urns(urn: str, code: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_epc_urn(urn)
    assert exc.value.code == code


def test_not_encodable_in_96_bits() -> None:
    with pytest.raises(IdentifierError) as exc:
        epc_urn_to_hex("urn:epc:id:sgtin:0614141.812345.ABC")
    assert exc.value.code == "not_encodable"
    with pytest.raises(IdentifierError) as exc:
        epc_urn_to_hex("urn:epc:id:sgtin:0614141.812345.0123")  # leading zero
    assert exc.value.code == "not_encodable"
    with pytest.raises(IdentifierError) as exc:
        epc_urn_to_hex(f"urn:epc:id:sgtin:0614141.812345.{2**38}")
    assert exc.value.code == "not_encodable"


def test_company_prefix_lookup_and_override() -> None:
    uri = "https://id.gs1.org/01/80614141123458/21/6789"
    # biip's GS1 company prefix table knows 0614141 is a 7-digit prefix
    assert digital_link_to_epc_urn(uri) == VECTOR_URN
    assert digital_link_to_epc_urn(uri, company_prefix_length=9) == (
        "urn:epc:id:sgtin:061414112.8345.6789"
    )
    with pytest.raises(IdentifierError) as exc:
        digital_link_to_epc_urn(uri, company_prefix_length=5)
    assert exc.value.code == "company_prefix"


def test_pgln_party_urn() -> None:
    # TDS 2.x: urn:epc:id:pgln:CompanyPrefix.PartyRef, the party's GLN as AI (417)
    urn = "urn:epc:id:pgln:0614141.12345"
    parsed = parse_epc_urn(urn)
    assert (parsed.scheme, parsed.company_prefix, parsed.fields) == ("pgln", "0614141", ("12345",))
    assert parsed.elements == (("417", "0614141123452"),)
    assert parsed.urn == urn
    assert epc_urn_to_element_string(urn) == "(417)0614141123452"
    assert epc_urn_to_digital_link(urn) == "https://id.gs1.org/417/0614141123452"
    assert epc_urn_from_elements({"417": "0614141123452"}, 7) == urn
    assert parse_epc_urn("urn:epc:id:pgln:061414112345.").elements == (("417", "0614141123452"),)


@pytest.mark.parametrize(
    ("urn", "code"),
    [
        ("urn:epc:id:pgln:0614141.1234", "length"),  # 11 digits, not 12
        ("urn:epc:id:pgln:0614141.12345.0", "charset"),  # no extension: "12345.0" is one field
        ("urn:epc:id:pgln:0614141", "invalid_urn"),
        ("urn:epc:tag:pgln-96:1.0614141.12345", "invalid_urn"),  # no binary encoding
        ("urn:epc:class:pgln:0614141.12345", "invalid_urn"),
    ],
)
def test_bad_pgln_urns(urn: str, code: str) -> None:
    with pytest.raises(IdentifierError) as exc:
        parse_epc_urn(urn)
    assert exc.value.code == code


def test_pgln_has_no_96_bit_encoding() -> None:
    with pytest.raises(IdentifierError) as exc:
        epc_urn_to_hex("urn:epc:id:pgln:0614141.12345")
    assert exc.value.code == "not_encodable"
