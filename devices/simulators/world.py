"""What a scenario needs registered (parties, locations, devices, products, lots), the event
batches it streams, and deterministic identifier factories with correct check characters."""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from devices.keys import DeviceKeyPair
from traceability.identifiers import (
    epc_urn_from_elements,
    gtin_check_digit,
    org_code_check_char,
    uscc_check_char,
)
from traceability.identifiers.cn import USCC_CHARS
from traceability.identifiers.gs1 import company_prefix_length, prefix_length_for
from traceability.registry.keys import simulated_seed
from traceability.registry.models import CreditStatus, ProductCategory
from traceability.registry.schemas import (
    DeviceCreate,
    LocationCreate,
    LotCreate,
    PartyCreate,
    ProductCreate,
)


@dataclass(frozen=True, slots=True)
class SimDevice:
    create: DeviceCreate
    key: DeviceKeyPair

    @property
    def id(self) -> str:
        return self.create.id


@dataclass
class World:
    parties: list[PartyCreate] = field(default_factory=list)
    locations: list[LocationCreate] = field(default_factory=list)
    devices: list[SimDevice] = field(default_factory=list)
    products: list[ProductCreate] = field(default_factory=list)
    lots: list[LotCreate] = field(default_factory=list)

    def merge(self, other: World) -> World:
        return World(
            parties=self.parties + other.parties,
            locations=self.locations + other.locations,
            devices=self.devices + other.devices,
            products=self.products + other.products,
            lots=self.lots + other.lots,
        )

    def device(self, device_id: str) -> SimDevice:
        return next(d for d in self.devices if d.id == device_id)


@dataclass(frozen=True, slots=True)
class Batch:
    """One envelope's worth of events from one device, at simulated time ``at``. With
    ``reader`` (a ``reader`` envelope member: format, config, raw messages) the device publishes
    the raw reads on ``.../reader`` and ``events`` are what the gateway derives from them."""

    device_id: str
    events: list[dict[str, Any]]
    at: datetime
    reply: bool = False
    note: str = ""
    reader: dict[str, Any] | None = None


@dataclass
class Scenario:
    name: str
    seed: int
    world: World
    batches: list[Batch]
    facts: dict[str, Any] = field(default_factory=dict)  # what a demo/test may assert on

    @property
    def event_count(self) -> int:
        return sum(len(b.events) for b in self.batches)


def sim_key(device_id: str) -> DeviceKeyPair:
    """A simulated device's key: derived from its id, so every run registers the same key.
    (Simulation only: real devices generate theirs with :meth:`DeviceKeyPair.generate`.)"""
    return DeviceKeyPair.from_seed(device_id, simulated_seed(device_id))


def make_uscc(rng: random.Random, *, division: str, kind: str = "91") -> str:
    """A GB 32100 code: authority+type (2), division (6), org code (8+check), check char."""
    body8 = "".join(rng.choice(USCC_CHARS) for _ in range(8))
    body17 = kind + division + body8 + org_code_check_char(body8)
    return body17 + uscc_check_char(body17)


@dataclass(frozen=True, slots=True)
class Company:
    """A GS1 company prefix and the keys it can issue (all with correct check digits).

    The prefix's length must be the one the identifier core's prefix table gives for it
    (:func:`traceability.identifiers.gs1.company_prefix_length`), so every EPC a simulator
    emits reads back through ``tracectl id check`` with the same company prefix."""

    prefix: str

    def __post_init__(self) -> None:
        table = company_prefix_length(self.prefix.ljust(13, "0"))
        if not self.prefix.isdigit() or table != len(self.prefix):
            raise ValueError(
                f"company prefix {self.prefix!r}: the GS1 prefix table gives {table} digits "
                f"for it, not {len(self.prefix)}"
            )

    def gtin(self, item_ref: int, indicator: int = 0) -> str:
        return _keyed(f"{indicator}{self.prefix}{item_ref:0{12 - len(self.prefix)}d}", 14)

    def gln(self, location_ref: int) -> str:
        return _keyed(f"{self.prefix}{location_ref:0{12 - len(self.prefix)}d}", 13)

    def sscc(self, serial_ref: int, extension: int = 0) -> str:
        return _keyed(f"{extension}{self.prefix}{serial_ref:0{16 - len(self.prefix)}d}", 18)

    def sgln(self, location_ref: int, extension: str = "0") -> str:
        return self._epc(("414", self.gln(location_ref)), ("254", extension))

    def pgln(self) -> str:
        return self._epc(("417", self.gln(0)))

    def sgtin(self, gtin: str, serial: str) -> str:
        return self._epc(("01", gtin), ("21", serial))

    def lgtin(self, gtin: str, lot: str) -> str:
        return self._epc(("01", gtin), ("10", lot))

    def sscc_urn(self, sscc: str) -> str:
        return self._epc(("00", sscc))

    def giai(self, asset_ref: str) -> str:
        return self._epc(("8004", self.prefix + asset_ref))

    def _epc(self, *elements: tuple[str, str]) -> str:
        """The EPC URN of GS1 elements of this company: split at its registered prefix (the
        party registers it, ``gs1_company_prefix``; the table agrees, see above), through the
        one source of prefix lengths."""
        return epc_urn_from_elements(elements, prefix_length_for(self.gln(0), self.prefix))


def _keyed(body: str, length: int) -> str:
    """A GS1 key: ``body`` and its mod-10 check digit (refused when a reference overflows)."""
    if len(body) != length - 1:
        raise ValueError(f"{body!r}: the reference does not fit a {length}-digit key")
    return body + gtin_check_digit(body)


def party(
    rng: random.Random,
    *,
    id: str,
    name: str,
    division: str,
    company: Company,
    roles: list[str],
    kind: str = "91",
    credit: CreditStatus = CreditStatus.good,
) -> PartyCreate:
    return PartyCreate(
        id=id,
        name=name,
        uscc=make_uscc(rng, division=division, kind=kind),
        gln=company.gln(0),
        gs1_company_prefix=company.prefix,
        roles=roles,
        credit_status=credit,
    )


def location(
    *,
    id: str,
    name: str,
    party_id: str,
    company: Company,
    ref: int,
    address: str,
    district: str,
    lat: float,
    lon: float,
) -> LocationCreate:
    return LocationCreate(
        id=id,
        name=name,
        party_id=party_id,
        gln=company.gln(ref),
        sgln=company.sgln(ref),
        address=address,
        city="重庆市",
        region=district,
        country="CN",
        latitude=lat,
        longitude=lon,
    )


def device(*, id: str, location_id: str, party_id: str, kind: str) -> SimDevice:
    return SimDevice(
        DeviceCreate(id=id, location_id=location_id, party_id=party_id, kind=kind), sim_key(id)
    )


def product(
    *, gtin: str, name: str, brand: str, category: ProductCategory, party_id: str, **attributes: Any
) -> ProductCreate:
    return ProductCreate(
        gtin=gtin,
        name=name,
        brand=brand,
        category=category,
        party_id=party_id,
        attributes=attributes,
    )


def lot(*, gtin: str, code: str, produced: date, expires: date | None) -> LotCreate:
    return LotCreate(gtin=gtin, lot=code, produced_on=produced, expires_on=expires)


def serial(rng: random.Random, length: int = 12) -> str:
    """A pack serial: uppercase letters and digits (GS1 CS82 subset), at most 20 characters."""
    return "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(length))
