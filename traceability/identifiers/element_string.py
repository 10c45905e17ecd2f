"""GS1 element strings: ``]d2``/``]Q3``/``]C1`` symbology ids, GS separators, ``(01)...`` form."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from traceability.identifiers import errors as ec
from traceability.identifiers.ai import (
    GS,
    ai_at,
    check_associations,
    lookup_ai,
    validate_ai_value,
)
from traceability.identifiers.errors import IdentifierError

# Symbology identifiers that carry GS1 data (ISO/IEC 15424; GenSpecs 5.1.2 / 5.4.4).
GS1_SYMBOLOGIES: dict[str, str] = {
    "]C1": "GS1-128",
    "]d2": "GS1 DataMatrix",
    "]Q3": "GS1 QR Code",
    "]e0": "GS1 DataBar",
    "]J1": "GS1 DotCode",
}
_BRACKET_AI = re.compile(r"\((\d{2,4})\)")


@dataclass(frozen=True)
class ElementString:
    """A parsed GS1 message: AIs in the order found."""

    elements: tuple[tuple[str, str], ...]
    symbology: str | None = None
    extras: dict[str, str] = field(default_factory=dict)

    def get(self, ai: str) -> str | None:
        for k, v in self.elements:
            if k == ai:
                return v
        return None

    def as_dict(self) -> dict[str, str]:
        return dict(self.elements)

    @property
    def bracketed(self) -> str:
        return to_element_string(self.elements)

    @property
    def gs_form(self) -> str:
        return to_element_string(self.elements, bracketed=False)


def to_element_string(
    elements: tuple[tuple[str, str], ...] | list[tuple[str, str]] | dict[str, str],
    *,
    bracketed: bool = True,
    symbology: str | None = None,
) -> str:
    """Render AIs as ``(01)...(21)...`` or as an unbracketed string with GS after variable AIs.

    In the unbracketed form predefined-length AIs are written first-come, a GS follows every
    variable-length AI except the last (GenSpecs 7.8.5), and ``symbology`` (e.g. ``]d2``) is
    prefixed when given.
    """
    from traceability.identifiers.ai import require_ai

    items = list(elements.items()) if isinstance(elements, dict) else list(elements)
    if bracketed:
        return "".join(f"({ai}){value}" for ai, value in items)
    out: list[str] = [symbology or ""]
    for i, (ai, value) in enumerate(items):
        out.append(ai + value)
        if not require_ai(ai).predefined_length and i < len(items) - 1:
            out.append(GS)
    return "".join(out)


def _strip_symbology(data: str) -> tuple[str, str | None]:
    if data.startswith("]"):
        sym = data[:3]
        if sym not in GS1_SYMBOLOGIES:
            raise IdentifierError(
                f"symbology identifier {sym!r} is not a GS1 one (expected one of "
                f"{', '.join(GS1_SYMBOLOGIES)})",
                code=ec.UNSUPPORTED_SYMBOLOGY,
                field="symbology",
                value=sym,
            )
        return data[3:], sym
    return data, None


def _parse_bracketed(data: str) -> list[tuple[str, str]]:
    """``(AI)value(AI)value``: every ``(nn)``..``(nnnn)`` is taken as an AI marker."""
    matches = list(_BRACKET_AI.finditer(data))
    if not matches or matches[0].start() != 0:
        raise IdentifierError(
            "bracketed element string must start with '(AI)'",
            code=ec.INVALID_VALUE,
            field="element_string",
            value=data,
        )
    out: list[tuple[str, str]] = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(data)
        ai = m.group(1)
        if lookup_ai(ai) is None:
            raise IdentifierError(
                f"unknown GS1 Application Identifier ({ai})",
                code=ec.UNKNOWN_AI,
                field=ai,
                value=ai,
            )
        out.append((ai, data[m.end() : end]))
    return out


def _parse_raw(data: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    n = len(data)
    while pos < n:
        if data[pos] == GS:  # leading / doubled FNC1
            pos += 1
            continue
        spec = ai_at(data, pos)
        if spec is None:
            ai = data[pos : pos + 4]
            raise IdentifierError(
                f"unknown GS1 Application Identifier at position {pos}: {ai!r}...",
                code=ec.UNKNOWN_AI,
                field=ai[:2],
                value=ai,
            )
        start = pos + len(spec.ai)
        if spec.predefined_length:
            end = start + spec.max_len
            if end > n:
                raise IdentifierError(
                    f"AI ({spec.ai}) {spec.title} should have {spec.max_len} characters, "
                    f"got {n - start}",
                    code=ec.LENGTH,
                    field=spec.ai,
                    value=data[start:],
                )
            value = data[start:end]
            pos = end
        else:
            gs = data.find(GS, start)
            end = n if gs < 0 else gs
            value = data[start:end]
            pos = end + 1 if gs >= 0 else n
        out.append((spec.ai, value))
    return out


def parse_element_string(s: str) -> ElementString:
    """Parse and validate a GS1 element string.

    Accepts an optional symbology identifier (``]d2``, ``]Q3``, ``]C1``, ``]e0``, ``]J1``), GS
    (0x1D) separators (a literal ``<GS>`` or ``\\x1d`` text is accepted too), and the
    human-readable bracketed form ``(01)09506000134352(10)ABC``.
    """
    data = s.strip()
    if not data:
        raise IdentifierError("element string is empty", code=ec.EMPTY, field="element_string")
    data = data.replace("<GS>", GS).replace("\\x1d", GS).replace("\\x1D", GS)
    data, symbology = _strip_symbology(data)
    pairs = _parse_bracketed(data) if data.startswith("(") else _parse_raw(data)
    if not pairs:
        raise IdentifierError("element string has no data", code=ec.EMPTY, field="element_string")
    seen: dict[str, str] = {}
    for ai, value in pairs:
        validate_ai_value(ai, value)
        if ai in seen and seen[ai] != value:
            raise IdentifierError(
                f"AI ({ai}) appears twice with different values ({seen[ai]!r}, {value!r})",
                code=ec.DUPLICATE_AI,
                field=ai,
                value=value,
            )
        seen[ai] = value
    unique: list[tuple[str, str]] = []
    for pair in pairs:
        if pair not in unique:
            unique.append(pair)
    check_associations([ai for ai, _ in unique])
    return ElementString(elements=tuple(unique), symbology=symbology)
