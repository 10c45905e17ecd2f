"""GS1 keys: mod-10 check digit, GTIN-8/12/13/14, GLN, SSCC and friends."""

from __future__ import annotations

from traceability.identifiers import errors as ec
from traceability.identifiers.errors import IdentifierError

GTIN_LENGTHS = (8, 12, 13, 14)


def gtin_check_digit(body: str) -> str:
    """GS1 mod-10 check digit of ``body`` (all digits but the check digit).

    Weights 3, 1, 3, ... from the right-most body digit (GS1 General Specifications 7.9.1).
    """
    if not body.isascii() or not body.isdigit():
        raise IdentifierError(
            f"check digit body must be digits, got {body!r}", code=ec.CHARSET, value=body
        )
    total = 0
    for i, ch in enumerate(reversed(body)):
        total += (ord(ch) - 48) * (3 if i % 2 == 0 else 1)
    return str((10 - total % 10) % 10)


def _digits(value: str, field: str, lengths: tuple[int, ...], label: str) -> None:
    if not value:
        raise IdentifierError(f"{label} is empty", code=ec.EMPTY, field=field)
    if not value.isascii() or not value.isdigit():
        bad = next(c for c in value if not ("0" <= c <= "9"))
        raise IdentifierError(
            f"{label} must contain only digits, found {bad!r}",
            code=ec.CHARSET,
            field=field,
            value=value,
        )
    if len(value) not in lengths:
        want = " or ".join(str(n) for n in lengths)
        raise IdentifierError(
            f"{label} must have {want} digits, got {len(value)}",
            code=ec.LENGTH,
            field=field,
            value=value,
        )


def verify_check_digit(value: str, field: str, label: str) -> None:
    """Raise ``check_digit`` if the last digit of ``value`` is not its mod-10 check digit."""
    expected = gtin_check_digit(value[:-1])
    if value[-1] != expected:
        raise IdentifierError(
            f"{label} check digit should be {expected}, got {value[-1]}",
            code=ec.CHECK_DIGIT,
            field=field,
            value=value,
        )


def validate_gtin(value: str, *, field: str = "gtin") -> str:
    """Validate a GTIN-8/12/13/14 and return it as GTIN-14 (zero-padded)."""
    _digits(value, field, GTIN_LENGTHS, "GTIN")
    verify_check_digit(value, field, "GTIN")
    return value.zfill(14)


def validate_gln(value: str, *, field: str = "gln") -> str:
    """Validate a 13-digit GLN and return it."""
    _digits(value, field, (13,), "GLN")
    verify_check_digit(value, field, "GLN")
    return value


def validate_sscc(value: str, *, field: str = "sscc") -> str:
    """Validate an 18-digit SSCC and return it."""
    _digits(value, field, (18,), "SSCC")
    verify_check_digit(value, field, "SSCC")
    return value


def gtin_kind(value: str) -> str:
    """``GTIN-8`` / ``GTIN-12`` / ``GTIN-13`` / ``GTIN-14`` of a valid GTIN as given."""
    return f"GTIN-{len(value)}"


def company_prefix_length(key13: str) -> int | None:
    """GS1 Company Prefix length for a 13-digit key body (GTIN-13 / GLN / SSCC without extension).

    Uses biip's bundled GS1 company-prefix table (no network); ``None`` if unknown.
    """
    try:
        from biip.gs1_prefixes import GS1CompanyPrefix

        found = GS1CompanyPrefix.extract(key13)
    except Exception:
        return None
    if found is None:
        return None
    n = len(found.value)
    return n if 6 <= n <= 12 else None


DEFAULT_COMPANY_PREFIX_LENGTH = 7
"""Heuristic fallback when the prefix table does not know the prefix: 7 digits, the most common
allocation (GS1 US ``0614141``, GS1 China ``690xxxx``/``692xxxx`` members)."""


def resolve_company_prefix_length(key13: str, given: int | None) -> int:
    """``given`` if set (checked to be 6..12), else table lookup, else the 7-digit heuristic."""
    if given is not None:
        if not 6 <= given <= 12:
            raise IdentifierError(
                f"GS1 Company Prefix length must be 6..12, got {given}",
                code=ec.COMPANY_PREFIX,
                field="company_prefix_length",
                value=given,
            )
        return given
    found = company_prefix_length(key13)
    return found if found is not None else DEFAULT_COMPANY_PREFIX_LENGTH


def validate_company_prefix(value: str, *, field: str = "gs1_company_prefix") -> str:
    """A GS1 Company Prefix as registered to a party: 6-12 ASCII digits."""
    _digits(value, field, tuple(range(6, 13)), "GS1 Company Prefix")
    return value


def prefix_length_for(key13: str, registered: str | None = None) -> int:
    """The one source of company-prefix lengths (docs/validation.md, "Company prefixes").

    ``registered``: the GS1 Company Prefix registered to the party that owns the key
    (``party.gs1_company_prefix``, the documented override); used when ``key13`` (a GTIN
    without its indicator digit, a GLN, an SSCC body) starts with it. Otherwise the prefix
    table, else the 7-digit heuristic (:func:`resolve_company_prefix_length`).
    """
    if registered and 6 <= len(registered) <= 12 and key13.startswith(registered):
        return len(registered)
    return resolve_company_prefix_length(key13, None)
