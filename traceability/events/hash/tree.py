"""Step 1 of the event hash: read a JSON(-LD) event as the XML binding's element tree.

See :mod:`traceability.events.hashing` for the whole algorithm.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final

from traceability.events.vocab import GS1_VOC, Vocab, expand_bare
from traceability.strict_json import NonFiniteNumberError

Node = list[Any]  # [name: str | None, value: str, children: list[Node]]

_DEFAULT_NS: Final = {
    "cbv": "https://ref.gs1.org/cbv/",
    "gs1": "https://gs1.org/voc/",
    "epcis": "https://ref.gs1.org/epcis/",
    "cbvmda": "urn:epcglobal:cbv:mda",
}
SKIP_KEYS: Final = frozenset(["#text", "rdfs:comment", "comment", "@context"])
IGNORED_TOP: Final = frozenset(["recordTime", "eventID", "type", "errorDeclaration"])
_PAIR_LISTS: Final = frozenset(["bizTransactionList", "sourceList", "destinationList"])
PAIR_VALUES: Final = frozenset(["bizTransaction", "source", "destination"])
_VOCAB_HINTS: Final[dict[tuple[str, str], Vocab]] = {
    ("#event", "bizStep"): Vocab.BIZ_STEP,
    ("#event", "disposition"): Vocab.DISPOSITION,
    ("persistentDisposition", "set"): Vocab.DISPOSITION,
    ("persistentDisposition", "unset"): Vocab.DISPOSITION,
    ("bizTransactionList", "type"): Vocab.BIZ_TRANSACTION_TYPE,
    ("sourceList", "type"): Vocab.SOURCE_DEST_TYPE,
    ("destinationList", "type"): Vocab.SOURCE_DEST_TYPE,
    ("sensorReport", "type"): Vocab.MEASUREMENT_TYPE,
    ("sensorReport", "exception"): Vocab.SENSOR_ALERT,
    ("sensorReport", "component"): Vocab.COMPONENT,
    ("errorDeclaration", "reason"): Vocab.ERROR_REASON,
}


def namespaces(context: Any) -> dict[str, str]:
    """Prefix → namespace URI map from a JSON-LD ``@context`` (string, object or list)."""
    ns = dict(_DEFAULT_NS)
    items = context if isinstance(context, list) else [context]
    for item in items:
        if isinstance(item, Mapping):
            for key, value in item.items():
                if isinstance(value, str) and not key.startswith("@"):
                    ns[key] = value
    return ns


GS1_VOC_REVISED: Final = "https://ref.gs1.org/voc/"


class Ctx:
    """Namespaces, ignored keys and value spelling for one document (and hash profile).

    ``gs1_voc`` is where the GS1 Web Vocabulary (bare sensor types / alert words and the ``gs1:``
    prefix) is expanded: ``https://gs1.org/voc/`` (CBV 2.0 rule 15, the shared vectors) or, for
    the revised upstream profile, ``https://ref.gs1.org/voc/`` (which then also overrides a
    ``gs1`` prefix in the document's context, as the reference code does).
    """

    __slots__ = ("gs1_ns", "gs1_voc", "ignore", "ns")

    def __init__(self, ns: dict[str, str], ignore: Iterable[str], gs1_voc: str = GS1_VOC) -> None:
        if gs1_voc != GS1_VOC:
            ns = {**ns, "gs1": gs1_voc}
        self.ns = ns
        self.gs1_voc = gs1_voc
        self.gs1_ns = {
            p: u for p, u in ns.items() if u.startswith(("https://ref.gs1.org", "https://gs1.org"))
        }
        self.ignore = frozenset(ignore)

    def key(self, key: str) -> str:
        prefix, sep, local = key.partition(":")
        if sep and prefix in self.ns:
            return "{" + self.ns[prefix] + "}" + local
        return key

    def value(self, raw: Any, hint: Vocab | None) -> str:
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if raw is None:
            return ""
        if not isinstance(raw, str):
            return plain(raw)
        prefix, sep, local = raw.partition(":")
        if sep and prefix in self.gs1_ns:
            return self.gs1_ns[prefix] + local
        if hint is not None:
            out = expand_bare(raw, hint)
            if out is not raw and self.gs1_voc != GS1_VOC and out.startswith(GS1_VOC):
                return self.gs1_voc + out[len(GS1_VOC) :]
            return out
        return raw


def plain(raw: Any) -> str:
    """``str`` of a non-string value; a NaN or infinite float has no canonical form (JSON has
    none), so it raises :class:`NonFiniteNumberError` rather than hash as the text ``nan``."""
    if isinstance(raw, float) and not math.isfinite(raw):
        raise NonFiniteNumberError(
            f"{raw} has no JSON form (RFC 8259, RFC 8785), so no event hash", value=str(raw)
        )
    return str(raw)


def _build(obj: Mapping[str, Any], ctx: Ctx, parent: str) -> list[Node]:
    children: list[Node] = []
    for key, val in obj.items():
        if key in SKIP_KEYS or key in ctx.ignore:
            continue
        name = ctx.key(key)
        if isinstance(val, list):
            children.extend(_node(name, item, ctx, key, parent) for item in val)
        else:
            children.append(_node(name, val, ctx, key, parent))
    return children


def _node(name: str, val: Any, ctx: Ctx, key: str, parent: str) -> Node:
    if isinstance(val, Mapping):
        text = val.get("#text", "")
        return [name, text if isinstance(text, str) else plain(text), _build(val, ctx, key)]
    if isinstance(val, list):
        return [name, "", [_node("", item, ctx, key, parent) for item in val]]
    return [name, ctx.value(val, _VOCAB_HINTS.get((parent, key))), []]


def _correct(children: list[Node]) -> list[Node]:
    """Bring the JSON tree into the XML binding's shape (see module docstring, step 1)."""
    out: list[Node] = []
    lists: dict[str, list[Node]] = {}
    child_epcs: list[Node] = []
    for ch in children:
        name = ch[0]
        if name and name.endswith("List"):
            lists.setdefault(name, []).append([name[:-4], ch[1], ch[2]])
        elif name == "childEPCs":
            child_epcs.append(["epc", ch[1], []])
        else:
            out.append(ch)
    for lname, elems in lists.items():
        if lname in _PAIR_LISTS:
            pairs: list[Node] = []
            for e in elems:
                typ = [c for c in e[2] if c[0] == "type"][:1]
                val = [c for c in e[2] if c[0] in PAIR_VALUES][:1]
                pairs.append([None, "", typ + val])
            out.append([lname, "", pairs])
        else:
            out.append([lname, "", elems])
    if child_epcs:
        out.append(["childEPCs", "", child_epcs])
    for ch in out:
        if ch[0] in _PAIR_LISTS:
            continue
        if ch[2]:
            ch[2] = _correct(ch[2])
        name = ch[0]
        if name in ("inputEPC", "outputEPC"):
            ch[0] = "epc"
        elif name in ("inputQuantity", "outputQuantity", "childQuantity") or (
            name == "quantity" and ch[2]
        ):
            ch[0] = "quantityElement"
    return out


def tree(event: Mapping[str, Any], ctx: Ctx) -> list[Node]:
    return _correct(_build(event, ctx, "#event"))


_CTX_CACHE: dict[tuple[Any, ...], Ctx] = {}


def ctx_for(
    event: Mapping[str, Any], context: Any, ignore_fields: Iterable[str], gs1_voc: str = GS1_VOC
) -> Ctx:
    ctx_src = context if context is not None else event.get("@context")
    ignore = tuple(ignore_fields)
    try:
        key: tuple[Any, ...] = (_freeze(ctx_src), ignore, gs1_voc)
    except TypeError:
        return Ctx(namespaces(ctx_src), ignore, gs1_voc)
    found = _CTX_CACHE.get(key)
    if found is None:
        if len(_CTX_CACHE) > 256:
            _CTX_CACHE.clear()
        found = _CTX_CACHE[key] = Ctx(namespaces(ctx_src), ignore, gs1_voc)
    return found


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Mapping):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    hash(value)
    return value
