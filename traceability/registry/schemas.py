"""Request/response models of the registry (tables: :mod:`traceability.registry.models`).

The USCC rule (one for the API, the registry and ``tracectl id check``): the code is checked by
the identifier core (:func:`traceability.identifiers.cn.validate_uscc`). A code of the wrong
shape (length, characters, administrative division) is refused. A code whose check character
(GB 32100) or embedded organisation-code check (GB 11714) fails is *invalid as a code* --
``id check`` says ``valid: false`` with those findings at severity ``warning`` -- but such codes
are registered in the real world (DESIGN §7: warn, don't drop), so a party is registered with
it and flagged wherever it is shown: ``uscc_checksum_valid: false`` and ``uscc_warning``
(the same message ``id check`` gives). Both come from one function,
:func:`traceability.identifiers.cn.uscc_status`, which ``id check`` prints too.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    computed_field,
    field_validator,
    model_validator,
)

from traceability.identifiers.cn import uscc_status, validate_uscc
from traceability.identifiers.errors import IdentifierError
from traceability.identifiers.gs1 import gtin_check_digit, validate_company_prefix
from traceability.identifiers.places import parse_place
from traceability.registry.ids import ID_PATTERN
from traceability.registry.models import CreditStatus, DeviceStatus, ProductCategory

_ID = ID_PATTERN


def uscc_findings(code: str) -> list[IdentifierError]:
    """What the identifier core finds wrong with a USCC (empty when it is valid)."""
    try:
        validate_uscc(code)
    except IdentifierError as err:
        return list(err.errors)
    return []


def uscc_problem(code: str | None) -> str | None:
    """Why a registered USCC fails its checks, as ``id check`` words it (None when it passes
    or is absent): :func:`traceability.identifiers.cn.uscc_status`."""
    return uscc_status(code).warning


def _gs1_ok(key: str) -> bool:
    return gtin_check_digit(key[:-1]) == key[-1]


def _gs1_key(value: str | None, length: int, label: str) -> str | None:
    if value is None:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) != length:
        raise ValueError(f"{label} must be {length} digits")
    if not _gs1_ok(value):
        raise ValueError(f"{label} check digit is wrong")
    return value


class PartyCreate(BaseModel):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    uscc: str | None = Field(default=None, description="unified social credit code (GB 32100)")
    gln: str | None = None
    gs1_company_prefix: str | None = Field(
        default=None,
        description="the GS1 Company Prefix registered to the party (6-12 digits); EPC URNs "
        "of its products split their keys at its length instead of the prefix table's",
    )
    roles: list[str] = Field(default_factory=list)
    credit_status: CreditStatus = CreditStatus.good

    @field_validator("gs1_company_prefix")
    @classmethod
    def _prefix(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            return validate_company_prefix(v)
        except IdentifierError as err:
            raise ValueError(err.message) from None

    @field_validator("uscc")
    @classmethod
    def _uscc_shape(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper()
        hard = [e for e in uscc_findings(v) if e.severity == "error"]
        if hard:
            raise ValueError(hard[0].message)
        return v  # a failing check character is kept and flagged, not refused

    @field_validator("gln")
    @classmethod
    def _gln(cls, v: str | None) -> str | None:
        return _gs1_key(v, 13, "GLN")


class PartyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    uscc: str | None
    gln: str | None
    gs1_company_prefix: str | None = None
    roles: list[str]
    credit_status: CreditStatus
    created_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def uscc_checksum_valid(self) -> bool | None:
        """False when the registered code fails its check characters (kept, but flagged);
        None without a code."""
        return uscc_status(self.uscc).checksum_valid

    @computed_field  # type: ignore[prop-decorator]
    @property
    def uscc_warning(self) -> str | None:
        """Why the registered code fails its checks (``id check``'s message), else None."""
        return uscc_problem(self.uscc)


class LocationCreate(BaseModel):
    id: str = Field(pattern=_ID)
    name: str = Field(min_length=1, max_length=200)
    party_id: str
    gln: str | None = None
    sgln: str | None = Field(default=None, pattern=r"^urn:epc:id:sgln:\d+\.\d*\.[^\s]+$")
    address: str = ""
    city: str = ""
    region: str = ""
    country: str = Field(default="CN", min_length=2, max_length=2)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @field_validator("gln")
    @classmethod
    def _gln(cls, v: str | None) -> str | None:
        return _gs1_key(v, 13, "GLN")

    @field_validator("sgln")
    @classmethod
    def _sgln(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            parse_place(v)  # the identifier core: prefix/reference digits, extension charset
        except IdentifierError as exc:
            raise ValueError(f"SGLN: {exc.message}") from None
        return v

    @model_validator(mode="after")
    def _same_gln(self) -> LocationCreate:
        if self.gln is not None and self.sgln is not None:
            in_sgln = parse_place(self.sgln).gln
            if in_sgln != self.gln:
                raise ValueError(f"SGLN {self.sgln} names GLN {in_sgln}, not the gln {self.gln}")
        return self


class LocationPublic(LocationCreate):
    model_config = ConfigDict(from_attributes=True)


class DeviceCreate(BaseModel):
    id: str = Field(pattern=_ID)
    location_id: str
    party_id: str
    kind: str = Field(default="reader", max_length=32)


class DevicePublic(DeviceCreate):
    model_config = ConfigDict(from_attributes=True)
    status: DeviceStatus
    created_at: datetime | None = None


class DeviceKeyCreate(BaseModel):
    public_key: str = Field(description="base64url or hex of the 32-byte Ed25519 public key")


class DeviceKeyPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    key_id: str
    device_id: str
    valid_from: datetime
    valid_until: datetime | None = None
    revoked_at: datetime | None = None


class ProductCreate(BaseModel):
    gtin: str
    name: str = Field(min_length=1, max_length=200)
    brand: str = ""
    category: ProductCategory
    party_id: str
    attributes: dict[str, Any] = Field(default_factory=dict)

    @field_validator("gtin")
    @classmethod
    def _gtin(cls, v: str) -> str:
        v = v.zfill(14) if v.isdigit() and len(v) in (8, 12, 13) else v
        out = _gs1_key(v, 14, "GTIN")
        assert out is not None
        return out


class ProductPublic(ProductCreate):
    model_config = ConfigDict(from_attributes=True)


class LotCreate(BaseModel):
    gtin: str
    lot: str = Field(min_length=1, max_length=20)
    produced_on: date | None = None
    expires_on: date | None = None


class LotPublic(LotCreate):
    model_config = ConfigDict(from_attributes=True)
    recalled: bool = False
    recall_reason: str | None = None
    recalled_at: datetime | None = None
