"""Throughput of the identifier parsers: ``python -m bench.identifiers [--json]``.

Prints one line per case, then one JSON object (ops/s per case) as the last line.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from traceability.identifiers import (
    check,
    epc_urn_from_hex,
    epc_urn_to_digital_link,
    epc_urn_to_hex,
    parse_digital_link,
    parse_element_string,
    parse_epc_urn,
    validate_cn_drug_code,
    validate_cn_equipment_code,
    validate_gln,
    validate_gtin,
    validate_sscc,
    validate_uscc,
)

GS = "\x1d"
CASES: dict[str, Callable[[], object]] = {
    "gtin": lambda: validate_gtin("09506000134352"),
    "gln": lambda: validate_gln("0614141123452"),
    "sscc": lambda: validate_sscc("106141412345678908"),
    "element_string": lambda: parse_element_string(
        "]d20109506000134352172512001012345" + GS + "21ABC"
    ),
    "digital_link": lambda: parse_digital_link(
        "https://example.com/01/09506000134352/10/12345/21/ABC?17=251200"
    ),
    "epc_urn": lambda: parse_epc_urn("urn:epc:id:sgtin:0614141.812345.6789"),
    "epc_hex_decode": lambda: epc_urn_from_hex("3074257BF7194E4000001A85"),
    "epc_hex_encode": lambda: epc_urn_to_hex("urn:epc:id:sgtin:0614141.812345.6789"),
    "epc_urn_to_digital_link": lambda: epc_urn_to_digital_link(
        "urn:epc:id:sgtin:0614141.812345.6789"
    ),
    "uscc": lambda: validate_uscc("91350100M000100Y43"),
    "cn_drug_code": lambda: validate_cn_drug_code("81234567890123456789"),
    "cn_equipment_code": lambda: validate_cn_equipment_code("311010001201800123"),
    "check_gtin": lambda: check("09506000134352"),
    "check_datamatrix": lambda: check("]d20109506000134352172512001012345" + GS + "21ABC"),
    "check_epc_hex": lambda: check("3074257BF7194E4000001A85"),
}


def rate(fn: Callable[[], object], seconds: float = 0.25) -> float:
    fn()  # warm caches (AI table, prefix trie)
    n = 0
    start = time.perf_counter()
    deadline = start + seconds
    batch = 50
    while True:
        for _ in range(batch):
            fn()
        n += batch
        now = time.perf_counter()
        if now >= deadline:
            return n / (now - start)


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    results = {name: round(rate(fn)) for name, fn in CASES.items()}
    if not as_json:
        for name, ops in results.items():
            print(f"{name:26s} {ops:>10,d} /s")
    print(json.dumps({"bench": "identifiers", "unit": "ops_per_second", "results": results}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
