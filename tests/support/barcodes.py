"""Read labels back with an independent decoder (zxing-cpp) and rasterise PDFs (pypdfium2)."""

from __future__ import annotations

from pathlib import Path

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image


def decode_image(img: Image.Image) -> list[tuple[str, str]]:
    """(format, text) of every barcode zxing-cpp finds; GS1 content in bracketed form."""
    return [(r.format.name, r.text) for r in zxingcpp.read_barcodes(img)]


def decode_png(path: Path) -> list[tuple[str, str]]:
    with Image.open(path) as img:
        return decode_image(img.convert("L"))


def decode_pdf(path: Path, *, dpi: int = 200) -> list[list[tuple[str, str]]]:
    """One list of decoded barcodes per page."""
    doc = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for i in range(len(doc)):
            page = doc[i]
            pages.append(decode_image(page.render(scale=dpi / 72).to_pil().convert("L")))
            page.close()
        return pages
    finally:
        doc.close()
