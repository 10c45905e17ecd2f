"""ZPL rendered offline by an independent renderer (npm zpl-renderer-js: zebrash in WebAssembly,
installed into .tools/node by ``.ci/zpl.sh``) and decoded with zxing-cpp: two runs for the same
GTIN and lot give Digital Links of that GTIN and lot with unique serials, no serial shared, and
every label has a QR field with the ECC/mode prefix."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from label_printing import check_request, open_station, pallet_label, print_labels
from label_printing.render_zpl import A6_MM, ITEM_MM
from tests.support.barcodes import decode_png
from traceability.identifiers import parse_digital_link

REPO = Path(__file__).resolve().parents[2]
RENDERER = REPO / ".tools" / "node" / "render.mjs"
GTIN = "09506000134352"
LOT = "RX_2027>A"


def render(zpl: Path, out: Path, size_mm: tuple[float, float], dpi: int) -> list[Path]:
    node = shutil.which("node")
    if node is None or not RENDERER.exists():
        pytest.fail("the ZPL renderer is not installed: run `bash .ci/zpl.sh` (make services)")
    dpmm = {203: 8, 300: 12}[dpi]
    subprocess.run(
        [node, str(RENDERER), str(zpl), str(out / zpl.stem), str(size_mm[0]), str(size_mm[1]),
         str(dpmm)],
        cwd=RENDERER.parent, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return sorted(out.glob(f"{zpl.stem}-*.png"))


@pytest.mark.parametrize("dpi", [203, 300])
def test_two_zpl_runs_decode_independently(engine: Engine, tmp_path: Path, dpi: int) -> None:
    station = open_station(engine, data_dir=tmp_path / "data", station="zebra-1")
    serial_sets = []
    for i in range(2):
        req = check_request(gtin=GTIN, lot=LOT, expiry="2027-02-28", count=6, format="zpl",
                            max_count=100, dpi=dpi, product_name="Amoxicillin 500mg")  # fmt: skip
        rep = print_labels(engine, request=req, station=station, out_dir=tmp_path / f"z{i}")
        (zpl,) = rep.files
        text = zpl.read_text()
        labels = re.findall(r"\^XA.*?\^XZ", text, flags=re.S)
        assert len(labels) == 6
        assert all(re.search(r"\^BQN,2,\d+\^FDQA,https://", lab) for lab in labels)
        pngs = render(zpl, tmp_path, ITEM_MM, dpi)
        assert len(pngs) == 6
        serials = set()
        for png in pngs:
            found = dict(decode_png(png))
            dl = parse_digital_link(found["QRCode"])
            assert dl.primary == ("01", GTIN) and dl.qualifiers[0] == ("10", LOT)
            serial = dl.qualifiers[1][1]
            assert found["DataMatrix"] == f"(01){GTIN}(17)270228(10){LOT}(21){serial}"
            serials.add(serial)
        assert serials == set(rep.serials)
        serial_sets.append(serials)
    assert not serial_sets[0] & serial_sets[1]


def test_pallet_label_renders_with_sscc_lowest(tmp_path: Path) -> None:
    import datetime as dt

    import zxingcpp
    from PIL import Image

    zpl = tmp_path / "pallet.zpl"
    zpl.write_text(pallet_label(sscc="106141411234567897", gtin=GTIN, count=48, lot=LOT,
                                expiry=dt.date(2027, 2, 28), company="Chongqing Pharma",
                                dpi=203))  # fmt: skip
    (png,) = render(zpl, tmp_path, A6_MM, 203)
    bars = zxingcpp.read_barcodes(Image.open(png).convert("L"))
    by_y = sorted(bars, key=lambda r: r.position.top_left.y)
    assert [b.text for b in by_y] == [
        f"(02){GTIN}(17)270228(10){LOT}(37)48",
        "(00)106141411234567897",
    ]
