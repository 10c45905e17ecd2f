"""EPCIS 2.0 validation: the official JSON Schema plus the semantic rules it cannot express.

The schema (``schema/EPCIS-JSON-Schema.json``) is compiled once per process. A document is
checked in two parts so that each problem names its event: the document with an empty event
list against the whole schema, then every event against the schema's definition of its type
(``#/definitions/ObjectEvent``…; ``EPCIS-Document-Event`` for others), which is also what
:func:`validate_event` uses.

An event is first checked by the code fastjsonschema generated for its type (a few µs; see
:mod:`traceability.events._schema` for how the two libraries are kept in agreement); only if
that rejects it does jsonschema run, to list every problem with its path. Should jsonschema
find nothing where the fast check failed, the fast check's message is reported (code
``schema``, empty path): the result is never weaker than either validator.

Semantic rules (codes are stable):

``check_digit``          a GS1 key in a Digital Link URI has a wrong check digit
``bad_identifier``       a malformed EPC URI / Digital Link key (lengths, characters)
``missing_parent``       AggregationEvent ADD/OBSERVE or AssociationEvent without ``parentID``
``missing_children``     AggregationEvent/AssociationEvent ADD without any child
``unexpected_action``    a TransformationEvent with ``action``
``ilmd_requires_add``    ``ilmd`` on an ObjectEvent whose action is not ADD
``empty_transformation`` a TransformationEvent with neither inputs nor outputs
``bad_timezone_offset``  ``eventTimeZoneOffset`` not ``±hh:mm`` within -14:00..+14:00
``time_before_floor``    ``eventTime``/``recordTime``/``declarationTime`` before the floor
``clock_skew``           such a time later than now + the allowed skew (see :mod:`.timing`)
``unknown_vocabulary``   a CBV-namespace vocabulary value (CURIE/URI/URN) that CBV 2.0 lacks
``fsma204_tlc_assignment``  (``rules="fsma204"`` only) see :func:`fsma204_issues`
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from traceability.events._ids import check_identifier, lot_of
from traceability.events._schema import (
    EVENT_TYPES,
    RFC3339,
    FastReject,
    ecma_pattern,
    event_schema,
    fast_validator,
    schema,
)
from traceability.events.errors import ValidationIssue
from traceability.events.timing import TimeRule
from traceability.events.vocab import Vocab, bare_word, is_standard

if TYPE_CHECKING:  # jsonschema is imported on first use (CLI start-up, hot path never needs it)
    import jsonschema
    from jsonschema import Draft7Validator

__all__ = ["RULE_SETS", "fsma204_issues", "schema", "validate_document", "validate_event"]

RULE_SETS: Final = ("epcis", "fsma204")
_TZ = re.compile(r"^[+-]((0\d|1[0-3]):[0-5]\d|14:00)\Z")


def _is_datetime(value: object) -> bool:
    return not isinstance(value, str) or RFC3339.match(value) is not None


@lru_cache(maxsize=1)
def _validator_class() -> Any:
    """Draft-07 with ECMA-262 ``pattern`` and only ``date-time`` asserted (see ``_schema``)."""
    from jsonschema import Draft7Validator, FormatChecker, ValidationError, validators

    def pattern(validator: Any, patrn: str, instance: Any, _schema: Any) -> Iterator[Any]:
        if validator.is_type(instance, "string") and not ecma_pattern(patrn).search(instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    formats = FormatChecker(formats=())
    formats.checks("date-time")(_is_datetime)
    cls = validators.extend(Draft7Validator, validators={"pattern": pattern})  # type: ignore[no-untyped-call]
    return lambda schema_: cls(schema_, format_checker=formats)


@lru_cache(maxsize=1)
def _document_validator() -> Draft7Validator:
    found: Draft7Validator = _validator_class()(schema())
    return found


@lru_cache(maxsize=8)
def _event_validator(event_type: str | None = None) -> Draft7Validator:
    """Validator of one event: by type (known types), else the generic document-event one."""
    name = event_type if event_type in EVENT_TYPES else "EPCIS-Document-Event"
    found: Draft7Validator = _validator_class()(event_schema(name))
    return found


def _path(parts: Iterator[Any] | Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _schema_issues(
    validator: Draft7Validator, instance: Any, index: int | None
) -> list[ValidationIssue]:
    issues = []
    for err in validator.iter_errors(instance):
        leaf = _deepest(err)
        issues.append(ValidationIssue(index, _path(leaf.absolute_path), "schema", leaf.message))
    return sorted(issues, key=lambda i: (i.path, i.message))


def _deepest(err: jsonschema.ValidationError) -> jsonschema.ValidationError:
    """Most specific sub-error (the schema's if/then/anyOf nest them), for a useful message."""
    best = err
    for ctx in err.context or ():
        cand = _deepest(ctx)
        if len(cand.absolute_path) > len(best.absolute_path):
            best = cand
    return best


_EPC_LISTS: Final = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_QTY_LISTS: Final = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")
_Where = tuple[str, int | None, str | None]  # (key, list index, sub-field): a path, unformatted


def _identifier_fields(event: Mapping[str, Any]) -> Iterator[tuple[Any, _Where]]:
    get = event.get
    for key in _EPC_LISTS:
        values = get(key)
        if values and isinstance(values, list):
            for i, v in enumerate(values):
                yield v, (key, i, None)
    for key in _QTY_LISTS:
        values = get(key)
        if values and isinstance(values, list):
            for i, q in enumerate(values):
                if isinstance(q, Mapping):
                    yield q.get("epcClass"), (key, i, "epcClass")
    yield get("parentID"), ("parentID", None, None)
    for key in ("readPoint", "bizLocation"):
        where = get(key)
        if isinstance(where, Mapping):
            yield where.get("id"), (key, None, "id")
    for key, field in (("sourceList", "source"), ("destinationList", "destination")):
        values = get(key)
        if values and isinstance(values, list):
            for i, entry in enumerate(values):
                if isinstance(entry, Mapping):
                    yield entry.get(field), (key, i, field)


def _format(where: _Where) -> str:
    key, i, field = where
    path = key if i is None else f"{key}[{i}]"
    return path if field is None else f"{path}.{field}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_VOCAB_FIELDS: Final = (
    ("bizStep", Vocab.BIZ_STEP, "https://ref.gs1.org/cbv/BizStep-", "cbv:BizStep-"),
    ("disposition", Vocab.DISPOSITION, "https://ref.gs1.org/cbv/Disp-", "cbv:Disp-"),
)
_TYPED_LISTS: Final = (
    ("bizTransactionList", Vocab.BIZ_TRANSACTION_TYPE, "https://ref.gs1.org/cbv/BTT-", "cbv:BTT-"),
    ("sourceList", Vocab.SOURCE_DEST_TYPE, "https://ref.gs1.org/cbv/SDT-", "cbv:SDT-"),
    ("destinationList", Vocab.SOURCE_DEST_TYPE, "https://ref.gs1.org/cbv/SDT-", "cbv:SDT-"),
)
_URNS: Final = {
    Vocab.BIZ_TRANSACTION_TYPE: "urn:epcglobal:cbv:btt:",
    Vocab.SOURCE_DEST_TYPE: "urn:epcglobal:cbv:sdt:",
    Vocab.BIZ_STEP: "urn:epcglobal:cbv:bizstep:",
    Vocab.DISPOSITION: "urn:epcglobal:cbv:disp:",
}


def _vocab_issue(
    path: str, value: Any, vocab: Vocab, web: str, curie: str
) -> ValidationIssue | None:
    if not isinstance(value, str) or is_standard(value, vocab):
        return None
    if value.startswith((web, curie, _URNS.get(vocab, "\0"))) or ":" not in value:
        message = f"{value!r} is neither a CBV 2.0 {vocab.value} nor a private URI"
        return ValidationIssue(None, path, "unknown_vocabulary", message)
    return None


_DEFAULT_TIMES: Final = TimeRule()
_TIME_FIELDS: Final = (("eventTime",), ("recordTime",), ("errorDeclaration", "declarationTime"))


def time_issues(
    event: Mapping[str, Any],
    index: int = 0,
    *,
    time_rule: TimeRule | None = None,
    now: datetime | None = None,
) -> list[ValidationIssue]:
    """The event's times judged by ``time_rule`` (default :class:`TimeRule`): before its floor,
    or (with ``now``) beyond the clock skew. The gateway applies the same rule with its own
    settings and the envelope's ``sent_at``."""
    rule = time_rule or _DEFAULT_TIMES
    out: list[ValidationIssue] = []
    for path in _TIME_FIELDS:
        holder: Any = event
        for key in path[:-1]:
            holder = holder.get(key) if isinstance(holder, Mapping) else None
        if not isinstance(holder, Mapping) or path[-1] not in holder:
            continue
        name = ".".join(path)
        _when, problem = rule.check(holder[path[-1]], field=name, now=now)
        if problem is not None:
            out.append(ValidationIssue(index, name, problem.code, problem.message))
    return out


def semantic_issues(
    event: Mapping[str, Any],
    index: int = 0,
    *,
    time_rule: TimeRule | None = None,
    now: datetime | None = None,
    check_times: bool = True,
) -> list[ValidationIssue]:
    """The rules of the module docstring (without the opt-in rule sets)."""
    issues: list[ValidationIssue] = []

    def add(path: str, code: str, message: str) -> None:
        issues.append(ValidationIssue(index, path, code, message))

    if check_times:
        issues += time_issues(event, index, time_rule=time_rule, now=now)

    for value, where in _identifier_fields(event):
        if isinstance(value, str):
            problem = check_identifier(value)
            if problem is not None:
                add(_format(where), *problem)
    etype, action = event.get("type"), event.get("action")
    has_children = bool(_list(event.get("childEPCs")) or _list(event.get("childQuantityList")))
    if etype == "AggregationEvent":
        if action in ("ADD", "OBSERVE") and not event.get("parentID"):
            add("parentID", "missing_parent", f"AggregationEvent {action} requires parentID")
        if action == "ADD" and not has_children:
            add("childEPCs", "missing_children", "AggregationEvent ADD requires children")
    elif etype == "AssociationEvent":
        if not event.get("parentID"):
            add("parentID", "missing_parent", "AssociationEvent requires parentID")
        if action == "ADD" and not has_children:
            add("childEPCs", "missing_children", "AssociationEvent ADD requires children")
    elif etype == "TransformationEvent":
        if "action" in event:
            add("action", "unexpected_action", "TransformationEvent has no action")
        if not any(
            _list(event.get(k))
            for k in ("inputEPCList", "inputQuantityList", "outputEPCList", "outputQuantityList")
        ):
            add(
                "inputEPCList", "empty_transformation", "TransformationEvent without inputs/outputs"
            )
    elif etype == "ObjectEvent" and "ilmd" in event and action != "ADD":
        add("ilmd", "ilmd_requires_add", f"ilmd is only allowed with action ADD, not {action}")
    tz = event.get("eventTimeZoneOffset")
    if isinstance(tz, str) and not _TZ.match(tz):
        add("eventTimeZoneOffset", "bad_timezone_offset", f"{tz!r} is not ±hh:mm in -14:00..+14:00")
    for field, vocab, web, curie in _VOCAB_FIELDS:
        found = _vocab_issue(field, event.get(field), vocab, web, curie)
        if found is not None:
            add(found.path, found.code, found.message)
    for key, vocab, web, curie in _TYPED_LISTS:
        for i, entry in enumerate(_list(event.get(key))):
            if isinstance(entry, Mapping) and "type" in entry:
                found = _vocab_issue(f"{key}[{i}].type", entry["type"], vocab, web, curie)
                if found is not None:
                    add(found.path, found.code, found.message)
    return issues


FSMA_ASSIGNING_STEPS: Final = frozenset(
    ["commissioning", "creating_class_instance", "packing", "receiving"]
)


def fsma204_issues(event: Mapping[str, Any], index: int = 0) -> list[ValidationIssue]:
    """FSMA 204 (21 CFR 1.1320): where a traceability lot code (TLC) may be assigned.

    A TLC may only be assigned at initial packing of a raw agricultural commodity, at the first
    land-based receiving of food obtained from a fishing vessel, or at transformation.

    In EPCIS terms, an event *assigns* a TLC when a lot identifier — an LGTIN class URI
    (``urn:epc:class:lgtin:…``) or a GS1 Digital Link with a lot (AI 10) and no serial —

    * appears in the ``epcList`` / ``quantityList`` of an ObjectEvent with action ``ADD``, or
    * appears in the ``outputEPCList`` / ``outputQuantityList`` of a TransformationEvent, or
    * is declared in the ``ilmd`` of such an event (a ``lotNumber`` key in any namespace).

    Rule: a TransformationEvent may always assign (transformation). An ObjectEvent ADD may
    assign only with ``bizStep`` ``commissioning`` / ``creating_class_instance`` /
    ``packing`` (initial packing) or ``receiving`` (first land-based receiving; whether it is
    the *first* receiving is a history question for the trace layer, not for one event).
    Any other ObjectEvent ADD that assigns a lot, or one without ``bizStep``, is reported as
    ``fsma204_tlc_assignment``. OBSERVE/DELETE events do not assign lots.
    """
    if event.get("type") != "ObjectEvent" or event.get("action") != "ADD":
        return []
    step = event.get("bizStep")
    word = bare_word(step, Vocab.BIZ_STEP) if isinstance(step, str) else None
    if word in FSMA_ASSIGNING_STEPS:
        return []
    where: list[str] = []
    for i, v in enumerate(_list(event.get("epcList"))):
        if isinstance(v, str) and lot_of(v):
            where.append(f"epcList[{i}]")
    for i, q in enumerate(_list(event.get("quantityList"))):
        if isinstance(q, Mapping) and isinstance(q.get("epcClass"), str) and lot_of(q["epcClass"]):
            where.append(f"quantityList[{i}].epcClass")
    ilmd = event.get("ilmd")
    if isinstance(ilmd, Mapping) and any(str(k).split(":")[-1] == "lotNumber" for k in ilmd):
        where.append("ilmd")
    shown = step if step is not None else "(none)"
    return [
        ValidationIssue(
            index,
            path,
            "fsma204_tlc_assignment",
            f"traceability lot code assigned at bizStep {shown}; FSMA 204 allows only initial "
            "packing, first land-based receiving or transformation",
        )
        for path in where
    ]


def _check_rules(rules: str | tuple[str, ...]) -> tuple[str, ...]:
    chosen = (rules,) if isinstance(rules, str) else tuple(rules)
    unknown = [r for r in chosen if r not in RULE_SETS]
    if unknown:
        raise ValueError(f"unknown rule set(s) {unknown}; known: {RULE_SETS}")
    return chosen


def validate_event(
    event: Any,
    *,
    index: int = 0,
    rules: str | tuple[str, ...] = "epcis",
    schema_check: bool = True,
    time_rule: TimeRule | None = None,
    now: datetime | None = None,
    check_times: bool = True,
) -> list[ValidationIssue]:
    """All problems of one event (schema + semantics [+ opt-in rule sets]); empty if valid.

    Times are judged by ``time_rule`` (default :class:`~traceability.events.timing.TimeRule`):
    the floor always, the clock skew when ``now`` is given (``tracectl epcis validate`` passes
    the current time; without it the result does not depend on the clock);
    ``check_times=False`` leaves them to a caller that applies the same rule itself (the
    gateway, which also knows ``sent_at``).
    """
    chosen = _check_rules(rules)
    if not isinstance(event, Mapping):
        return [ValidationIssue(index, "", "schema", "an event must be a JSON object")]
    issues: list[ValidationIssue] = []
    if schema_check:
        issues = _event_schema_issues(event, index)
    issues += semantic_issues(
        event,
        index,
        time_rule=time_rule,
        now=now,
        check_times=check_times,
    )
    if "fsma204" in chosen:
        issues += fsma204_issues(event, index)
    return issues


def _event_schema_issues(event: Mapping[str, Any], index: int) -> list[ValidationIssue]:
    """Fast accept (generated validator); on rejection, jsonschema's precise issue list."""
    etype = event.get("type")
    rejected: str | None = None
    if etype in EVENT_TYPES:
        try:
            fast_validator(etype)(event)
        except FastReject as exc:
            rejected = exc.message
        else:
            return []
    validator = _event_validator(etype if isinstance(etype, str) else None)
    issues = _schema_issues(validator, event, index)
    if rejected is not None and not issues:  # never weaker than the fast validator
        message = rejected.removeprefix("data").lstrip(".")
        issues = [ValidationIssue(index, "", "schema", f"schema violation: {message}")]
    return issues


def validate_document(
    doc: Any,
    *,
    rules: str | tuple[str, ...] = "epcis",
    time_rule: TimeRule | None = None,
    now: datetime | None = None,
) -> list[ValidationIssue]:
    """All problems of an EPCISDocument / EPCISQueryDocument; empty if valid."""
    chosen = _check_rules(rules)
    if not isinstance(doc, Mapping):
        return [ValidationIssue(None, "", "schema", "a document must be a JSON object")]
    events, shell = _split(doc)
    issues = [
        ValidationIssue(None, i.path, i.code, i.message)
        for i in _schema_issues(_document_validator(), shell, None)
    ]
    for index, event in enumerate(events):
        issues += validate_event(event, index=index, rules=chosen, time_rule=time_rule, now=now)
    return issues


def _split(doc: Mapping[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """(events, the document with an empty event list) without copying the events."""
    shell = dict(doc)
    body = doc.get("epcisBody")
    if not isinstance(body, Mapping):
        return [], shell
    body = dict(body)
    shell["epcisBody"] = body
    if isinstance(body.get("eventList"), list):
        events = body["eventList"]
        body["eventList"] = []
        return events, shell
    results = body.get("queryResults")
    if isinstance(results, Mapping) and isinstance(results.get("resultsBody"), Mapping):
        results = body["queryResults"] = dict(results)
        rbody = results["resultsBody"] = dict(results["resultsBody"])
        if isinstance(rbody.get("eventList"), list):
            events = rbody["eventList"]
            rbody["eventList"] = []
            return events, shell
    return [], shell
