"""The generic tree walk of the event hash: a node tree serialised in property order.

See :mod:`traceability.events.hashing` for the whole algorithm (steps 2-3 of its docstring);
the property order and the profiles are in :mod:`traceability.events.hash.profiles`.
"""

from __future__ import annotations

from typing import Any

from traceability.events.hash.canon import canonical_value, normalise_timestamp
from traceability.events.hash.profiles import PAIRS, Profile
from traceability.events.hash.tree import PAIR_VALUES, Node


def _child_string(child: Node, sub: Any, prof: Profile) -> str:
    grand = in_order(child[2], sub, prof, _inlines(child[0], prof)) if sub else ""
    text = ""
    if child[1]:
        value = child[1].strip()
        lname = child[0].lower()
        if "time" in lname and "offset" not in lname:
            value = normalise_timestamp(value)
        else:
            value = canonical_value(value)
        if value:
            text = "=" + value
    if text or grand:
        name = str(child[0])
        if name == "sensorElementList" and not prof.wrapper:
            name = ""
        return name + text + grand
    return ""


def _inlines(name: Any, prof: Profile) -> bool:
    """Whether the user extensions inside container ``name`` follow its standard fields."""
    if prof.trailing is None:
        return False
    return name not in prof.trailing


def _is_ext(name: Any) -> bool:
    return isinstance(name, str) and "{" in name and "/}" in name


def in_order(children: list[Node], order: Any, prof: Profile, inline: bool = False) -> str:
    """Serialise (and consume) the children named in ``order``; leaves the rest in place.

    With ``inline`` the user extensions among ``children`` are consumed too and follow the
    standard children (CBV 2.0 rule 21 as the shared vectors apply it); otherwise they stay in
    the tree for the trailing block (:func:`field_extensions`).
    """
    ext: list[Node] = []
    if inline and len(children) > 1:
        ext = [c for c in children if _is_ext(c[0])]
        if ext:
            children[:] = [c for c in children if not _is_ext(c[0])]
    parts: list[str] = []
    for name, sub in order:
        same = [c for c in children if c[0] == name]
        if not same:
            continue
        values = []
        if sub is PAIRS:  # (type, value) pairs: sorted generically, consumed whole
            values = [str(c[0]) + generic(c[2]) for c in same if c[2]]
            for c in same:
                c[2] = []
        else:
            for child in same:
                s = _child_string(child, sub, prof)
                if s:
                    values.append(s)
        done = {id(c) for c in same if not c[2]}
        if done:
            children[:] = [c for c in children if id(c) not in done]
        values.sort()
        parts.extend(values)
    if ext:
        parts.append(generic(ext))
    return "".join(parts)


def field_extensions(children: list[Node], order: Any, prof: Profile, direct: bool) -> str:
    """The trailing block of user extensions left inside standard fields (CBV 2.0 rule 20).

    Each is written behind the path of standard field names that encloses it, fields in
    property order, then (``direct``) this level's own extensions, sorted. Consumes them.
    """
    parts: list[str] = []
    for name, sub in order:
        if not sub or sub is PAIRS:
            continue
        emptied = False
        for child in [c for c in children if c[0] == name]:
            inner = field_extensions(child[2], sub, prof, True)
            if inner:
                shown = "" if name == "sensorElementList" and not prof.wrapper else name
                parts.append(shown + inner)
                emptied = emptied or not child[2]
        if emptied:
            children[:] = [c for c in children if c[0] != name or c[2]]
    if direct:
        own = [c for c in children if _is_ext(c[0])]
        if own:
            parts.append(generic(own))
            children[:] = [c for c in children if not _is_ext(c[0])]
    return "".join(parts)


def generic(children: list[Node]) -> str:
    values = []
    for child in children:
        if child[0] is None:  # a (type, value) pair: kept in that order
            values.append(generic(child[2]))
            continue
        text = child[1].strip()
        if text:
            text = "=" + canonical_value(text)
        values.append(child[0] + text + generic(child[2]))
    if len(children) > 1 and not any(c[0] in PAIR_VALUES for c in children):
        values.sort()
    return "".join(values)
