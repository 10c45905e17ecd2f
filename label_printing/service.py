"""The label-printing service: one call from a checked request to printed, ledgered labels.

:func:`print_labels` registers the station (key file, device, key) when needed, records the
run and its serials (committed before rendering), then :func:`label_printing.runs.print_run`.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import Engine

from label_printing.errors import LabelInputError
from label_printing.request import LabelRequest
from label_printing.runs import Progress, RunReport, create_run, print_run
from label_printing.station import StationKey, ensure_station, load_or_create_key
from label_printing.symbols import QrEngine
from traceability.store.engine import session_scope


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder (and parents) and check it is writable: before any serial is
    allocated, so a bad ``--out`` consumes nothing."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = out_dir / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise LabelInputError(
            f"out: cannot write to {str(out_dir)[:120]}: {exc.strerror or exc}",
            field="out",
            value=str(out_dir)[:120],
        ) from None


def open_station(
    engine: Engine,
    *,
    data_dir: Path,
    station: str,
    party_id: str | None = None,
    location_id: str | None = None,
) -> StationKey:
    """The station's key (created when missing), its device and key registered."""
    key = load_or_create_key(data_dir=data_dir, station=station)
    with session_scope(engine=engine) as session:
        ensure_station(session, key=key, party_id=party_id, location_id=location_id)
    return key


def start_run(engine: Engine, *, request: LabelRequest, station: StationKey) -> str:
    """Record the run and allocate its serials (committed); returns the run id."""
    with session_scope(engine=engine) as session:
        run = create_run(session, request=request, station_id=station.device_id)
        return run.id


def print_labels(
    engine: Engine,
    *,
    request: LabelRequest,
    station: StationKey,
    out_dir: Path,
    chunk: int = 200,
    progress: Progress | None = None,
    on_start: Progress | None = None,
    qr_engine: QrEngine = "zint",
) -> RunReport:
    prepare_out_dir(out_dir)
    run_id = start_run(engine, request=request, station=station)
    if on_start is not None:
        on_start(request.count)
    return print_run(
        engine,
        run_id=run_id,
        station=station,
        out_dir=out_dir,
        chunk=chunk,
        progress=progress,
        qr_engine=qr_engine,
    )
