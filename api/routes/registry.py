"""Registry endpoints: parties, locations, products, lots (thin over the registry service).

A party's credit status and a product's owner carry authority: creating or changing them
appends a platform-signed ledger entry (``traceability.authority``; ``tracectl verify`` step 10).
Who reads what is docs/access.md: parties, products and lots are public (a consumer page shows
who made a product and whether its lot is recalled); locations are their own party's for a
producer, every party's for regulators and admins. Codes in paths and queries are validated by
the identifier core: a wrong GTIN is a 400 naming the field, never an empty answer.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import (
    AdminDep,
    AnyRoleDep,
    Limit,
    Offset,
    ProducerDep,
    RegulatorDep,
    SessionDep,
    SettingsDep,
    require_party,
    visible_party,
)
from api.jsonbody import StrictJSONRoute
from traceability.authority import service as authority
from traceability.authority.schemas import PartyCredit, ProductOwner
from traceability.identifiers.gs1 import validate_gtin
from traceability.registry import service as registry
from traceability.registry.models import Party, Product, ProductCategory
from traceability.registry.schemas import (
    LocationCreate,
    LocationPublic,
    LotCreate,
    LotPublic,
    PartyCreate,
    PartyPublic,
    ProductCreate,
    ProductPublic,
)

router = APIRouter(route_class=StrictJSONRoute, tags=["registry"])


@router.post("/parties", status_code=status.HTTP_201_CREATED)
def create_party(
    data: PartyCreate, session: SessionDep, settings: SettingsDep, who: AdminDep
) -> PartyPublic:
    return authority.create_party(session, data_dir=settings.data_dir, data=data, by=who.label)


@router.patch("/parties/{party_id}/credit")
def set_party_credit(
    party_id: str, data: PartyCredit, session: SessionDep, settings: SettingsDep, who: RegulatorDep
) -> PartyPublic:
    """Regulator or admin: set a party's credit status (``serious_violation`` puts it on the
    serious-violation list that custody timelines and verdicts show). Ledgered."""
    return authority.set_party_credit(
        session,
        data_dir=settings.data_dir,
        party_id=party_id,
        credit_status=data.credit_status,
        by=who.label,
    )


@router.get("/parties")
def list_parties(
    session: SessionDep, _who: AnyRoleDep, limit: Limit = 100, offset: Offset = 0
) -> list[PartyPublic]:
    return registry.list_parties(session, limit=limit, offset=offset)


@router.get("/parties/{party_id}")
def get_party(party_id: str, session: SessionDep) -> PartyPublic:
    """Public: who made or handled a product is shown to consumers."""
    return PartyPublic.model_validate(registry.get_or_raise(session, Party, party_id))


@router.post("/locations", status_code=status.HTTP_201_CREATED)
def create_location(data: LocationCreate, session: SessionDep, who: ProducerDep) -> LocationPublic:
    require_party(who, data.party_id)
    return registry.create_location(session, data=data)


@router.get("/locations")
def list_locations(
    session: SessionDep,
    who: AnyRoleDep,
    party_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[LocationPublic]:
    """Producers: their own party's locations only; regulators and admins: every party's."""
    party_id = visible_party(who, party_id)
    return registry.list_locations(session, party_id=party_id, limit=limit, offset=offset)


@router.post("/products", status_code=status.HTTP_201_CREATED)
def create_product(
    data: ProductCreate, session: SessionDep, settings: SettingsDep, who: ProducerDep
) -> ProductPublic:
    require_party(who, data.party_id)
    return authority.create_product(session, data_dir=settings.data_dir, data=data, by=who.label)


@router.patch("/products/{gtin}/owner")
def set_product_owner(
    gtin: str, data: ProductOwner, session: SessionDep, settings: SettingsDep, who: AdminDep
) -> ProductPublic:
    """Admin only: hand a product to another party (its owner answers for it). Ledgered."""
    key = validate_gtin(gtin)
    return authority.set_product_owner(
        session, data_dir=settings.data_dir, gtin=key, party_id=data.party_id, by=who.label
    )


@router.get("/products")
def list_products(
    session: SessionDep,
    category: ProductCategory | None = None,
    party_id: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[ProductPublic]:
    return registry.list_products(
        session, category=category, party_id=party_id, limit=limit, offset=offset
    )


@router.get("/products/{gtin}")
def get_product(gtin: str, session: SessionDep) -> ProductPublic:
    """Public. ``gtin``: GTIN-8/12/13/14 with its check digit (400 otherwise)."""
    key = validate_gtin(gtin)
    return ProductPublic.model_validate(registry.get_or_raise(session, Product, key))


@router.post("/lots", status_code=status.HTTP_201_CREATED)
def create_lot(data: LotCreate, session: SessionDep, who: ProducerDep) -> LotPublic:
    product = registry.get_or_raise(session, Product, data.gtin, what="product")
    require_party(who, product.party_id)
    return registry.create_lot(session, data=data)


@router.get("/lots")
def list_lots(
    session: SessionDep, gtin: str | None = None, limit: Limit = 100, offset: Offset = 0
) -> list[LotPublic]:
    """Public. ``gtin``: GTIN-8/12/13/14 with its check digit (400 otherwise)."""
    key = validate_gtin(gtin) if gtin is not None else None
    return registry.list_lots(session, gtin=key, limit=limit, offset=offset)
