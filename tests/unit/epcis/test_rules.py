"""The capture rules beyond the EPCIS schema, and the query parameters and page tokens."""

from __future__ import annotations

from typing import Any

import pytest

from traceability.epcis import params
from traceability.epcis.errors import QueryParameterError
from traceability.epcis.extensions import document_problems

CTX: list[Any] = [
    "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
    {"ex": "https://ex.com/"},
]


def _doc(**extra: Any) -> dict[str, Any]:
    event = {
        "type": "ObjectEvent",
        "action": "ADD",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sgtin:0614141.107346.1"],
        **extra,
    }
    return {"@context": CTX, "type": "EPCISDocument", "epcisBody": {"eventList": [event]}}


@pytest.mark.parametrize(
    "extra",
    [
        {"ex:a": {"ex:b": 1}},
        {"https://ex.com/a": 1},
        {"urn:ex:a": 1},
        {"ilmd": {"cbvmda:lotNumber": "L1", "ex:grade": {"ex:x": 1}}},
        {"readPoint": {"id": "urn:epc:id:sgln:0614141.00777.0", "ex:door": "3"}},
    ],
)
def test_namespaced_extensions_pass(extra: dict[str, Any]) -> None:
    assert document_problems(_doc(**extra)) == []


@pytest.mark.parametrize(
    ("extra", "path", "words"),
    [
        ({"ilmd": {"lotNumber": "L1"}}, "ilmd.lotNumber", "not namespaced"),
        ({"ilmd": {"ex:a": {"inner": 1}}}, "ilmd.ex:a.inner", "not namespaced"),
        ({"ex:a": {"plain": 1}}, "ex:a.plain", "not namespaced"),
        ({"zz:a": 1}, "zz:a", "not declared"),
        ({"readPoint": {"id": "x", "door": 1}}, "readPoint.door", "not namespaced"),
        ({"suyuan:recallId": "r"}, "suyuan:recallId", "reserved"),
        ({"urn:suyuan:epcis:assertedBy": "p"}, "urn:suyuan:epcis:assertedBy", "reserved"),
        ({"type": "https://ex.com/MyEvent"}, "type", "not an EPCIS 2.0 type"),
        ({"epcList": ["a\x00"]}, "epcList[0]", "NUL"),
    ],
)
def test_refused(extra: dict[str, Any], path: str, words: str) -> None:
    [(where, why)] = document_problems(_doc(**extra))
    assert where.endswith(path) and words in why, (where, why)


def test_a_prefix_mapped_to_the_platform_namespace_is_refused() -> None:
    doc = _doc(**{"my:x": 1})
    doc["@context"] = [*CTX, {"my": "urn:suyuan:epcis:"}]
    [(_, why)] = document_problems(doc)
    assert "reserved" in why


def test_canonical_identifiers_and_tokens() -> None:
    q = params.parse([("MATCH_epc", "https://id.gs1.org/01/10614141073464/21/7")], secret=b"k")
    keys, cands = q.matches["MATCH_epc"]
    assert keys == {"(01)10614141073464(21)7"}
    assert "urn:epc:id:sgtin:0614141.107346.7" in cands
    assert params.canonical("urn:epc:id:sgtin:0614141.107346.7") == next(iter(keys))
    token = params.make_token(after=41, digest=q.digest, secret=b"k")
    assert params.read_token(token, secret=b"k", digest=q.digest) == 41
    for bad, secret, digest in [
        (token, b"other", q.digest),
        (token, b"k", "another query"),
        (token.replace(".", "x.", 1), b"k", q.digest),
        ("", b"k", q.digest),
    ]:
        with pytest.raises(QueryParameterError):
            params.read_token(bad, secret=secret, digest=digest)


def test_repeated_and_unknown_parameters() -> None:
    with pytest.raises(QueryParameterError, match="twice"):
        params.parse([("perPage", "1"), ("perPage", "2")], secret=b"k")
    with pytest.raises(QueryParameterError, match="unknown"):
        params.parse([("EQ_action", "ADD")], secret=b"k")
