"""Printing on both stores: read back with zxing-cpp, serials unique across runs, every label
commissioned in the ledger with the station's signature, reprints and voids recorded as such,
and bad input consuming nothing."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from label_printing import (
    LabelInputError,
    RunStateError,
    check_request,
    open_station,
    print_labels,
    reprint,
    run_status,
    void,
)
from label_printing.commission import REPRINT_BIZSTEP, sgtin
from label_printing.models import LabelSerial
from tests.support.barcodes import decode_pdf, decode_png
from traceability.identifiers import parse_digital_link
from traceability.ledger import audit
from traceability.signing import envelope as env
from traceability.store.models import EventRow

GTIN = "09506000134352"
LOT = "L-2026/12"
RESOLVER = "https://dl.example.cn"


def _request(fmt: str, count: int) -> object:
    return check_request(
        gtin=GTIN, lot=LOT, expiry="2027-06-30", count=count, format=fmt, max_count=500,
        resolver=RESOLVER,
    )  # fmt: skip


def _links(files: list[Path], fmt: str) -> list[str]:
    if fmt == "pdf":
        return [t for page in decode_pdf(files[0]) for f, t in page if f == "QRCode"]
    return [t for p in files for f, t in decode_png(p) if f == "QRCode"]


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_two_runs_decode_to_unique_serials(engine: Engine, tmp_path: Path, fmt: str) -> None:
    station = open_station(engine, data_dir=tmp_path / "data", station="print-1")
    runs = [
        print_labels(engine, request=_request(fmt, 12), station=station, out_dir=tmp_path / f"r{i}")  # type: ignore[arg-type]
        for i in range(2)
    ]
    seen: list[set[str]] = []
    for rep in runs:
        links = _links(rep.files, fmt)
        assert len(links) == 12
        serials = set()
        for link in links:
            dl = parse_digital_link(link)  # the core's parser: the link is valid GS1
            assert link.startswith(RESOLVER + "/01/")
            assert dl.primary == ("01", GTIN)
            assert dl.qualifiers[0] == ("10", LOT)
            assert dl.attributes == (("17", "270630"),)
            serials.add(dl.qualifiers[1][1])
        assert serials == set(rep.serials)  # what was printed is what was allocated
        seen.append(serials)
    assert not seen[0] & seen[1]
    with Session(engine) as s:
        rows = s.exec(select(EventRow).where(EventRow.biz_step == "commissioning")).all()
        epcs = [e for r in rows for e in r.body["epcList"]]
        assert sorted(epcs) == sorted(sgtin(GTIN, x) for x in seen[0] | seen[1])
        assert {r.device_id for r in rows} == {"print-1"}
        assert all(r.action == "ADD" and r.body["ilmd"]["cbvmda:lotNumber"] == LOT for r in rows)
        assert audit.audit(s).ok  # signatures, records and derived rows all check out


def test_reprint_and_void_are_recorded_as_such(engine: Engine, tmp_path: Path) -> None:
    station = open_station(engine, data_dir=tmp_path / "data", station="print-2")
    rep = print_labels(engine, request=_request("zpl", 4), station=station, out_dir=tmp_path / "o")  # type: ignore[arg-type]
    again = reprint(
        engine, run_id=rep.run_id, serials=rep.serials[:2], station=station, out_dir=tmp_path / "re"
    )
    assert again.files and again.files[0].read_text().count("^XA") == 2
    void(engine, run_id=rep.run_id, serials=[rep.serials[3]], station=station)
    with pytest.raises(RunStateError):
        reprint(engine, run_id=rep.run_id, serials=[rep.serials[3]], station=station,
                out_dir=tmp_path / "x")  # fmt: skip
    with pytest.raises(LabelInputError):
        void(engine, run_id=rep.run_id, serials=["NOT-A-SERIAL"], station=station)
    with Session(engine) as s:
        by_step: dict[str, list[EventRow]] = {}
        for row in s.exec(select(EventRow)).all():
            by_step.setdefault(row.biz_step or "", []).append(row)
        assert len(by_step["commissioning"]) == 1  # the reprint is not a commissioning
        (re_ev,) = by_step[REPRINT_BIZSTEP]
        assert re_ev.action == "OBSERVE"
        assert re_ev.body["suyuan:labelPrint"] == {"kind": "reprint", "run": rep.run_id}
        assert re_ev.body["epcList"] == [sgtin(GTIN, x) for x in rep.serials[:2]]
        (gone,) = by_step["decommissioning"]
        assert gone.action == "DELETE" and gone.disposition == "inactive"
        status = run_status(s, run_id=rep.run_id)
        assert status["voided"] == [rep.serials[3]]
        assert sorted(status["printed"]) == sorted(rep.serials[:3])
        assert audit.audit(s).ok
        # the records are signed by the station's registered key, as ingest would have them
        body = s.execute(sa.text("select body from ledger_envelope")).scalars().all()
        docs = [json.loads(b) for b in body]
        assert {d["device"] for d in docs} == {"print-2"}
        assert all(env.body_events(b) for b in body)


def test_bad_input_consumes_no_serial(engine: Engine, tmp_path: Path) -> None:
    open_station(engine, data_dir=tmp_path / "data", station="print-3")
    for bad in ({"gtin": "09506000134353"}, {"lot": "a b"}, {"expiry": "2027-13-01"},
                {"count": 0}, {"count": 501}, {"format": "bmp"}):  # fmt: skip
        args = {"gtin": GTIN, "lot": LOT, "expiry": "2027-06-30", "count": 2, "format": "png"}
        with pytest.raises(LabelInputError) as info:
            check_request(**{**args, **bad}, max_count=500)  # type: ignore[arg-type]
        assert info.value.field == next(iter(bad))
    with Session(engine) as s:
        assert s.exec(select(sa.func.count()).select_from(LabelSerial)).one() == 0


def test_percent_encoded_lot_round_trips(engine: Engine, tmp_path: Path) -> None:
    station = open_station(engine, data_dir=tmp_path / "data", station="print-4")
    req = check_request(gtin=GTIN, lot="A%/&?+", expiry="2027-06-30", count=1, format="png",
                        max_count=5)  # fmt: skip
    rep = print_labels(engine, request=req, station=station, out_dir=tmp_path / "o")
    (link,) = _links(rep.files, "png")
    assert unquote(link.split("/10/")[1].split("/21/")[0]) == "A%/&?+"
    assert parse_digital_link(link).qualifiers[0] == ("10", "A%/&?+")


def test_two_resumes_of_one_run_commission_each_serial_once(engine: Engine, tmp_path: Path) -> None:
    import threading
    from collections import Counter

    from label_printing import print_run, start_run

    station = open_station(engine, data_dir=tmp_path / "data", station="print-5")
    run_id = start_run(engine, request=_request("zpl", 120), station=station)  # type: ignore[arg-type]
    errors: list[BaseException] = []

    def go(k: int) -> None:
        try:
            print_run(engine, run_id=run_id, station=station, out_dir=tmp_path / f"t{k}", chunk=10)
        except RunStateError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    print_run(engine, run_id=run_id, station=station, out_dir=tmp_path / "last", chunk=10)
    with Session(engine) as s:
        epcs = Counter(
            e
            for r in s.exec(select(EventRow).where(EventRow.biz_step == "commissioning"))
            for e in r.body["epcList"]
        )
        status = run_status(s, run_id=run_id)
        assert audit.audit(s).ok
    assert len(epcs) == 120 and set(epcs.values()) == {1}
    assert len(status["printed"]) == 120
    assert all("another process" in str(e) for e in errors)
