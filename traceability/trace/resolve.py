"""From what a person types to the item ids the store knows.

Any form the identifier core understands (GS1 Digital Link, EPC URN, element string, SSCC,
special-equipment code) is checked with :func:`traceability.identifiers.check`; a malformed one
raises :class:`InvalidInputError` naming the field, a well-formed one the store has never seen
raises :class:`NotFoundError` naming what was looked up. A GS1 key does not carry its company
prefix length, so every length (6..12) is tried against ``ledger_item``.

Records of version 2 name an item by its one key (:func:`traceability.events.item_key.item_key`,
the canonical Digital Link), older ones by the string the event carried (usually an EPC URN): an
item's ids are every form of it the store knows, its key first, whichever form was asked.

A lot (GTIN + lot) is its LGTIN class (quantities of the lot) plus every serialised item of that
GTIN commissioned with the lot in its ILMD (``cbvmda:lotNumber``; migration 0007 indexes it).
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from traceability.errors import InvalidInputError, NotFoundError
from traceability.events.item_key import item_key
from traceability.identifiers import (
    check,
    epc_urn_from_elements,
    parse_epc_urn,
    to_digital_link,
)
from traceability.identifiers.errors import IdentifierError

CP_LENGTHS = range(6, 13)
# the expressions migration 0007 indexes (a query must spell them the same way)
ILMD_LOT_PG = "(body->'ilmd'->>'cbvmda:lotNumber')"
ILMD_LOT_SQLITE = "json_extract(body, '$.ilmd.\"cbvmda:lotNumber\"')"
MAX_ID_LENGTH = 400


@dataclass(frozen=True, slots=True)
class Resolved:
    input: str
    kind: str  # item | lot
    ids: list[str]  # the store's item ids (EPC URNs / classes)
    gtin: str | None = None
    lot: str | None = None


def _clean(text: str, field: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(f"{field} is empty", field=field, value=text)
    if len(text) > MAX_ID_LENGTH:
        raise InvalidInputError(
            f"{field} is longer than {MAX_ID_LENGTH} characters", field=field, value=text[:40]
        )
    if "\x00" in text or any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise InvalidInputError(f"{field} holds a NUL or a lone surrogate", field=field)
    return text.strip()


def known(session: Session, ids: list[str]) -> list[str]:
    """Those of ``ids`` some ledger record touches, in the given order."""
    if not ids:
        return []
    q = sa.text("select distinct item from ledger_item where item in :ids").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    found = {str(r) for r in session.connection().execute(q, {"ids": ids}).scalars()}
    return [i for i in ids if i in found]


def _candidates(elements: dict[str, str], *asked: str) -> list[str]:
    """Every form the store may hold an item under: its key, the forms asked, its EPC URN
    with each company prefix length (records of version 1)."""
    out: list[str] = []
    for a in asked:
        for form in (item_key(a), a):
            if form not in out:
                out.append(form)
    for n in CP_LENGTHS:
        try:
            urn = epc_urn_from_elements(elements, n)
        except IdentifierError:
            continue
        if urn not in out:
            out.append(urn)
    return out


def lot_ids(session: Session, *, gtin: str, lot: str) -> list[str]:
    """The LGTIN classes and serialised items of a lot the store knows."""
    gtin = _clean(gtin, "gtin")
    lot = _clean(lot, "lot")
    chk = check(f"(01){gtin}(10){lot}")
    if not chk.valid:
        field = "gtin" if any((e.field or "").startswith("01") for e in chk.errors) else "lot"
        msg = chk.errors[0].message if chk.errors else "not a GTIN + lot"
        raise InvalidInputError(
            f"{field}: {msg}", field=field, value=gtin if field == "gtin" else lot
        )
    gtin14 = chk.normalized["gtin"]
    classes = known(
        session,
        _candidates({"01": gtin14, "10": lot}, to_digital_link({"01": gtin14, "10": lot})),
    )
    items = _serials_of_lot(session, gtin14, lot)
    return classes + [i for i in items if i not in classes]


def _serials_of_lot(session: Session, gtin14: str, lot: str) -> list[str]:
    conn = session.connection()
    expr = ILMD_LOT_PG if conn.dialect.name == "postgresql" else ILMD_LOT_SQLITE
    rows = conn.execute(sa.text(f"select body from event where {expr} = :lot"), {"lot": lot})
    # an SGTIN of this GTIN, whatever its company prefix length (no parse per item)
    prefixes = tuple(
        f"urn:epc:id:sgtin:{gtin14[1 : 1 + n]}.{gtin14[0]}{gtin14[1 + n : 13]}." for n in CP_LENGTHS
    )
    keyed = f"https://id.gs1.org/01/{gtin14}/21/"
    out: set[str] = set()
    for (b,) in rows:
        ev = b if isinstance(b, dict) else json.loads(b)
        for epc in [*(ev.get("epcList") or []), *(ev.get("outputEPCList") or [])]:
            if not isinstance(epc, str):
                continue
            key = item_key(epc)
            if key.startswith(keyed):
                out.add(key)  # records of version 2
            if epc.startswith(prefixes):
                out.add(epc)  # records of version 1
    return known(session, sorted(out))


def resolve(session: Session, *, text: str, field: str = "id") -> Resolved:
    """The store ids of an item, container, lot or equipment unit given in any form."""
    text = _clean(text, field)
    chk = check(text)
    if not chk.valid and not chk.warn_only:
        msg = chk.errors[0].message if chk.errors else "not an identifier"
        raise InvalidInputError(f"{field}: {msg}", field=field, value=text)
    norm = chk.normalized
    if "gtin" in norm and "lot" in norm and "serial" not in norm:
        ids = lot_ids(session, gtin=norm["gtin"], lot=norm["lot"])
        if not ids:
            raise NotFoundError(
                f"no events for lot {norm['lot']} of GTIN {norm['gtin']}", field=field, value=text
            )
        return Resolved(text, "lot", ids, norm["gtin"], norm["lot"])
    if chk.kind == "cn_equipment_code":
        ids = _equipment(session, norm.get("cn_equipment_code", text))
    else:
        urn = norm.get("epc_urn")
        if urn is None:
            raise InvalidInputError(
                f"{field}: a {chk.kind} names no item (give an item, container or lot)",
                field=field,
                value=text,
            )
        cands = [item_key(text), item_key(urn), urn, text]
        with contextlib.suppress(IdentifierError):
            cands += _candidates(dict(parse_epc_urn(urn).elements))
        ids = known(session, list(dict.fromkeys(cands)))
    if not ids:
        raise NotFoundError(f"no events for {text}", field=field, value=text)
    return Resolved(text, "item", ids)


def _equipment(session: Session, code: str) -> list[str]:
    q = sa.text(
        "select distinct item from ledger_item where (item >= 'urn:epc:id:giai:' "
        "and item < 'urn:epc:id:giai;' and item like :tail) or (item >= :dl and item < :dl_end "
        "and item like :dl_tail)"
    )
    dl = "https://id.gs1.org/8004/"
    args = {"tail": f"%.{code}", "dl": dl, "dl_end": dl[:-1] + "0", "dl_tail": f"{dl}%{code}"}
    rows = session.connection().execute(q, args).scalars()
    return sorted(str(r) for r in rows)
