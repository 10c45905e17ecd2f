"""Result model of :func:`traceability.identifiers.identify.check`."""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal[
    "gtin",
    "gln",
    "sscc",
    "element_string",
    "digital_link",
    "epc_urn",
    "epc_hex",
    "uscc",
    "cn_drug_code",
    "cn_equipment_code",
]
KINDS: tuple[str, ...] = get_args(Kind)


class IdErrorItem(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    field: str | None = None
    severity: Literal["error", "warning"] = "error"


class IdCheck(BaseModel):
    """What a string is and whether it is valid.

    ``kind`` is the best interpretation (the first valid one, else the most likely one);
    ``alternatives`` the other kinds the same string is also validly; ``normalized`` holds the
    canonical values (``gtin`` as 14 digits, ``expiry`` as YYYY-MM-DD, ``digital_link`` on
    ``https://id.gs1.org`` ...); ``parts`` the positional components (USCC, equipment code).
    ``valid`` is False whenever ``errors`` is non-empty, warnings included; ``warn_only`` tells
    callers that every problem is a warning (a registered USCC failing its checksum).
    """

    input: str
    valid: bool
    kind: Kind | None
    alternatives: list[Kind] = Field(default_factory=list)
    normalized: dict[str, str] = Field(default_factory=dict)
    parts: dict[str, str] = Field(default_factory=dict)
    errors: list[IdErrorItem] = Field(default_factory=list)
    checks_performed: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    # a USCC only: the registry's flags (traceability.identifiers.cn.uscc_status)
    uscc_checksum_valid: bool | None = None
    uscc_warning: str | None = None

    @property
    def warn_only(self) -> bool:
        return bool(self.errors) and all(e.severity == "warning" for e in self.errors)

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI JSON document: the contract keys first, then the extras (for a USCC, the
        flags ``POST /parties`` gives: ``uscc_checksum_valid``, ``uscc_warning``)."""
        usc = (
            {"uscc_checksum_valid": self.uscc_checksum_valid, "uscc_warning": self.uscc_warning}
            if self.kind == "uscc"
            else {}
        )
        return {
            **self._contract(),
            **usc,
        }

    def _contract(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "valid": self.valid,
            "kind": self.kind,
            "alternatives": list(self.alternatives),
            "normalized": dict(self.normalized),
            "errors": [e.model_dump(exclude_none=True) for e in self.errors],
            "parts": dict(self.parts),
            "checks_performed": list(self.checks_performed),
            "notes": list(self.notes),
        }
