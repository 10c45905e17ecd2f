"""Label printing for producers: ``POST /labels`` and the files of a run (thin).

``POST /labels`` checks the request field by field (422 naming the field, nothing allocated),
prints the run with the party's print station (``label-{party}``, created on first use; its key
in ``data_dir/label-stations``) -- serials allocated and recorded, commissioning events signed
and ledgered, labels written under ``data_dir/labels/{run}`` -- and answers 201 with the run id,
the serials, the Digital Links and a download link per file; with ``"response": "file"`` (PDF
or ZPL) the file itself. ``GET /labels/{run}`` is the run's status; ``GET
/labels/{run}/files/{name}`` one of its files. A producer may print only GTINs registered to
its own party.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, status
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ProducerDep, SessionDep, SettingsDep, require_party
from api.jsonbody import StrictJSONRoute
from label_printing import (
    LabelData,
    LabelInputError,
    check_request,
    digital_link,
    get_label_settings,
    get_run,
    open_station,
    parse_label_size,
    prepare_out_dir,
    print_run,
    run_status,
    start_run,
)
from traceability.registry.models import Product
from traceability.store.engine import get_engine

router = APIRouter(route_class=StrictJSONRoute, tags=["labels"])
RunId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{32}$")]
FileName = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")]
MEDIA = {".png": "image/png", ".svg": "image/svg+xml", ".pdf": "application/pdf",
         ".zpl": "application/vnd.zebra.zpl"}  # fmt: skip


class LabelsCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gtin: str = Field(max_length=64)
    lot: str = Field(max_length=64)
    expiry: str = Field(max_length=32, description="YYYY-MM-DD")
    count: int
    format: str = Field(max_length=16, description="png | svg | pdf | zpl")
    serial_mode: str | None = Field(default=None, max_length=16)
    symbol: str = Field(default="qr", max_length=16)
    dpi: int = 203
    product_name: str = Field(default="", max_length=200)
    label_size: str = Field(default="70x37", max_length=32, description="PDF: WxH in mm")
    response: Literal["links", "file"] = "links"


def _unprocessable(exc: LabelInputError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"error": exc.to_dict()})


def _run_dir(data_dir: Path, run_id: str) -> Path:
    return data_dir / "labels" / run_id


@router.post("/labels", status_code=status.HTTP_201_CREATED, response_model=None)
def create_labels(
    data: LabelsCreate, session: SessionDep, who: ProducerDep, settings: SettingsDep
) -> Any:
    ls = get_label_settings()
    try:
        width, height = parse_label_size(data.label_size)
        req = check_request(
            gtin=data.gtin,
            lot=data.lot,
            expiry=data.expiry,
            count=data.count,
            format=data.format,
            max_count=ls.max_count,
            serial_mode=data.serial_mode or ls.serial_mode,
            symbol=data.symbol,
            dpi=data.dpi,
            resolver=ls.resolver,
            product_name=data.product_name,
            label_width_mm=width,
            label_height_mm=height,
        )
        if data.response == "file" and req.format not in ("pdf", "zpl"):
            raise LabelInputError(
                "response: 'file' needs format pdf or zpl (one file)", field="response"
            )
    except LabelInputError as exc:
        return _unprocessable(exc)
    product = session.get(Product, req.gtin)
    if who.role != "admin":
        if product is None:
            raise HTTPException(status_code=404, detail=f"GTIN {req.gtin} is not registered")
        require_party(who, product.party_id)
    if product is not None and not req.product_name:
        req = dataclasses.replace(req, product_name=product.name[:80])
    party = who.party_id or (product.party_id if product is not None else None)
    engine = get_engine(settings.effective_database_url)
    station = open_station(
        engine,
        data_dir=settings.data_dir,
        station=f"label-{party}"[:64] if party else ls.station,
        party_id=party,
    )
    report = _print(engine, req, station, settings.data_dir, ls.chunk)
    if data.response == "file":
        (path,) = report.files
        return FileResponse(path, media_type=MEDIA[path.suffix], filename=path.name,
                            status_code=201, headers={"X-Label-Run": report.run_id})  # fmt: skip
    base = settings.base_url
    return {
        **{k: v for k, v in report.to_dict().items() if k != "files"},
        "links": [
            digital_link(
                LabelData(gtin=req.gtin, lot=req.lot, expiry=req.expiry, serial=s),
                resolver=req.resolver,
            )
            for s in report.serials
        ],
        "files": [
            {"name": p.name, "url": f"{base}/labels/{report.run_id}/files/{p.name}"}
            for p in report.files
        ],
    }


def _print(engine: Any, req: Any, station: Any, data_dir: Path, chunk: int) -> Any:
    """Start the run first so its files land in a folder named after it."""
    prepare_out_dir(data_dir / "labels")
    run_id = start_run(engine, request=req, station=station)
    return print_run(
        engine, run_id=run_id, station=station, out_dir=_run_dir(data_dir, run_id), chunk=chunk
    )


def _owned_run(session: SessionDep, who: ProducerDep, run_id: str) -> Any:
    run = get_run(session, run_id=run_id)
    if who.role != "admin":
        product = session.get(Product, run.gtin)
        if product is None:
            raise HTTPException(status_code=404, detail="run not found")
        require_party(who, product.party_id)
    return run


@router.get("/labels/{run_id}")
def get_labels_run(run_id: RunId, session: SessionDep, who: ProducerDep) -> dict[str, Any]:
    _owned_run(session, who, run_id)
    return run_status(session, run_id=run_id)


@router.get("/labels/{run_id}/files/{name}", response_model=None)
def get_label_file(
    run_id: RunId, name: FileName, session: SessionDep, who: ProducerDep, settings: SettingsDep
) -> Response:
    _owned_run(session, who, run_id)
    folder = _run_dir(settings.data_dir, run_id)
    path = folder / name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) or ".." in name or not path.is_file():
        raise HTTPException(status_code=404, detail=f"run {run_id} has no file {name}")
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"))
