"""The query parameters of ``GET /events``, checked; the opaque, authenticated page token.

Only the parameters below are accepted; any other (even a standard one this subset does not
implement) is a :class:`QueryParameterError` naming it (QueryParameterException, 400). Values:

* ``GE_eventTime`` / ``LT_eventTime``: RFC 3339 with a zone, years 1900..2199.
* ``EQ_bizStep`` / ``EQ_disposition``: ``|``-separated CBV values in any spelling (bare word,
  URN, GS1 URI) or private URIs; an unknown bare word is refused.
* ``MATCH_epc`` / ``MATCH_anyEPC`` / ``MATCH_epcClass`` / ``EQ_readPoint`` / ``EQ_bizLocation``:
  ``|``-separated identifiers, compared by canonical form (the GS1 element string of
  :func:`traceability.identifiers.check`): an EPC URN and its Digital Link name the same item.
  A malformed one (wrong check digit, a pattern ``urn:epc:idpat:``) is refused.
* ``perPage`` 1..1000 (default 100); ``nextPageToken`` as returned in the ``Link`` header.

A page token is ``base64url(JSON {after, q}) "." base64url(HMAC-SHA-256)[:22]`` under a key
derived from the platform seed: ``after`` is the last ledger index of the page (keyset
pagination), ``q`` a digest of the other parameters -- a token altered, forged or used with
other filters is refused.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Final

from traceability.epcis.errors import QueryParameterError
from traceability.events._schema import RFC3339
from traceability.events.vocab import Vocab, bare_word, looks_like_uri
from traceability.identifiers import check, epc_urn_from_elements, parse_epc_urn
from traceability.identifiers.errors import IdentifierError

PARAMETERS: Final = (
    "GE_eventTime",
    "LT_eventTime",
    "EQ_bizStep",
    "EQ_disposition",
    "MATCH_epc",
    "MATCH_anyEPC",
    "MATCH_epcClass",
    "EQ_readPoint",
    "EQ_bizLocation",
    "perPage",
    "nextPageToken",
)
MAX_PER_PAGE: Final = 1000
DEFAULT_PER_PAGE: Final = 100
MAX_VALUES: Final = 50
CP_LENGTHS: Final = range(6, 13)
_VOCAB = {"EQ_bizStep": Vocab.BIZ_STEP, "EQ_disposition": Vocab.DISPOSITION}
_URN = {Vocab.BIZ_STEP: "urn:epcglobal:cbv:bizstep:", Vocab.DISPOSITION: "urn:epcglobal:cbv:disp:"}
_URI = {
    Vocab.BIZ_STEP: "https://ref.gs1.org/cbv/BizStep-",
    Vocab.DISPOSITION: "https://ref.gs1.org/cbv/Disp-",
}


@dataclass(slots=True)
class EventQuery:
    since: datetime | None = None
    until: datetime | None = None
    # column -> accepted stored spellings
    columns: dict[str, list[str]] = field(default_factory=dict)
    # parameter -> (canonical keys, candidate stored strings)
    matches: dict[str, tuple[frozenset[str], list[str]]] = field(default_factory=dict)
    per_page: int = DEFAULT_PER_PAGE
    after: int = -1
    digest: str = ""


@lru_cache(maxsize=65536)
def canonical(value: str) -> str:
    """The canonical key of an identifier: its GS1 element string, else the text itself."""
    try:
        chk = check(value)
    except (IdentifierError, ValueError):
        return value
    return chk.normalized.get("element_string", value) if chk.valid else value


def _identifier(name: str, value: str) -> tuple[str, list[str]]:
    if value.startswith("urn:epc:idpat:"):
        raise QueryParameterError(
            f"{name}: EPC patterns are not supported here", field=name, value=value
        )
    chk = check(value)
    norm = chk.normalized
    if not chk.valid or "element_string" not in norm:
        msg = chk.errors[0].message if chk.errors else "not an identifier"
        raise QueryParameterError(f"{name}: {msg}", field=name, value=value)
    cands = [value, norm.get("epc_urn", value), norm.get("digital_link", value)]
    with contextlib.suppress(IdentifierError, KeyError):
        elements = dict(parse_epc_urn(norm["epc_urn"]).elements)
        for n in CP_LENGTHS:
            with contextlib.suppress(IdentifierError):
                cands.append(epc_urn_from_elements(elements, n))
    return norm["element_string"], list(dict.fromkeys(cands))


def _location(name: str, value: str) -> list[str]:
    """Stored spellings of a location: a GS1 one in every form, another text as given."""
    gs1_like = value.startswith(("urn:epc:", "http://", "https://", "("))
    chk = check(value)
    if not chk.valid:
        if gs1_like:
            msg = chk.errors[0].message if chk.errors else "not an identifier"
            raise QueryParameterError(f"{name}: {msg}", field=name, value=value)
        return [value]
    return _identifier(name, value)[1]


def _vocab(name: str, value: str) -> list[str]:
    vocab = _VOCAB[name]
    word = bare_word(value, vocab)
    if word is not None:
        return [word, _URN[vocab] + word, _URI[vocab] + word, f"cbv:{_URI[vocab][24:]}{word}"]
    if ":" in value and looks_like_uri(value):
        return [value]
    raise QueryParameterError(
        f"{name}: {value!r} is neither a CBV 2.0 value nor a URI", field=name, value=value
    )


def _time(name: str, value: str) -> datetime:
    parsed: datetime | None = None
    if RFC3339.match(value):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value.replace("z", "Z"))
    if parsed is None or parsed.tzinfo is None:
        raise QueryParameterError(
            f"{name}: not an RFC 3339 date-time with a zone", field=name, value=value
        )
    if not 1900 <= parsed.year <= 2199:
        raise QueryParameterError(f"{name}: year out of range", field=name, value=value)
    return parsed


def _values(name: str, raw: str) -> list[str]:
    parts = raw.split("|")
    if len(parts) > MAX_VALUES or any(not p or len(p) > 400 for p in parts):
        raise QueryParameterError(
            f"{name}: 1..{MAX_VALUES} non-empty values of at most 400 characters, '|'-separated",
            field=name,
            value=raw[:80],
        )
    return parts


def parse(items: Sequence[tuple[str, str]], *, secret: bytes) -> EventQuery:
    """The query of ``items`` (the request's query parameters, in order)."""
    seen: dict[str, str] = {}
    for name, value in items:
        if name not in PARAMETERS:
            raise QueryParameterError(
                f"unknown query parameter {name!r} (this server supports {', '.join(PARAMETERS)})",
                field=name,
            )
        if name in seen:
            raise QueryParameterError(f"{name} is given twice", field=name)
        seen[name] = value
    q = EventQuery()
    for name, raw in seen.items():
        if name in ("GE_eventTime", "LT_eventTime"):
            when = _time(name, raw)
            if name == "GE_eventTime":
                q.since = when
            else:
                q.until = when
        elif name in _VOCAB:
            col = "biz_step" if name == "EQ_bizStep" else "disposition"
            q.columns[col] = [c for v in _values(name, raw) for c in _vocab(name, v)]
        elif name in ("EQ_readPoint", "EQ_bizLocation"):
            col = "read_point" if name == "EQ_readPoint" else "biz_location"
            q.columns[col] = [c for v in _values(name, raw) for c in _location(name, v)]
        elif name.startswith("MATCH_"):
            keys: set[str] = set()
            cands: list[str] = []
            for v in _values(name, raw):
                key, more = _identifier(name, v)
                keys.add(key)
                cands.extend(more)
            q.matches[name] = (frozenset(keys), cands)
        elif name == "perPage":
            if not raw.isdigit() or not 1 <= int(raw[:6]) <= MAX_PER_PAGE or len(raw) > 6:
                raise QueryParameterError(
                    f"perPage: an integer 1..{MAX_PER_PAGE}", field=name, value=raw[:20]
                )
            q.per_page = int(raw)
    q.digest = _digest(seen)
    if "nextPageToken" in seen:
        q.after = read_token(seen["nextPageToken"], secret=secret, digest=q.digest)
    return q


def _digest(seen: Mapping[str, str]) -> str:
    kept = sorted((k, v) for k, v in seen.items() if k not in ("perPage", "nextPageToken"))
    return hashlib.sha256(json.dumps(kept).encode()).hexdigest()[:22]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _mac(body: str, secret: bytes) -> str:
    return _b64(hmac.new(secret, body.encode(), hashlib.sha256).digest())[:22]


def make_token(*, after: int, digest: str, secret: bytes) -> str:
    body = _b64(json.dumps({"after": after, "q": digest}, separators=(",", ":")).encode())
    return f"{body}.{_mac(body, secret)}"


def read_token(token: str, *, secret: bytes, digest: str) -> int:
    bad = QueryParameterError(
        "nextPageToken is not a token this server issued for this query",
        field="nextPageToken",
        value=token[:40],
    )
    body, _, mac = token.partition(".")
    if len(token) > 200 or not hmac.compare_digest(mac.encode(), _mac(body, secret).encode()):
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    after = data.get("after") if isinstance(data, dict) else None
    if data.get("q") != digest or not isinstance(after, int) or not 0 <= after < 2**63:
        raise bad
    return after
