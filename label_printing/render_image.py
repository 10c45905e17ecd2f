"""One label per file: PNG (raster) and SVG (vector), a 2-D code with its text underneath.

The code is the QR Code of the Digital Link (``symbol="qr"``) or the GS1 DataMatrix of the
element string (``symbol="datamatrix"``); under it the human-readable lines of
:func:`label_printing.payloads.hri_lines`. Quiet zones: 4 modules (QR), 2 (DataMatrix).
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from label_printing.symbols import Matrix, matrix_image

MODULE_PX = 4
FONT_PX = 14
LINE_PX = 18
QUIET = {"qr": 4, "datamatrix": 2}


@lru_cache(maxsize=1)
def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=FONT_PX)


def png_label(
    matrix: Matrix, *, lines: list[str], symbol: str, module_px: int = MODULE_PX
) -> bytes:
    """PNG bytes (greyscale) of one label."""
    code = matrix_image(matrix, module_px=module_px, quiet=QUIET[symbol])
    width = max(code.width, 260)
    img = Image.new("L", (width, code.height + LINE_PX * len(lines) + 8), 255)
    img.paste(code, ((width - code.width) // 2, 0))
    draw = ImageDraw.Draw(img)
    font = _font()
    y = code.height
    for line in lines:
        draw.text((8, y), line, fill=0, font=font)
        y += LINE_PX
    out = BytesIO()
    img.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def svg_label(matrix: Matrix, *, lines: list[str], symbol: str, module_mm: float = 0.5) -> str:
    """SVG text of one label: the code as one path of dark runs, the text as ``<text>``."""
    w, h = matrix.size
    quiet = QUIET[symbol]
    side = (w + 2 * quiet) * module_mm
    width = max(side, 55.0)
    x0 = (width - side) / 2 + quiet * module_mm
    y0 = quiet * module_mm
    line_mm = 4.0
    height = (h + 2 * quiet) * module_mm + line_mm * len(lines) + 2
    path = "".join(
        f"M{x0 + x * module_mm:.2f} {y0 + y * module_mm:.2f}h{n * module_mm:.2f}"
        f"v{module_mm:.2f}h{-n * module_mm:.2f}z"
        for x, y, n in matrix.runs()
    )
    ty = (h + 2 * quiet) * module_mm
    texts = "".join(
        f'<text x="2" y="{ty + line_mm * (i + 1):.2f}">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" version="1.1" '
        f'width="{width:.2f}mm" height="{height:.2f}mm" viewBox="0 0 {width:.2f} {height:.2f}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<path d="{path}" fill="#000" shape-rendering="crispEdges"/>'
        f'<g font-family="monospace" font-size="3">{texts}</g></svg>\n'
    )
