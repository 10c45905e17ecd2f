"""Label benchmark: ``python -m bench.labels [--labels N] [--json]``; last stdout line = JSON.

Labels per second for each output format at N labels (default 10,000): render and write a run's
labels with :class:`label_printing.output.RunWriter` into a scratch folder (PNG/SVG one file per
label, PDF one sheet file, ZPL one file). Baselines in the same run: building the payloads alone
(Digital Link + GS1 element string + text lines per label: what every format does before it
draws anything) and encoding the symbols alone (QR + DataMatrix module matrices, no drawing or
writing); each format's ``ratio`` is its rate over the payload baseline. Alternatives measured
on a sample: PNG with the ``qrcode`` package instead of libzint. ``--ledger`` adds the whole
path on a scratch SQLite store: allocation, signed commissioning events in the ledger, ZPL.
Targets: ZPL >= 20,000 labels/s, PDF (with QR) >= 300/s, PNG >= 150/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from label_printing.output import RunWriter
from label_printing.payloads import (
    LabelData,
    digital_link_fast,
    element_string,
    hri_lines,
    link_prefix,
    zint_gs1,
)
from label_printing.symbols import QrEngine, datamatrix_matrix, qr_matrix

GTIN = "09506000134352"
LOT = "BENCH-2026"
RESOLVER = "https://id.gs1.org"
TARGETS = {"zpl": 20_000.0, "pdf": 300.0, "png": 150.0}
EXPIRY = dt.date(2027, 12, 31)


def _labels(n: int) -> list[tuple[int, LabelData]]:
    return [(i, LabelData(gtin=GTIN, lot=LOT, expiry=EXPIRY, serial=f"{i:012d}")) for i in range(n)]


def link_rate(labels: list[tuple[int, LabelData]]) -> float:
    prefix = link_prefix(gtin=GTIN, lot=LOT, resolver=RESOLVER)
    t0 = time.perf_counter()
    for _, d in labels:
        digital_link_fast(d, prefix=prefix)
    return len(labels) / (time.perf_counter() - t0)


def payload_rate(labels: list[tuple[int, LabelData]]) -> float:
    prefix = link_prefix(gtin=GTIN, lot=LOT, resolver=RESOLVER)
    t0 = time.perf_counter()
    for _, d in labels:
        digital_link_fast(d, prefix=prefix)
        element_string(d)
        hri_lines(d, product_name="Bench product")
    return len(labels) / (time.perf_counter() - t0)


def symbol_rate(labels: list[tuple[int, LabelData]], engine: QrEngine = "zint") -> float:
    prefix = link_prefix(gtin=GTIN, lot=LOT, resolver=RESOLVER)
    t0 = time.perf_counter()
    for _, d in labels:
        qr_matrix(digital_link_fast(d, prefix=prefix), engine=engine)
        datamatrix_matrix(zint_gs1(d))
    return len(labels) / (time.perf_counter() - t0)


def format_rate(
    labels: list[tuple[int, LabelData]], fmt: str, root: Path, engine: QrEngine = "zint"
) -> float:
    out = root / f"{fmt}-{engine}"
    writer = RunWriter(
        out_dir=out, run_id="bench", format=fmt, gtin=GTIN, lot=LOT, resolver=RESOLVER,
        product_name="Bench product", qr_engine=engine,
    )  # fmt: skip
    t0 = time.perf_counter()
    for i in range(0, len(labels), 200):
        writer.write(labels[i : i + 200])
    writer.finish()
    rate = len(labels) / (time.perf_counter() - t0)
    shutil.rmtree(out)
    return rate


def ledger_rate(n: int, root: Path) -> float:
    """Allocation + commissioning in the ledger + ZPL, on a scratch SQLite store."""
    from label_printing import check_request, open_station, print_labels
    from traceability.store.engine import create_engine, upgrade

    url = f"sqlite:///{root / 'bench.db'}"
    upgrade(url=url)
    engine = create_engine(url=url)
    station = open_station(engine, data_dir=root, station="bench-station")
    req = check_request(gtin=GTIN, lot=LOT, expiry=EXPIRY, count=n, format="zpl", max_count=n)
    t0 = time.perf_counter()
    print_labels(engine, request=req, station=station, out_dir=root / "ledger-zpl")
    rate = n / (time.perf_counter() - t0)
    engine.dispose()
    return rate


def run(n: int, *, sample: int = 500, ledger: bool = False) -> dict[str, Any]:
    labels = _labels(n)
    root = Path(tempfile.mkdtemp(prefix="bench-labels-"))
    try:
        base = link_rate(labels)
        payloads = payload_rate(labels)
        symbols = symbol_rate(labels)
        formats: dict[str, Any] = {}
        for fmt in ("zpl", "pdf", "png", "svg"):
            rate = format_rate(labels, fmt, root)
            row: dict[str, Any] = {"labels_per_s": round(rate, 1), "ratio": round(rate / base, 4)}
            if fmt in TARGETS:
                row["target"] = TARGETS[fmt]
                row["met"] = rate >= TARGETS[fmt]
            formats[fmt] = row
        small = labels[: min(sample, n)]
        alternatives = {
            "png_qrcode_package": round(format_rate(small, "png", root, "qrcode"), 1),
            "symbols_qrcode_package": round(symbol_rate(small, "qrcode"), 1),
            "sample": len(small),
        }
        out: dict[str, Any] = {
            "bench": "labels",
            "labels": n,
            "baseline_links_per_s": round(base, 1),
            "baseline_payloads_per_s": round(payloads, 1),
            "baseline_symbols_per_s": round(symbols, 1),
            "formats": formats,
            "alternatives": alternatives,
        }
        if ledger:
            out["ledger_zpl_labels_per_s"] = round(ledger_rate(n, root), 1)
        return out
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--labels", type=int, default=10_000)
    ap.add_argument("--sample", type=int, default=500, help="labels for the alternatives")
    ap.add_argument("--ledger", action="store_true", help="also the whole path on SQLite")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.labels < 1:
        ap.error("--labels must be >= 1")
    result = run(args.labels, sample=args.sample, ledger=args.ledger)
    if not args.json:
        for fmt, row in result["formats"].items():
            print(f"{fmt}: {row['labels_per_s']:,.0f} labels/s")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
