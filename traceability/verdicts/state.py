"""Verdict state per item and per lot, and what one event says about an item.

An item (``<gtin14>/<serial>``) is commissioned or not, has a commissioned lot, may be inactive
(dispensed, destroyed, decommissioned), and was last seen at a place and time; each event is
applied to it once (by event hash). See :mod:`gateway.verdicts`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, unquote

from traceability.verdicts.items import Item, parse_item

ITEM_FIELDS = ("epcList", "childEPCs", "outputEPCList")
INACTIVE_STEPS = frozenset({"dispensing", "destroying", "decommissioning"})
INACTIVE_DISPS = frozenset({"dispensed", "destroyed", "inactive"})
SGTIN = "urn:epc:id:sgtin:"


@dataclass(slots=True)
class ItemState:
    commissioned: bool = False
    lot: str | None = None
    inactive: bool = False
    where: str | None = None
    when: datetime | None = None
    applied: set[str] = field(default_factory=set)  # event hashes already taken into account


@dataclass(slots=True)
class LotState:
    recalled: bool
    expires_on: date | None
    loaded: float
    used: float = 0.0


def word(value: Any) -> str:
    """The bare CBV word of any of its spellings (URI, CURIE, URN, bare)."""
    if not isinstance(value, str):
        return ""
    for sep in ("BizStep-", "Disp-", ":bizstep:", ":disp:"):
        if sep in value:
            return value.rsplit(sep, 1)[1]
    return value.rsplit("/", 1)[-1]


def event_items(body: dict[str, Any], *, serials: set[str] | None = None) -> list[tuple[str, Item]]:
    """The items an event names; with ``serials``, SGTIN URNs whose serial is not among them are
    skipped unparsed (a cheap pre-check: other spellings are parsed and returned)."""
    out: list[tuple[str, Item]] = []
    for name in ITEM_FIELDS:
        raws = body.get(name)
        if not isinstance(raws, list):
            continue
        for raw in raws:
            if isinstance(raw, str):
                if serials is not None:
                    hint = serial_hint(raw)
                    if hint is not None and hint not in serials:
                        continue
                item = parse_item(raw)
                if item is not None:
                    out.append((raw, item))
    return out


def serial_hint(raw: str) -> str | None:
    """The serial of an SGTIN URN without parsing it (None: parse to know)."""
    if raw.startswith(SGTIN):
        s = raw[len(SGTIN) :].split(".", 2)[-1]
        return unquote(s) if "%" in s else s
    return None


def spellings(item: Item, raws: Iterable[str]) -> set[str]:
    """The strings an event may have named ``item`` by: as scanned, its SGTIN URN for every
    company prefix length, its plain Digital Link."""
    out = set(raws)
    if item.urn:
        out.add(item.urn)
    if len(item.gtin) == 14 and item.gtin.isdigit():
        ind, rest = item.gtin[0], item.gtin[1:13]
        for serial in {item.serial, quote(item.serial, safe="!'()*+,-.:;=_")}:
            for cpl in range(6, 13):
                out.add(f"{SGTIN}{rest[:cpl]}.{ind}{rest[cpl:]}.{serial}")
        out.add(f"https://id.gs1.org/01/{item.gtin}/21/{quote(item.serial, safe='')}")
    return {s for s in out if len(s) <= 200}


def _lot_of(body: dict[str, Any], item: Item) -> str | None:
    ilmd = body.get("ilmd")
    if isinstance(ilmd, dict):
        for k in ("lotNumber", "cbvmda:lotNumber"):
            if isinstance(ilmd.get(k), str):
                return str(ilmd[k])
    return item.lot


def _loc(value: Any) -> str | None:
    return value["id"] if isinstance(value, dict) and isinstance(value.get("id"), str) else None


def apply_event(
    st: ItemState, item: Item, body: dict[str, Any], event_hash: str, when: datetime | None
) -> None:
    """What one event says about one item (once per event)."""
    if event_hash in st.applied:
        return
    st.applied.add(event_hash)
    step, disp = word(body.get("bizStep")), word(body.get("disposition"))
    if step == "commissioning":
        st.commissioned = True
        st.lot = _lot_of(body, item) or st.lot
        st.inactive = False
    if step in INACTIVE_STEPS or disp in INACTIVE_DISPS:
        st.inactive = True
    where = _loc(body.get("readPoint")) or _loc(body.get("bizLocation"))
    if where and when and (st.when is None or when >= st.when):
        st.where, st.when = where, when
