"""Identifiers: parse, validate and normalise GS1 keys, element strings, Digital Link URIs,
EPC URNs and binary, and Chinese registry codes. Start with :func:`check`."""

from __future__ import annotations

from traceability.identifiers.cn import (
    org_code_check_char,
    uscc_check_char,
    validate_cn_drug_code,
    validate_cn_equipment_code,
    validate_uscc,
)
from traceability.identifiers.digital_link import DigitalLink, parse_digital_link, to_digital_link
from traceability.identifiers.element_string import (
    ElementString,
    parse_element_string,
    to_element_string,
)
from traceability.identifiers.epc import (
    EpcUrn,
    digital_link_to_epc_urn,
    epc_urn_from_elements,
    epc_urn_to_digital_link,
    epc_urn_to_element_string,
    parse_epc_urn,
)
from traceability.identifiers.epc_binary import decode_epc_hex, epc_urn_from_hex, epc_urn_to_hex
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import (
    gtin_check_digit,
    validate_gln,
    validate_gtin,
    validate_sscc,
)
from traceability.identifiers.identify import check
from traceability.identifiers.models import IdCheck, IdErrorItem

__all__ = [
    "DigitalLink",
    "ElementString",
    "EpcUrn",
    "IdCheck",
    "IdErrorItem",
    "IdentifierError",
    "check",
    "decode_epc_hex",
    "digital_link_to_epc_urn",
    "epc_urn_from_elements",
    "epc_urn_from_hex",
    "epc_urn_to_digital_link",
    "epc_urn_to_element_string",
    "epc_urn_to_hex",
    "gtin_check_digit",
    "org_code_check_char",
    "parse_digital_link",
    "parse_element_string",
    "parse_epc_urn",
    "to_digital_link",
    "to_element_string",
    "uscc_check_char",
    "validate_cn_drug_code",
    "validate_cn_equipment_code",
    "validate_gln",
    "validate_gtin",
    "validate_sscc",
    "validate_uscc",
]
