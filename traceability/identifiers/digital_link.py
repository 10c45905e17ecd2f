"""GS1 Digital Link URIs (GS1 Digital Link standard 1.x, URI syntax)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from traceability.identifiers import errors as ec
from traceability.identifiers.ai import check_associations, lookup_ai, validate_ai_value
from traceability.identifiers.element_string import ElementString
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import validate_gtin

CANONICAL_DOMAIN = "https://id.gs1.org"

# Primary key -> allowed key-qualifier sequences (each a fixed order; any subsequence allowed).
QUALIFIERS: dict[str, tuple[tuple[str, ...], ...]] = {
    "01": (("22", "10", "21"), ("235",)),
    "8006": (("22", "10", "21"),),
    "8010": (("8011",),),
    "414": (("254",), ("7040",)),
    "417": (("7040",),),
    "8018": (("8019",),),
    "00": (),
    "253": (),
    "255": (),
    "401": (),
    "402": (),
    "8003": (),
    "8004": (),
    "8013": (),
    "8017": (("8019",),),
}
PRIMARY_KEYS = tuple(QUALIFIERS)
ALL_QUALIFIERS = frozenset(q for seqs in QUALIFIERS.values() for seq in seqs for q in seq)

# Convenience alphas (GS1 Digital Link 1.1, table 3), accepted on input, never emitted.
ALPHAS: dict[str, str] = {
    "gtin": "01", "itip": "8006", "cpv": "22", "lot": "10", "ser": "21", "sscc": "00",
    "gln": "414", "glnx": "254", "gsrn": "8018", "srin": "8019", "gdti": "253", "gcn": "255",
    "gsin": "402", "ginc": "401", "grai": "8003", "giai": "8004", "cpid": "8010",
    "cpsn": "8011", "gmn": "8013", "pgln": "417", "exp": "17", "expdt": "17",
}  # fmt: skip
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class DigitalLink:
    """A parsed Digital Link: primary key, qualifiers (path order), data attributes (query)."""

    primary: tuple[str, str]
    qualifiers: tuple[tuple[str, str], ...]
    attributes: tuple[tuple[str, str], ...]
    domain: str
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def elements(self) -> tuple[tuple[str, str], ...]:
        return (self.primary, *self.qualifiers, *self.attributes)

    @property
    def primary_and_qualifiers(self) -> tuple[tuple[str, str], ...]:
        return (self.primary, *self.qualifiers)

    @property
    def element_string(self) -> ElementString:
        return ElementString(elements=self.elements)

    @property
    def canonical(self) -> str:
        return build_digital_link(self.primary, self.qualifiers, self.attributes)


def _enc(value: str) -> str:
    return quote(value, safe="")


def build_digital_link(
    primary: tuple[str, str],
    qualifiers: tuple[tuple[str, str], ...] | list[tuple[str, str]],
    attributes: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    *,
    domain: str = CANONICAL_DOMAIN,
) -> str:
    path = "".join(f"/{ai}/{_enc(v)}" for ai, v in (primary, *qualifiers))
    attrs = sorted(attributes, key=lambda kv: kv[0])
    query = "&".join(f"{ai}={_enc(v)}" for ai, v in attrs)
    return f"{domain.rstrip('/')}{path}" + (f"?{query}" if query else "")


def _ai_of(segment: str) -> str:
    return ALPHAS.get(segment, segment)


def _decode(raw: str, field_name: str) -> str:
    if _BAD_ESCAPE.search(raw):
        raise IdentifierError(
            f"malformed percent-encoding in {raw!r} (expected %XX with two hex digits)",
            code=ec.BAD_PERCENT_ENCODING,
            field=field_name,
            value=raw,
        )
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise IdentifierError(
            f"percent-encoding in {raw!r} is not UTF-8",
            code=ec.BAD_PERCENT_ENCODING,
            field=field_name,
            value=raw,
        ) from exc


def _check_qualifiers(primary: str, quals: list[str]) -> None:
    seqs = QUALIFIERS[primary]
    if not quals:
        return
    for q in quals:
        if not any(q in seq for seq in seqs):
            allowed = " or ".join(", ".join(s) for s in seqs) or "none"
            code = (
                ec.AI_MISPLACED
                if q not in ALL_QUALIFIERS and lookup_ai(q)
                else ec.INVALID_QUALIFIER
            )
            raise IdentifierError(
                f"AI ({q}) is not a key qualifier of ({primary}); allowed after ({primary}): "
                f"{allowed}"
                + ("; data attributes go in the query string" if code == ec.AI_MISPLACED else ""),
                code=code,
                field=q,
                value=q,
            )
    for seq in seqs:
        if all(q in seq for q in quals):
            positions = [seq.index(q) for q in quals]
            if positions != sorted(set(positions)):
                raise IdentifierError(
                    f"qualifiers after ({primary}) must be in the order {' -> '.join(seq)}, "
                    f"got {' -> '.join(quals)}",
                    code=ec.QUALIFIER_ORDER,
                    field=quals[0],
                    value="/".join(quals),
                )
            return
    raise IdentifierError(
        f"qualifiers {', '.join(quals)} cannot be combined after ({primary})",
        code=ec.INVALID_QUALIFIER,
        field=quals[0],
        value="/".join(quals),
    )


def _normalise_value(ai: str, value: str) -> str:
    if ai == "01":
        return validate_gtin(value, field="01")
    validate_ai_value(ai, value)
    return value


def parse_digital_link(uri: str) -> DigitalLink:
    """Parse and validate a GS1 Digital Link URI on any domain and path prefix.

    Validates every AI value (GTIN check digits included, which biip skips), the qualifier order,
    and query-string attributes; non-AI query parameters (``linkType`` ...) land in ``extras``.
    """
    text = uri.strip()
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise IdentifierError(
            f"Digital Link must be an http(s) URI with a host, got {text[:60]!r}",
            code=ec.INVALID_URI,
            field="uri",
            value=text,
        )
    segs = [s for s in parts.path.split("/") if s]
    start = next(
        (i for i, s in enumerate(segs) if _ai_of(s) in QUALIFIERS and (len(segs) - i) % 2 == 0),
        None,
    )
    if start is None:
        raise IdentifierError(
            "no GS1 primary key (01, 00, 414, 8006, ...) followed by a value found in the path",
            code=ec.INVALID_URI,
            field="path",
            value=parts.path,
        )
    pairs: list[tuple[str, str]] = []
    for i in range(start, len(segs), 2):
        ai = _ai_of(segs[i])
        if lookup_ai(ai) is None:
            raise IdentifierError(
                f"unknown GS1 Application Identifier ({segs[i]}) in the path",
                code=ec.UNKNOWN_AI,
                field=segs[i],
                value=segs[i],
            )
        pairs.append((ai, _decode(segs[i + 1], ai)))
    primary_ai = pairs[0][0]
    _check_qualifiers(primary_ai, [ai for ai, _ in pairs[1:]])
    attributes: list[tuple[str, str]] = []
    extras: dict[str, str] = {}
    seen = {ai for ai, _ in pairs}
    for item in parts.query.split("&") if parts.query else []:
        key_raw, _, raw_value = item.partition("=")
        key = _ai_of(key_raw)
        if not key.isdigit():
            extras[_decode(key_raw, "query")] = _decode(raw_value, key_raw)
            continue
        if lookup_ai(key) is None:
            raise IdentifierError(
                f"unknown GS1 Application Identifier ({key}) in the query string",
                code=ec.UNKNOWN_AI,
                field=key,
                value=key,
            )
        # A qualifier that could extend this path belongs in the path (URI syntax 4.9/4.10);
        # other keys may be data attributes (e.g. /00/{sscc}?02={gtin}&37=25&10={lot}).
        path_quals = [ai for ai, _ in pairs[1:]]
        if any(key in seq and all(q in seq for q in path_quals) for seq in QUALIFIERS[primary_ai]):
            raise IdentifierError(
                f"AI ({key}) is a key qualifier of ({primary_ai}): it belongs in the path, "
                "not the query string",
                code=ec.AI_MISPLACED,
                field=key,
                value=key,
            )
        if key in seen:
            raise IdentifierError(
                f"AI ({key}) appears twice", code=ec.DUPLICATE_AI, field=key, value=key
            )
        seen.add(key)
        attributes.append((key, _decode(raw_value, key)))
    check_associations([ai for ai, _ in pairs] + [ai for ai, _ in attributes])
    norm = [(ai, _normalise_value(ai, v)) for ai, v in pairs]
    attrs = [(ai, _normalise_value(ai, v)) for ai, v in attributes]
    domain = f"{parts.scheme}://{parts.netloc}"
    prefix = "/".join(segs[:start])
    if prefix:
        domain += "/" + prefix
    return DigitalLink(
        primary=norm[0],
        qualifiers=tuple(norm[1:]),
        attributes=tuple(attrs),
        domain=domain,
        extras=extras,
    )


def to_digital_link(
    elements: ElementString | dict[str, str] | list[tuple[str, str]] | tuple[tuple[str, str], ...],
    *,
    domain: str = CANONICAL_DOMAIN,
) -> str:
    """Digital Link for a set of AIs: primary key + qualifiers in the path, the rest as query.

    ``domain`` may include a path prefix (``https://example.com/dl``). GTINs are padded to 14.
    """
    if isinstance(elements, ElementString):
        items = list(elements.elements)
    elif isinstance(elements, dict):
        items = list(elements.items())
    else:
        items = list(elements)
    data = {ai: _normalise_value(ai, v) for ai, v in items}
    primary_ai = next((k for k in PRIMARY_KEYS if k in data), None)
    if primary_ai is None:
        raise IdentifierError(
            "no GS1 primary key (01, 00, 414, 8006, ...) among the AIs "
            f"{', '.join(data)}: cannot build a Digital Link",
            code=ec.INVALID_VALUE,
            field="primary_key",
        )
    qualifiers: list[tuple[str, str]] = []
    for seq in QUALIFIERS[primary_ai]:
        if any(q in data for q in seq):
            qualifiers = [(q, data[q]) for q in seq if q in data]
            break
    used = {primary_ai, *(q for q, _ in qualifiers)}
    attributes = [(k, v) for k, v in data.items() if k not in used]
    for k, _ in attributes:
        # a qualifier of a key present here would be ambiguous; other AIs (other keys, or
        # qualifiers of keys that are absent) are data attributes, e.g. (00)(02)(37)(10)
        if any(k in seq for p in data if p in QUALIFIERS for seq in QUALIFIERS[p]):
            raise IdentifierError(
                f"AI ({k}) cannot be expressed with primary key ({primary_ai})",
                code=ec.INVALID_QUALIFIER,
                field=k,
                value=k,
            )
    return build_digital_link((primary_ai, data[primary_ai]), qualifiers, attributes, domain=domain)
