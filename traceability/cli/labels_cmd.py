"""``tracectl labels``: print, resume, inspect, reprint and void label runs; pallet labels.

Composes :mod:`label_printing` with the configured store. Exit status: 0 done, 1 the store or a
state refused (run not found, serial already voided ...), 2 a bad argument (one line naming the
field; nothing allocated).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer

from traceability.config import get_settings
from traceability.errors import InvalidInputError, TraceError

app = typer.Typer(no_args_is_help=True, help="Print labels: serials, QR, DataMatrix, PDF, ZPL.")


@app.callback()
def _root() -> None:
    """Print labels: serials, QR, DataMatrix, PDF, ZPL."""


def _fail(exc: TraceError) -> NoReturn:
    usage = isinstance(exc, InvalidInputError) and exc.code in ("label_input", "invalid")
    typer.echo(f"error: {exc.message}".replace("\n", " "), err=True)
    raise typer.Exit(2 if usage else 1)


def _engine() -> Any:
    from sqlalchemy import inspect

    from traceability.store.engine import get_engine, upgrade

    url = get_settings().effective_database_url
    engine = get_engine(url)
    if url.startswith("sqlite"):
        upgrade(url=url)
    elif not inspect(engine).has_table("label_run"):
        typer.echo("error: the store has no label tables: run `tracectl db upgrade`", err=True)
        raise typer.Exit(1)
    return engine


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not (enabled and sys.stderr.isatty()):
        yield lambda _n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task("labels", total=total)
        yield lambda n: bar.advance(task, n)


def _station(engine: Any, station: str | None, party: str | None, location: str | None) -> Any:
    from label_printing import get_label_settings, open_station

    name = station or get_label_settings().station
    return open_station(
        engine,
        data_dir=get_settings().data_dir,
        station=name,
        party_id=party,
        location_id=location,
    )


def _emit(doc: dict[str, Any], as_json: bool, text: str) -> None:
    typer.echo(json.dumps(doc) if as_json else text)


@app.command("print")
def print_cmd(
    gtin: str = typer.Option(..., "--gtin", help="GTIN-8/12/13/14 with its check digit."),
    lot: str = typer.Option(..., "--lot", help="Lot (AI 10): 1-20 chars of GS1 set 82."),
    expiry: str = typer.Option(..., "--expiry", help="Expiry date YYYY-MM-DD (AI 17)."),
    count: int = typer.Option(..., "--count", help="Number of labels."),
    fmt: str = typer.Option(..., "--format", help="png | svg | pdf | zpl"),
    out: Path = typer.Option(..., "--out", help="Output folder (created when missing)."),
    serial_mode: str | None = typer.Option(None, "--serials", help="random | sequential"),
    symbol: str = typer.Option("qr", "--symbol", help="PNG/SVG: qr | datamatrix"),
    dpi: int = typer.Option(203, "--dpi", help="ZPL: 203 | 300"),
    name: str = typer.Option("", "--name", help="Product name printed on the label."),
    label_size: str = typer.Option("70x37", "--label-size", help="PDF: label WxH in mm."),
    resolver: str | None = typer.Option(None, "--resolver", help="Digital Link domain."),
    station: str | None = typer.Option(None, "--station", help="Print station device id."),
    party: str | None = typer.Option(None, "--party", help="Party of a new station."),
    location: str | None = typer.Option(None, "--location", help="Location of a new station."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Allocate serials, commission them in the ledger and write the labels."""
    from label_printing import (
        check_request,
        get_label_settings,
        parse_label_size,
        print_labels,
        product_name,
    )

    ls = get_label_settings()
    try:
        request = check_request(
            gtin=gtin,
            lot=lot,
            expiry=expiry,
            count=count,
            format=fmt,
            max_count=ls.max_count,
            serial_mode=serial_mode or ls.serial_mode,
            symbol=symbol,
            dpi=dpi,
            resolver=resolver or ls.resolver,
            product_name=name,
            label_width_mm=(size := parse_label_size(label_size))[0],
            label_height_mm=size[1],
        )
        engine = _engine()
        key = _station(engine, station, party, location)
        if not name:
            request = product_name(engine, request=request)
        with _progress(request.count, not as_json) as advance:
            report = print_labels(
                engine,
                request=request,
                station=key,
                out_dir=out,
                chunk=ls.chunk,
                progress=advance,
            )
    except TraceError as exc:
        _fail(exc)
    except OSError as exc:
        typer.echo(f"error: out: {exc.strerror}: {exc.filename}", err=True)
        raise typer.Exit(1) from None
    doc = report.to_dict()
    _emit(doc, as_json, f"run {report.run_id}: {len(report.serials)} labels -> {out}")


@app.command("status")
def status_cmd(
    run: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")
) -> None:
    """Which serials of a run are committed (in the ledger), printed, pending or voided."""
    from label_printing import run_status
    from traceability.store.engine import session_scope

    try:
        with session_scope(engine=_engine()) as session:
            doc = run_status(session, run_id=run)
    except TraceError as exc:
        _fail(exc)
    text = (
        f"run {doc['run_id']} {doc['status']}: committed {len(doc['committed'])}, printed "
        f"{len(doc['printed'])}, pending {len(doc['pending'])}, voided {len(doc['voided'])}"
    )
    _emit(doc, as_json, text)


@app.command("resume")
def resume_cmd(
    run: str = typer.Argument(...),
    out: Path = typer.Option(..., "--out"),
    station: str | None = typer.Option(None, "--station"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Finish an interrupted run: commission what is pending, write what is not printed."""
    from label_printing import get_label_settings, print_run

    try:
        engine = _engine()
        key = _station(engine, station, None, None)
        report = print_run(
            engine, run_id=run, station=key, out_dir=out, chunk=get_label_settings().chunk
        )
    except TraceError as exc:
        _fail(exc)
    _emit(report.to_dict(), as_json, f"run {report.run_id}: done -> {out}")


@app.command("reprint")
def reprint_cmd(
    run: str = typer.Argument(...),
    serial: list[str] = typer.Option(..., "--serial", help="Serial to reprint (repeat)."),
    out: Path = typer.Option(..., "--out"),
    station: str | None = typer.Option(None, "--station"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Print labels again; recorded as a reprint, not a new commissioning."""
    from label_printing import reprint

    try:
        engine = _engine()
        key = _station(engine, station, None, None)
        report = reprint(engine, run_id=run, serials=serial, station=key, out_dir=out)
    except TraceError as exc:
        _fail(exc)
    _emit(report.to_dict(), as_json, f"reprinted {len(report.serials)} labels -> {out}")


@app.command("void")
def void_cmd(
    run: str = typer.Argument(...),
    serial: list[str] = typer.Option(..., "--serial", help="Serial to void (repeat)."),
    station: str | None = typer.Option(None, "--station"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Decommission labels that were spoiled or destroyed."""
    from label_printing import void

    try:
        engine = _engine()
        key = _station(engine, station, None, None)
        report = void(engine, run_id=run, serials=serial, station=key)
    except TraceError as exc:
        _fail(exc)
    _emit(report.to_dict(), as_json, f"voided {len(report.serials)} labels")


@app.command("pallet")
def pallet_cmd(
    company_prefix: str = typer.Option(..., "--company-prefix", help="GS1 Company Prefix."),
    gtin: str = typer.Option(..., "--gtin"),
    lot: str = typer.Option(..., "--lot"),
    expiry: str = typer.Option(..., "--expiry"),
    items: int = typer.Option(..., "--items", help="Trade items on each pallet (AI 37)."),
    count: int = typer.Option(1, "--count", help="Number of pallets."),
    company: str = typer.Option("", "--company", help="Company name on the label."),
    extension: int = typer.Option(0, "--extension", help="SSCC extension digit."),
    dpi: int = typer.Option(203, "--dpi"),
    out: Path = typer.Option(..., "--out"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """GS1 logistic labels (A6 ZPL) with freshly allocated SSCCs."""
    from label_printing import (
        allocate_ssccs,
        check_count,
        check_expiry,
        check_gtin,
        check_lot,
        pallet_label,
    )
    from traceability.store.engine import session_scope

    try:
        g, lot_ok, day = check_gtin(gtin), check_lot(lot), check_expiry(expiry)
        n_items = check_count(items, maximum=99_999_999)
        check_count(count, maximum=10_000)
        if dpi not in (203, 300):
            raise InvalidInputError("dpi: must be 203 or 300", code="label_input", field="dpi")
        with session_scope(engine=_engine()) as session:
            ssccs = allocate_ssccs(
                session, company_prefix=company_prefix, count=count, extension=extension
            )
        zpl = "".join(
            pallet_label(
                sscc=s, gtin=g, count=n_items, lot=lot_ok, expiry=day, company=company, dpi=dpi
            )
            for s in ssccs
        )
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"pallets-{ssccs[0]}.zpl"
        path.write_text(zpl, encoding="utf-8")
    except TraceError as exc:
        _fail(exc)
    _emit({"ssccs": ssccs, "file": str(path)}, as_json, f"{len(ssccs)} pallet labels -> {path}")
