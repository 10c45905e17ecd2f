"""A print run, crash-safe: allocate and record, then commission, then print.

1. :func:`create_run` checks nothing itself (the request is already checked) and, in one
   transaction, records the run and allocates its serials (state ``allocated``); the caller
   commits *before anything is rendered*.
2. :func:`print_run` takes the run's serials chunk by chunk: it commissions a chunk (signed
   events appended to the ledger and the serials marked ``commissioned``, one commit), then
   renders and writes it, then marks it ``printed``. A label is written only after its serial
   is committed to the ledger, so a run killed anywhere (even ``kill -9``) leaves no serial
   printed and unrecorded; :func:`run_status` reports which serials were committed, and
   calling :func:`print_run` again finishes the run (serials already commissioned are rendered,
   not commissioned twice).
3. :func:`reprint` records an ``OBSERVE`` reprint event (not a new commissioning) and renders
   the labels again; :func:`void` decommissions serials (``DELETE``, ``decommissioning``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from label_printing import commission
from label_printing.errors import LabelInputError, RunNotFoundError, RunStateError
from label_printing.models import (
    ALLOCATED,
    COMMISSIONED,
    PRINTED,
    VOIDED,
    LabelRun,
    LabelSerial,
)
from label_printing.output import RunWriter
from label_printing.payloads import LabelData
from label_printing.request import LabelRequest
from label_printing.serials import allocate_serials
from label_printing.station import StationKey, read_point
from label_printing.symbols import QrEngine
from traceability.registry.models import Device
from traceability.registry.prefixes import product_prefix_length
from traceability.store.engine import session_scope

Progress = Callable[[int], None]


@dataclass
class RunReport:
    run_id: str
    gtin: str
    lot: str
    expiry: str
    format: str
    serials: list[str]
    files: list[Path] = field(default_factory=list)
    states: dict[str, int] = field(default_factory=dict)
    ledger_indexes: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "gtin": self.gtin,
            "lot": self.lot,
            "expiry": self.expiry,
            "format": self.format,
            "count": len(self.serials),
            "serials": self.serials,
            "files": [str(p) for p in self.files],
            "states": self.states,
            "ledger_indexes": self.ledger_indexes,
        }


def create_run(session: Session, *, request: LabelRequest, station_id: str) -> LabelRun:
    """Record the run and allocate its serials in the caller's transaction."""
    run = LabelRun(
        id=uuid.uuid4().hex,
        gtin=request.gtin,
        lot=request.lot,
        expiry=request.expiry,
        count=request.count,
        format=request.format,
        serial_mode=request.serial_mode,
        symbol=request.symbol,
        dpi=request.dpi,
        resolver=request.resolver,
        product_name=request.product_name,
        station_id=station_id,
        status=ALLOCATED,
        options={"label_w": request.label_width_mm, "label_h": request.label_height_mm},
    )
    session.add(run)
    session.flush()
    allocate_serials(
        session, gtin=request.gtin, run_id=run.id, count=request.count, mode=request.serial_mode
    )
    return run


def get_run(session: Session, *, run_id: str) -> LabelRun:
    run = session.get(LabelRun, run_id) if len(run_id) <= 32 else None
    if run is None:
        raise RunNotFoundError(f"run: no label run {run_id[:40]!r}", field="run", value=run_id[:40])
    return run


def _serials(
    session: Session, run_id: str, states: Sequence[str] | None = None
) -> list[LabelSerial]:
    q = select(LabelSerial).where(LabelSerial.run_id == run_id)
    if states is not None:
        q = q.where(col(LabelSerial.state).in_(list(states)))
    return list(session.exec(q.order_by(col(LabelSerial.position))))


def _mark(
    session: Session, gtin: str, serials: list[str], state: str, *, only_from: str | None = None
) -> int:
    """Set the state of ``serials`` (those in state ``only_from``, when given); returns how
    many rows changed. The UPDATE locks the rows (PostgreSQL) / the database (SQLite)."""
    table = LabelSerial.__table__  # type: ignore[attr-defined]
    values: dict[str, Any] = {"state": state, "updated_at": datetime.now(UTC)}
    changed = 0
    for i in range(0, len(serials), 500):
        cond = [table.c.gtin == gtin, table.c.serial.in_(serials[i : i + 500])]
        if only_from is not None:
            cond.append(table.c.state == only_from)
        result = session.execute(sa.update(table).where(*cond).values(values))
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def run_status(session: Session, *, run_id: str) -> dict[str, Any]:
    """The run and its serials by state: ``committed`` are in the ledger (commissioned or
    printed), ``printed`` were written out, ``pending`` only allocated, ``voided``."""
    run = get_run(session, run_id=run_id)
    rows = _serials(session, run_id)
    by: dict[str, list[str]] = {s: [] for s in (ALLOCATED, COMMISSIONED, PRINTED, VOIDED)}
    for r in rows:
        by.setdefault(r.state, []).append(r.serial)
    return {
        "run_id": run.id,
        "gtin": run.gtin,
        "lot": run.lot,
        "expiry": run.expiry.isoformat(),
        "format": run.format,
        "status": run.status,
        "count": run.count,
        "committed": by[COMMISSIONED] + by[PRINTED],
        "printed": by[PRINTED],
        "pending": by[ALLOCATED],
        "voided": by[VOIDED],
    }


def _writer(run: LabelRun, out_dir: Path, qr_engine: QrEngine, tag: str = "") -> RunWriter:
    opts = run.options or {}
    return RunWriter(
        out_dir=out_dir,
        run_id=run.id + tag,
        format=run.format,
        gtin=run.gtin,
        lot=run.lot,
        resolver=run.resolver,
        symbol=run.symbol,
        dpi=run.dpi,
        product_name=run.product_name,
        label_size=(float(opts.get("label_w", 70.0)), float(opts.get("label_h", 37.0))),
        qr_engine=qr_engine,
    )


def _data(run: LabelRun, rows: list[LabelSerial]) -> list[tuple[int, LabelData]]:
    return [
        (r.position, LabelData(gtin=run.gtin, lot=run.lot, expiry=run.expiry, serial=r.serial))
        for r in rows
    ]


def print_run(
    engine: Engine,
    *,
    run_id: str,
    station: StationKey,
    out_dir: Path,
    chunk: int = 200,
    progress: Progress | None = None,
    qr_engine: QrEngine = "zint",
) -> RunReport:
    """Commission, render and write every serial of the run not yet printed (see module doc)."""
    with session_scope(engine=engine) as session:
        run = get_run(session, run_id=run_id)
        todo = _serials(session, run_id, (ALLOCATED, COMMISSIONED))
        device = session.get(Device, station.device_id)
        if device is None:
            raise RunStateError(f"station {station.device_id} is not registered", field="station")
        rp = read_point(session, device=device)
    writer = _writer(run, out_dir, qr_engine)
    indexes: list[int] = []
    pdf_done: list[str] = []
    for i in range(0, len(todo), chunk):
        part = todo[i : i + chunk]
        fresh = [r.serial for r in part if r.state == ALLOCATED]
        if fresh:
            with session_scope(engine=engine) as session:
                # claim the chunk first: a second process printing the same run finds the
                # serials no longer allocated and stops, its transaction rolled back
                claimed = _mark(session, run.gtin, fresh, COMMISSIONED, only_from=ALLOCATED)
                if claimed != len(fresh):
                    raise RunStateError(
                        f"run {run.id} is being printed by another process", field="run"
                    )
                ev = commission.commissioning_event(
                    gtin=run.gtin,
                    serials=fresh,
                    lot=run.lot,
                    expiry=run.expiry.isoformat(),
                    read_point=rp,
                    cp_len=product_prefix_length(session, gtin=run.gtin),
                )
                results = commission.record(session, station=station, events=[ev])
                indexes += [r.index for r in results]
        writer.write(_data(run, part))
        serials = [r.serial for r in part]
        if run.format == "pdf":
            pdf_done += serials
        else:
            with session_scope(engine=engine) as session:
                _mark(session, run.gtin, serials, PRINTED)
        if progress is not None:
            progress(len(part))
    files = writer.finish()
    with session_scope(engine=engine) as session:
        if pdf_done:
            _mark(session, run.gtin, pdf_done, PRINTED)
        row = get_run(session, run_id=run_id)
        row.status = "done"
        row.finished_at = datetime.now(UTC)
        session.add(row)
    with session_scope(engine=engine) as session:
        status = run_status(session, run_id=run_id)
        all_serials = [r.serial for r in _serials(session, run_id)]
    return RunReport(
        run_id=run.id,
        gtin=run.gtin,
        lot=run.lot,
        expiry=run.expiry.isoformat(),
        format=run.format,
        serials=all_serials,
        files=files,
        states={k: len(v) for k, v in status.items() if isinstance(v, list)},
        ledger_indexes=indexes,
    )


def _chosen(
    session: Session, run: LabelRun, serials: list[str], states: tuple[str, ...]
) -> list[LabelSerial]:
    rows = {r.serial: r for r in _serials(session, run.id)}
    out: list[LabelSerial] = []
    for s in serials:
        r = rows.get(s)
        if r is None:
            raise LabelInputError(
                f"serial: {s[:30]!r} is not a serial of run {run.id}", field="serial", value=s[:30]
            )
        if r.state not in states:
            raise RunStateError(
                f"serial: {s} is {r.state}; this needs {' or '.join(states)}",
                field="serial",
                value=s,
            )
        out.append(r)
    if not out:
        raise LabelInputError("serial: name at least one serial", field="serial")
    return out


def reprint(
    engine: Engine,
    *,
    run_id: str,
    serials: list[str],
    station: StationKey,
    out_dir: Path,
    qr_engine: QrEngine = "zint",
) -> RunReport:
    """Record a reprint (``OBSERVE``, :data:`commission.REPRINT_BIZSTEP`) and render again."""
    with session_scope(engine=engine) as session:
        run = get_run(session, run_id=run_id)
        rows = _chosen(session, run, serials, (PRINTED, COMMISSIONED))
        device = session.get(Device, station.device_id)
        rp = read_point(session, device=device) if device is not None else None
        ev = commission.reprint_event(
            gtin=run.gtin,
            serials=[r.serial for r in rows],
            run_id=run.id,
            read_point=rp,
            cp_len=product_prefix_length(session, gtin=run.gtin),
        )
        results = commission.record(session, station=station, events=[ev])
        table = LabelSerial.__table__  # type: ignore[attr-defined]
        session.execute(
            sa.update(table)
            .where(table.c.gtin == run.gtin, table.c.serial.in_([r.serial for r in rows]))
            .values(reprints=table.c.reprints + 1, state=PRINTED, updated_at=datetime.now(UTC))
        )
    writer = _writer(run, out_dir, qr_engine, tag=f"-reprint-{uuid.uuid4().hex[:8]}")
    writer.write(_data(run, rows))
    return RunReport(
        run_id=run.id,
        gtin=run.gtin,
        lot=run.lot,
        expiry=run.expiry.isoformat(),
        format=run.format,
        serials=[r.serial for r in rows],
        files=writer.finish(),
        ledger_indexes=[r.index for r in results],
    )


def void(engine: Engine, *, run_id: str, serials: list[str], station: StationKey) -> RunReport:
    """Decommission labels (``DELETE``, ``decommissioning``, ``inactive``); state ``voided``."""
    with session_scope(engine=engine) as session:
        run = get_run(session, run_id=run_id)
        rows = _chosen(session, run, serials, (PRINTED, COMMISSIONED))
        device = session.get(Device, station.device_id)
        rp = read_point(session, device=device) if device is not None else None
        ev = commission.decommission_event(
            gtin=run.gtin,
            serials=[r.serial for r in rows],
            read_point=rp,
            cp_len=product_prefix_length(session, gtin=run.gtin),
        )
        results = commission.record(session, station=station, events=[ev])
        _mark(session, run.gtin, [r.serial for r in rows], VOIDED)
    return RunReport(
        run_id=run.id,
        gtin=run.gtin,
        lot=run.lot,
        expiry=run.expiry.isoformat(),
        format=run.format,
        serials=[r.serial for r in rows],
        ledger_indexes=[r.index for r in results],
    )
