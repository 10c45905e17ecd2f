"""Every renderer read back by an independent decoder (zxing-cpp), content compared."""

from __future__ import annotations

import datetime as dt
import re
from io import BytesIO
from pathlib import Path

import pytest
from PIL import Image

from label_printing.output import RunWriter
from label_printing.payloads import LabelData, digital_link, zint_gs1
from label_printing.render_image import png_label, svg_label
from label_printing.render_zpl import ItemTemplate, pallet_label
from label_printing.symbols import datamatrix_matrix, qr_matrix
from tests.support.barcodes import decode_image, decode_pdf, decode_png

RESOLVER = "https://dl.example.cn"
SERIALS = ["7KU3FWUS2PPV", "A_1", "x%y/z", "12345678901234567890"]


def _data(serial: str, lot: str = "LOT_9>") -> LabelData:
    return LabelData(gtin="09506000134352", lot=lot, expiry=dt.date(2027, 1, 31), serial=serial)


def _dm_text(d: LabelData) -> str:
    return f"(01){d.gtin}(17){d.yymmdd}(10){d.lot}(21){d.serial}"


@pytest.mark.parametrize("engine", ["zint", "qrcode"])
def test_png_qr_decodes_to_the_digital_link(engine: str) -> None:
    for s in SERIALS:
        d = _data(s)
        link = digital_link(d, resolver=RESOLVER)
        png = png_label(qr_matrix(link, engine=engine), lines=["x"], symbol="qr")  # type: ignore[arg-type]
        assert decode_image(Image.open(BytesIO(png))) == [("QRCode", link)]


def test_png_datamatrix_is_gs1() -> None:
    import zxingcpp

    for s in SERIALS:
        d = _data(s)
        png = png_label(datamatrix_matrix(zint_gs1(d)), lines=[], symbol="datamatrix")
        (res,) = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
        assert res.format.name == "DataMatrix"
        assert res.symbology_identifier == "]d2"  # FNC1 first: GS1 mode
        assert res.text == _dm_text(d)


def test_svg_is_well_formed_and_carries_the_text() -> None:
    import xml.etree.ElementTree as ET

    d = _data("S<1>&")
    m = qr_matrix(digital_link(d, resolver=RESOLVER))
    svg = svg_label(m, lines=["(21) S<1>&"], symbol="qr")
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert texts == ["(21) S<1>&"]
    path = next(root.iter("{http://www.w3.org/2000/svg}path")).attrib["d"]
    dark = sum(sum(row) for row in m.rows)
    widths = [float(w) for w in re.findall(r"h([0-9.]+)v", path)]
    assert round(sum(widths) / 0.5) == dark  # every dark module drawn exactly once


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_run_writer_outputs_decode(tmp_path: Path, fmt: str) -> None:
    labels = [(i, _data(s)) for i, s in enumerate(SERIALS * 8)]  # 32: two A4 pages of 24
    writer = RunWriter(
        out_dir=tmp_path, run_id="r1", format=fmt, gtin="09506000134352", lot="LOT_9>",
        resolver=RESOLVER, product_name="Orchard apples 苹果",
    )  # fmt: skip
    writer.write(labels[:10])
    writer.write(labels[10:])
    files = writer.finish()
    links = sorted(digital_link(d, resolver=RESOLVER) for _, d in labels)
    if fmt == "png":
        assert len(files) == 32
        got = sorted(t for f in files for fmt_, t in decode_png(f) if fmt_ == "QRCode")
        assert got == links
    elif fmt == "pdf":
        assert files == [tmp_path / "labels-r1.pdf"]
        pages = decode_pdf(files[0])
        assert len(pages) == 2
        found = [x for page in pages for x in page]
        assert sorted(t for f, t in found if f == "QRCode") == links
        assert sorted(t for f, t in found if f == "DataMatrix") == sorted(
            _dm_text(d) for _, d in labels
        )
    else:
        assert len(files) == 32 and all(f.read_text().startswith("<svg") for f in files)


def test_zpl_item_labels_structure() -> None:
    for dpi in (203, 300):
        t = ItemTemplate(dpi=dpi, product_name="Amoxicillin 500 mg ^~")
        labels = [
            t.render(_data(s), link=digital_link(_data(s), resolver=RESOLVER)) for s in SERIALS
        ]
        for zpl, s in zip(labels, SERIALS, strict=True):
            assert zpl.startswith("^XA^CI28") and zpl.endswith("^XZ\n")
            assert zpl.count("^XA") == 1
            qr = re.search(r"\^BQN,2,\d+\^FDQA,([^\^]*)\^FS", zpl)
            assert qr is not None, zpl
            assert qr.group(1) == digital_link(_data(s), resolver=RESOLVER)
            assert "^BXN," in zpl and ",200,,,,`^FD`101" in zpl
            assert "^FH_^FDAmoxicillin 500 mg _5E_7E^FS" in zpl


def test_pallet_label_sscc_is_the_lowest_barcode() -> None:
    zpl = pallet_label(
        sscc="106141411234567897", gtin="09506000134352", count=48, lot="L1",
        expiry=dt.date(2027, 1, 31), company="Orchard Co", dpi=203,
    )  # fmt: skip
    assert "^CI28" in zpl
    bars = [
        (int(y), data)
        for y, data in re.findall(r"\^FO\d+,(\d+)\^BCN[^\^]*\^(?:FH_\^)?FD([^\^]*)", zpl)
    ]
    assert len(bars) == 2
    assert max(bars)[1] == ">;>800106141411234567897"
    assert "^PW840^LL1184" in zpl  # A6 (105 x 148 mm) at 8 dots/mm
