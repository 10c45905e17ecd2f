"""The producer's console pages (docs/console.md): products and lots, label runs (print,
download), devices (enrol, revoke). A producer's session sees and acts for its own party only,
as its bearer token does in the API (``api.deps``). Thin: rendering in
``traceability.console.producer``, printing through ``label_printing`` as ``POST /labels``."""

from __future__ import annotations

import re
from pathlib import Path as FsPath
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from api import console_web as web
from api.deps import SessionDep
from api.jsonbody import StrictJSONRoute
from api.routes.console import BodyDep
from api.routes.devices import decode_public_key
from api.routes.labels import MEDIA, _print, _run_dir
from label_printing import (
    LabelInputError,
    check_request,
    get_label_settings,
    get_run,
    open_station,
    run_status,
)
from label_printing.listing import list_runs
from traceability.console import producer as pages
from traceability.console.forms import need
from traceability.errors import ForbiddenError, InvalidInputError, NotFoundError
from traceability.registry import service as registry
from traceability.registry.models import Device, Product
from traceability.registry.schemas import DeviceCreate
from traceability.store.engine import get_engine

router = APIRouter(route_class=StrictJSONRoute, prefix="/console", include_in_schema=False)
PRODUCER = ("producer",)
RunId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
FileName = Annotated[str, Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")]


def _party(ctx: web.Ctx) -> str:
    if not ctx.who.party_id:  # parse_api_tokens refuses this; defence in depth
        raise ForbiddenError("this producer token belongs to no party", field="party_id")
    return ctx.who.party_id


def _products(ctx: web.Ctx) -> list[str]:
    return [p.gtin for p in registry.list_products(ctx.db, party_id=_party(ctx), limit=1000)]


def _files(run_id: str, data_dir: FsPath) -> list[tuple[str, str]]:
    folder = _run_dir(data_dir, run_id)
    if not folder.is_dir():
        return []
    return [
        (p.name, f"/console/labels/{run_id}/files/{p.name}")
        for p in sorted(folder.iterdir())
        if p.is_file()
    ]


def _labels_page(ctx: web.Ctx, message: str | None = None, bad: bool = False) -> str:
    party = _party(ctx)
    products = registry.list_products(ctx.db, party_id=party, limit=1000)
    runs = list_runs(ctx.db, gtins=[p.gtin for p in products])
    return pages.labels(ctx.csrf, runs=runs, products=products, message=message, bad=bad)


@router.get("/labels")
def labels(request: Request, db: SessionDep) -> Response:
    return web.run_page(request, db, PRODUCER, _labels_page)


@router.post("/labels")
def print_labels(request: Request, db: SessionDep, body: BodyDep) -> Response:
    """Start a print run of the party's own GTIN (allocated, commissioned, written out)."""

    def page(ctx: web.Ctx) -> Response | str:
        party = _party(ctx)
        gtin = need(ctx.form, "gtin", limit=14)
        product = db.get(Product, gtin)
        if product is None or product.party_id != party:
            raise ForbiddenError(
                f"GTIN {gtin} is not one of your products", field="gtin", value=gtin
            )
        ls = get_label_settings()
        count_text = need(ctx.form, "count", limit=9)
        if not count_text.isdigit():
            raise InvalidInputError("count is a whole number", field="count", value=count_text)
        try:
            req = check_request(
                gtin=gtin,
                lot=need(ctx.form, "lot", limit=20),
                expiry=need(ctx.form, "expiry", limit=10),
                count=int(count_text),
                format=need(ctx.form, "format", limit=8),
                max_count=ls.max_count,
                serial_mode=ls.serial_mode,
                resolver=ls.resolver,
                product_name=product.name[:80],
            )
        except LabelInputError as exc:
            return _labels_page(ctx, message=f"{exc.field}: {exc.message}", bad=True)
        engine = get_engine(ctx.settings.effective_database_url)
        station = open_station(
            engine,
            data_dir=ctx.settings.data_dir,
            station=f"label-{party}"[:64],
            party_id=party,
        )
        report = _print(engine, req, station, ctx.settings.data_dir, ls.chunk)
        return RedirectResponse(f"/console/labels/{report.run_id}", status_code=303)

    return web.run_page(request, db, PRODUCER, page, body=body)


def _owned(ctx: web.Ctx, run_id: str) -> None:
    run = get_run(ctx.db, run_id=run_id)
    if run.gtin not in _products(ctx):
        raise NotFoundError(f"no label run {run_id} of yours", field="run_id", value=run_id)


@router.get("/labels/{run_id}")
def label_run(request: Request, db: SessionDep, run_id: RunId) -> Response:
    def page(ctx: web.Ctx) -> str:
        _owned(ctx, run_id)
        status = run_status(db, run_id=run_id)
        return pages.run(ctx.csrf, status=status, files=_files(run_id, ctx.settings.data_dir))

    return web.run_page(request, db, PRODUCER, page)


@router.get("/labels/{run_id}/files/{name}")
def label_file(request: Request, db: SessionDep, run_id: RunId, name: FileName) -> Response:
    def page(ctx: web.Ctx) -> Response:
        _owned(ctx, run_id)
        path = _run_dir(ctx.settings.data_dir, run_id) / name
        if (
            not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name)
            or ".." in name
            or not (path.is_file())
        ):
            raise NotFoundError(f"run {run_id} has no file {name}", field="name", value=name)
        return FileResponse(
            path,
            media_type=MEDIA.get(path.suffix, "application/octet-stream"),
            filename=name,
            headers=web.HEADERS,
        )

    return web.run_page(request, db, PRODUCER, page)


def _devices_page(ctx: web.Ctx, message: str | None = None) -> str:
    party = _party(ctx)
    return pages.devices(
        ctx.csrf,
        rows=registry.list_devices(ctx.db, party_id=party, limit=1000),
        locations=registry.list_locations(ctx.db, party_id=party, limit=1000),
        message=message,
    )


@router.get("/devices")
def devices(request: Request, db: SessionDep) -> Response:
    return web.run_page(request, db, PRODUCER, _devices_page)


@router.post("/devices")
def enrol_device(request: Request, db: SessionDep, body: BodyDep) -> Response:
    """Enrol a device at one of the party's locations with its public key (ledgered)."""

    def page(ctx: web.Ctx) -> str:
        party = _party(ctx)
        location = need(ctx.form, "location_id", limit=64)
        own = {x.id for x in registry.list_locations(db, party_id=party, limit=1000)}
        if location not in own:
            raise ForbiddenError(
                f"location {location} is not one of yours", field="location_id", value=location
            )
        try:
            data = DeviceCreate(
                id=need(ctx.form, "device_id", limit=64),
                location_id=location,
                party_id=party,
                kind=ctx.form.get("kind", "").strip() or "reader",
            )
        except ValueError as exc:
            raise InvalidInputError(
                f"device id or kind is not valid: {str(exc).splitlines()[-1][:120]}",
                field="device_id",
            ) from None
        key = decode_public_key(need(ctx.form, "public_key", limit=100))
        registry.create_device(db, data=data)
        registry.enroll_device_key(
            db, device_id=data.id, public_key=key, production=ctx.settings.mode == "production"
        )
        return _devices_page(ctx, message=f"Device {data.id} enrolled; its key is in the ledger.")

    return web.run_page(request, db, PRODUCER, page, body=body)


@router.post("/devices/{device_id}/revoke")
def revoke_device(
    request: Request,
    db: SessionDep,
    body: BodyDep,
    device_id: Annotated[str, Path(min_length=1, max_length=64)],
) -> Response:
    """Revoke one of the party's devices and its keys (``key.revoke`` ledger entries)."""

    def page(ctx: web.Ctx) -> str:
        device = registry.get_or_raise(db, Device, device_id, what="device")
        if device.party_id != _party(ctx):
            raise NotFoundError(
                f"no device {device_id} of yours", field="device_id", value=device_id
            )
        registry.revoke_device(db, device_id=device_id, reason=need(ctx.form, "reason", limit=200))
        return _devices_page(ctx, message=f"Device {device_id} revoked.")

    return web.run_page(request, db, PRODUCER, page, body=body)
