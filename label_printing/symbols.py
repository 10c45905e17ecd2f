"""2-D symbols as module matrices: QR Code (Digital Link) and GS1 DataMatrix (element string).

Both are encoded by libzint (``zint-bindings``): the DataMatrix in GS1 mode (``]d2``: FNC1
first, FNC1/GS after variable-length AIs), the QR Code in byte mode with error correction
level M. ``qr_matrix(..., engine="qrcode")`` uses the ``qrcode`` package instead (pure Python;
the same symbol standard, measured about 60 times slower here: see ``bench.labels``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import zint
from PIL import Image

from label_printing.errors import RenderError

QrEngine = Literal["zint", "qrcode"]
_ECC = {"L": 1, "M": 2, "Q": 3, "H": 4}


@dataclass(frozen=True, slots=True)
class Matrix:
    """``rows[y][x]`` is 1 for a dark module; no quiet zone included."""

    rows: tuple[bytes, ...]

    @property
    def size(self) -> tuple[int, int]:
        return (len(self.rows[0]) if self.rows else 0, len(self.rows))

    def runs(self) -> list[tuple[int, int, int]]:
        """Dark runs as (x, y, length): what vector renderers draw as one rectangle each."""
        out: list[tuple[int, int, int]] = []
        for y, row in enumerate(self.rows):
            x, w = 0, len(row)
            while x < w:
                if row[x]:
                    start = x
                    while x < w and row[x]:
                        x += 1
                    out.append((start, y, x - start))
                else:
                    x += 1
        return out


def _from_zint(sym: zint.Symbol) -> Matrix:
    sym.scale = 0.5  # one pixel per module
    sym.buffer()
    bm = sym.bitmap
    if bm is None:
        raise RenderError("zint produced no bitmap", field="symbol")
    shape = bm.shape or (0, 0)
    h, w = shape[0], shape[1]
    red = bytes(bm)[::3]
    dark = red.translate(_DARK)
    return Matrix(rows=tuple(dark[y * w : (y + 1) * w] for y in range(h)))


_DARK = bytes([1 if i < 128 else 0 for i in range(256)])


def _encode(sym: zint.Symbol, data: str, what: str) -> None:
    try:
        sym.encode(data)
    except Exception as exc:  # zint raises RuntimeError with its error text
        raise RenderError(f"{what} cannot encode {data[:60]!r}: {exc}", field="symbol") from None


def qr_matrix(text: str, *, ecc: str = "M", engine: QrEngine = "zint") -> Matrix:
    """QR Code of ``text`` (a Digital Link URI), byte mode, error correction ``ecc``."""
    if engine == "qrcode":
        return _qrcode_matrix(text, ecc)
    sym = zint.Symbol()
    sym.symbology = zint.Symbology.QRCODE
    sym.option_1 = _ECC[ecc]
    _encode(sym, text, "QR Code")
    return _from_zint(sym)


def _qrcode_matrix(text: str, ecc: str) -> Matrix:
    import qrcode
    import qrcode.constants

    level = getattr(qrcode.constants, f"ERROR_CORRECT_{ecc}")
    q = qrcode.QRCode(error_correction=level, border=0)
    q.add_data(text)
    q.make(fit=True)
    return Matrix(rows=tuple(bytes(int(v) for v in row) for row in q.get_matrix()))


def datamatrix_matrix(gs1_brackets: str) -> Matrix:
    """GS1 DataMatrix (ECC 200, GS1 mode) of ``[01]...[17]...[10]...[21]...``."""
    sym = zint.Symbol()
    sym.symbology = zint.Symbology.DATAMATRIX
    sym.input_mode = zint.InputMode.GS1
    _encode(sym, gs1_brackets, "GS1 DataMatrix")
    return _from_zint(sym)


def gs1_128_image(gs1_brackets: str, *, scale: float = 2.0, height: float = 50.0) -> Image.Image:
    """GS1-128 (e.g. ``[00]{sscc}``) with its human-readable text, as a greyscale image."""
    sym = zint.Symbol()
    sym.symbology = zint.Symbology.GS1_128
    sym.height = height
    sym.scale = scale
    _encode(sym, gs1_brackets, "GS1-128")
    sym.buffer()
    bm = sym.bitmap
    if bm is None:
        raise RenderError("zint produced no bitmap", field="symbol")
    shape = bm.shape or (0, 0)
    return Image.frombytes("RGB", (shape[1], shape[0]), bytes(bm)).convert("L")


@lru_cache(maxsize=64)
def _blank(width: int, height: int) -> Image.Image:
    return Image.new("L", (width, height), 255)


def matrix_image(m: Matrix, *, module_px: int, quiet: int) -> Image.Image:
    """Greyscale image: ``module_px`` pixels per module, ``quiet`` modules of white around."""
    w, h = m.size
    raw = b"".join(m.rows).translate(_TO_GREY)
    small = Image.frombytes("L", (w, h), raw)
    big = small.resize((w * module_px, h * module_px), Image.Resampling.NEAREST)
    pad = quiet * module_px
    out = _blank(w * module_px + 2 * pad, h * module_px + 2 * pad).copy()
    out.paste(big, (pad, pad))
    return out


_TO_GREY = bytes([255 if i == 0 else 0 for i in range(256)])
