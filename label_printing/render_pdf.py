"""PDF label sheets (fpdf2): A4 pages holding a grid of labels of a configurable size (default
70 x 37 mm: 3 x 8 = 24 a page), the grid centred on the sheet.

Each label: the QR Code of the Digital Link and the GS1 DataMatrix of the element string side by
side, and under them the product name, GTIN, expiry, lot and serial as text. The codes are drawn
as vector rectangles (one per dark run of modules) written straight into the page's content
stream, which is what makes a sheet fast; text uses the core Helvetica font (Latin-1: other
characters of a product name print as ``?``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

from label_printing.symbols import Matrix

A4 = (210.0, 297.0)
FONT_PT = 6.0
LINE_MM = 2.5


@dataclass(frozen=True, slots=True)
class SheetLayout:
    label_w: float = 70.0
    label_h: float = 37.0

    @property
    def cols(self) -> int:
        return max(1, int(A4[0] // self.label_w))

    @property
    def rows(self) -> int:
        return max(1, int(A4[1] // self.label_h))

    @property
    def origin(self) -> tuple[float, float]:
        """Top-left of the grid: the sheet's spare width and height split evenly (label sheets
        such as 3 x 8 of 70 x 37 mm run edge to edge)."""
        return (A4[0] - self.cols * self.label_w) / 2, (A4[1] - self.rows * self.label_h) / 2

    @property
    def per_page(self) -> int:
        return self.cols * self.rows


class SheetWriter:
    """Add labels one at a time; :meth:`output` gives the PDF bytes."""

    def __init__(self, *, layout: SheetLayout, title: str = "labels") -> None:
        self.layout = layout
        self.pdf = FPDF(unit="mm", format="A4")
        self.pdf.set_auto_page_break(False)
        self.pdf.set_title(title)
        self.pdf.set_creator("suyuan label_printing")
        self.pdf.set_font("helvetica", size=FONT_PT)
        self.count = 0

    def _codes(self, m: Matrix, x: float, y: float, side: float, quiet: int) -> None:
        w, _h = m.size
        mod = side / (w + 2 * quiet)
        k = self.pdf.k
        page_h = self.pdf.h
        x0 = x + quiet * mod
        y0 = y + quiet * mod
        ops = [
            f"{(x0 + cx * mod) * k:.2f} {(page_h - (y0 + cy * mod)) * k:.2f} "
            f"{n * mod * k:.2f} {-mod * k:.2f} re"
            for cx, cy, n in m.runs()
        ]
        self.pdf._out("0 g " + " ".join(ops) + " f")

    def add(self, *, qr: Matrix, datamatrix: Matrix, lines: list[str]) -> None:
        lay = self.layout
        slot = self.count % lay.per_page
        if slot == 0:
            self.pdf.add_page()
        col, row = slot % lay.cols, slot // lay.cols
        x0, y0 = lay.origin
        x = x0 + col * lay.label_w
        y = y0 + row * lay.label_h
        text_h = LINE_MM * len(lines) + 1.0
        side = min(lay.label_h - text_h - 2.0, (lay.label_w - 6.0) / 2)
        self._codes(qr, x + 1.0, y + 1.0, side, 4)
        dm_side = side * 0.8
        self._codes(datamatrix, x + 3.0 + side, y + 1.0 + (side - dm_side) / 2, dm_side, 2)
        ty = y + 1.0 + side + LINE_MM
        for line in lines:
            self.pdf.text(x + 2.0, ty, line.encode("latin-1", "replace").decode("latin-1"))
            ty += LINE_MM
        self.count += 1

    def output(self) -> bytes:
        if self.count == 0:
            self.pdf.add_page()
        return bytes(self.pdf.output())
