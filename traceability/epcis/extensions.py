"""Checks on a captured document that the EPCIS 2.0 JSON schema does not make.

* Every user extension member -- at any depth, and every member of ``ilmd`` -- is namespaced:
  a CURIE whose prefix the document (or the event) declares in ``@context`` or the standard
  context declares, or an absolute IRI (``http://``, ``https://``, ``urn:``). The schema lets
  ``ilmd`` hold any name and a CURIE with any prefix.
* Only the five standard event types (an ``Extended-Event`` with a URI type is refused).
* The ``suyuan:`` names (and the platform's namespace ``urn:suyuan:epcis:``) are the platform's
  own: a partner's document may not use them, so no partner can forge a recall or an assertion.
* No member nested deeper than :data:`MAX_DEPTH`; no NUL or lone surrogate anywhere.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, Final

from traceability.events.validation import schema
from traceability.strict_json import unstorable_path

EVENT_TYPES: Final = frozenset(
    [
        "ObjectEvent",
        "AggregationEvent",
        "TransactionEvent",
        "TransformationEvent",
        "AssociationEvent",
    ]
)
# prefixes the standard EPCIS 2.0 context defines
STANDARD_PREFIXES: Final = frozenset(
    ["cbv", "cbvmda", "gs1", "epcis", "rdf", "rdfs", "owl", "xsd", "dcterms"]
)
PLATFORM_PREFIX: Final = "suyuan"
PLATFORM_NS: Final = "urn:suyuan:epcis:"
IRI_SCHEMES: Final = ("http://", "https://", "urn:")
JSONLD_KEYWORDS: Final = frozenset(["@id", "@type", "@value", "@language"])
MAX_DEPTH: Final = 32

Problem = tuple[str, str]  # (path, message)


@lru_cache(maxsize=1)
def standard_names() -> frozenset[str]:
    """Every member name the EPCIS 2.0 JSON schema defines (properties and name enums)."""
    names: set[str] = set()
    stack: list[Any] = [schema()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                names.update(props)
            pn = node.get("propertyNames")
            if isinstance(pn, dict):
                for alt in [pn, *pn.get("anyOf", [])]:
                    if isinstance(alt, dict) and isinstance(alt.get("enum"), list):
                        names.update(v for v in alt["enum"] if isinstance(v, str))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(names)


def prefixes(context: Any) -> dict[str, str]:
    """Prefix -> IRI declared by a JSON-LD ``@context`` (string, object or list)."""
    out: dict[str, str] = {}
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, Mapping):
            for k, v in item.items():
                if isinstance(k, str) and isinstance(v, str) and not k.startswith("@"):
                    out[k] = v
    return out


def _name_problem(name: str, declared: Mapping[str, str]) -> str | None:
    """Why ``name`` is not an acceptable extension name, or None."""
    if name.startswith(PLATFORM_NS) or name.split(":", 1)[0] == PLATFORM_PREFIX:
        return f"'{name}' is in the platform's own namespace (reserved)"
    if name.startswith(IRI_SCHEMES):
        return None
    prefix, sep, local = name.partition(":")
    if not sep or not prefix or not local:
        return f"extension member '{name}' is not namespaced (use a declared prefix or an IRI)"
    if declared.get(prefix, "").startswith(PLATFORM_NS):
        return f"prefix '{prefix}' maps to the platform's own namespace (reserved)"
    if prefix not in declared and prefix not in STANDARD_PREFIXES:
        return f"prefix '{prefix}' of '{name}' is not declared in @context"
    return None


def _walk(event: Mapping[str, Any], where: str, declared: Mapping[str, str]) -> Problem | None:
    names = standard_names()
    # (path, value, depth, inside an extension or ilmd: every name must be namespaced)
    stack: list[tuple[str, Any, int, bool]] = [(where, event, 0, False)]
    while stack:
        path, value, depth, strict = stack.pop()
        if depth > MAX_DEPTH:
            return path, f"nested deeper than {MAX_DEPTH} levels"
        if isinstance(value, list):
            stack.extend((f"{path}[{i}]", v, depth + 1, strict) for i, v in enumerate(value))
            continue
        if not isinstance(value, Mapping):
            continue
        for key, sub in value.items():
            at = f"{path}.{key}"
            if key == "@context" or key in JSONLD_KEYWORDS:
                continue
            standard = not strict and key in names and key != "ilmd"
            if key == "ilmd" and not strict:
                stack.append((at, sub, depth + 1, True))
                continue
            if not standard:
                why = _name_problem(key, declared)
                if why is not None:
                    return at, why
            stack.append((at, sub, depth + 1, strict or not standard))
    return None


def document_problems(doc: Mapping[str, Any]) -> list[Problem]:
    """Every problem of the document's shape, its event types and extension names."""
    found = unstorable_path(doc)
    if found is not None:
        path, _, why = found
        return [(path or "body", f"holds {why}")]
    if doc.get("type") != "EPCISDocument":
        return [("type", "a capture takes an EPCISDocument")]
    declared = prefixes(doc.get("@context"))
    body = doc.get("epcisBody")
    events = body.get("eventList") if isinstance(body, Mapping) else None
    if not isinstance(events, list):
        return [("epcisBody.eventList", "the document has no event list")]
    problems: list[Problem] = []
    for i, event in enumerate(events):
        where = f"epcisBody.eventList[{i}]"
        if not isinstance(event, Mapping):
            problems.append((where, "an event is a JSON object"))
            continue
        kind = event.get("type")
        if kind not in EVENT_TYPES:
            shown = json.dumps(kind)[:60]
            problems.append((f"{where}.type", f"event type {shown} is not an EPCIS 2.0 type"))
            continue
        local = {**declared, **prefixes(event.get("@context"))}
        problem = _walk(event, where, local)
        if problem is not None:
            problems.append(problem)
    for key in doc:
        if key not in standard_names() and key != "@context":
            reason = _name_problem(key, declared)
            if reason is not None:
                problems.append((key, reason))
    return problems
