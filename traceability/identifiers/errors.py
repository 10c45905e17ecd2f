"""Identifier errors and their stable codes.

Every failure raised by :mod:`traceability.identifiers` is an :class:`IdentifierError` (a
:class:`~traceability.errors.InvalidInputError`) whose ``code`` is one of the constants below.
The codes are part of the public contract (``tracectl id check --json`` prints them); do not
rename them.

Codes
-----
``empty``                 the input is empty or only whitespace
``unrecognized``          the string matches no identifier kind we know
``length``                wrong number of characters / digits for the field
``charset``               a character outside the allowed set (digits, GS1 82-char set, ...)
``check_digit``           a GS1 mod-10 check digit is wrong (GTIN, GLN, SSCC, GRAI, GDTI, ...)
``invalid_value``         a value does not match the AI's format (regex of the GS1 AI table)
``invalid_date``          a GS1 date/time field is not a real date (month 13, 31 Feb, hour 25)
``unknown_ai``            a GS1 Application Identifier that does not exist
``duplicate_ai``          the same AI appears twice with different values
``unsupported_symbology`` a symbology identifier that is not a GS1 one (``]d1``, ``]Q1``, ...)
``invalid_uri``           not an http(s) URI, or no GS1 primary key found in the path
``bad_percent_encoding``  a malformed ``%xx`` escape
``qualifier_order``       Digital Link key qualifiers out of order (01 -> 22, 10, 21 ...)
``invalid_qualifier``     an AI used as a path qualifier that the primary key does not allow
``ai_misplaced``          a primary key / qualifier in the query string, or an attribute in the path
``invalid_urn``           malformed EPC URN (unknown scheme, wrong number of fields, ...)
``company_prefix``        GS1 Company Prefix length impossible for this key
``unknown_header``        EPC binary header not known (or not supported)
``invalid_partition``     EPC binary partition value 7, or a field exceeding its digits
``invalid_hex``           the tag data is not hexadecimal of the right size
``not_encodable``         the identifier cannot be put in the requested binary scheme
``uscc_check``            unified social credit code check character wrong (severity warning)
``org_code_check``        the embedded GB 11714 organization code check wrong (severity warning)
``structure``             a positional rule broken (USCC division code, equipment code parts)
``unknown_variety``       special-equipment variety code outside the TSG catalogue top classes
``implausible_year``      special-equipment manufacturing year out of range

``severity`` is ``"error"`` except for ``uscc_check`` and ``org_code_check`` which are
``"warning"``: registered codes that fail those checks exist, so callers may keep the record and
warn. The :class:`~traceability.identifiers.models.IdCheck` result still reports ``valid=False``.
"""

from __future__ import annotations

from typing import Any, Literal

from traceability.errors import InvalidInputError

Severity = Literal["error", "warning"]

EMPTY = "empty"
UNRECOGNIZED = "unrecognized"
LENGTH = "length"
CHARSET = "charset"
CHECK_DIGIT = "check_digit"
INVALID_VALUE = "invalid_value"
INVALID_DATE = "invalid_date"
UNKNOWN_AI = "unknown_ai"
DUPLICATE_AI = "duplicate_ai"
UNSUPPORTED_SYMBOLOGY = "unsupported_symbology"
INVALID_URI = "invalid_uri"
BAD_PERCENT_ENCODING = "bad_percent_encoding"
QUALIFIER_ORDER = "qualifier_order"
INVALID_QUALIFIER = "invalid_qualifier"
AI_MISPLACED = "ai_misplaced"
AI_COMBINATION = "ai_combination"
INVALID_URN = "invalid_urn"
COMPANY_PREFIX = "company_prefix"
UNKNOWN_HEADER = "unknown_header"
INVALID_PARTITION = "invalid_partition"
INVALID_HEX = "invalid_hex"
NOT_ENCODABLE = "not_encodable"
USCC_CHECK = "uscc_check"
ORG_CODE_CHECK = "org_code_check"
STRUCTURE = "structure"
UNKNOWN_VARIETY = "unknown_variety"
IMPLAUSIBLE_YEAR = "implausible_year"

WARNING_CODES = frozenset({USCC_CHECK, ORG_CODE_CHECK})


class IdentifierError(InvalidInputError):
    """An identifier failed parsing or validation.

    ``errors`` holds every problem found (the first one is this error itself), so that a
    validator can report both e.g. ``uscc_check`` and ``org_code_check``.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        field: str | None = None,
        value: Any = None,
        severity: Severity | None = None,
        errors: list[IdentifierError] | None = None,
    ) -> None:
        super().__init__(message, code=code, field=field, value=value)
        self.severity: Severity = severity or ("warning" if code in WARNING_CODES else "error")
        self.errors: list[IdentifierError] = errors if errors else [self]

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out.pop("value", None)
        out["severity"] = self.severity
        return out

    @classmethod
    def collect(cls, errors: list[IdentifierError]) -> IdentifierError:
        """One error carrying several: the first is the headline."""
        first = errors[0]
        return cls(
            first.message,
            code=first.code,
            field=first.field,
            value=first.value,
            severity=first.severity,
            errors=list(errors),
        )
