"""Writing a run's labels: PNG/SVG one file per label, PDF one sheet file, ZPL one file.

Every file is written to a temporary name and renamed into place, so a file that exists is
complete. PNG/SVG files are named ``{position:06d}-{serial}.{ext}``; the PDF
``labels-{run}.pdf``; the ZPL ``labels-{run}.zpl`` (labels appended chunk by chunk, each chunk
``fsync``-ed before its serials are marked printed).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from label_printing.payloads import LabelData, digital_link_fast, hri_lines, link_prefix, zint_gs1
from label_printing.render_image import png_label, svg_label
from label_printing.render_pdf import SheetLayout, SheetWriter
from label_printing.render_zpl import ItemTemplate
from label_printing.symbols import QrEngine, datamatrix_matrix, qr_matrix

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


def label_filename(*, position: int, serial: str, ext: str) -> str:
    return f"{position:06d}-{_UNSAFE.sub('_', serial)}.{ext}"


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(data)
    tmp.replace(path)


class RunWriter:
    """Renders and writes the labels of one run into ``out_dir``."""

    def __init__(
        self,
        *,
        out_dir: Path,
        run_id: str,
        format: str,
        gtin: str,
        lot: str,
        resolver: str,
        symbol: str = "qr",
        dpi: int = 203,
        product_name: str = "",
        label_size: tuple[float, float] = (70.0, 37.0),
        qr_engine: QrEngine = "zint",
    ) -> None:
        self.out_dir = out_dir
        self.run_id = run_id
        self.format = format
        self.symbol = symbol
        self.product_name = product_name
        self.qr_engine: QrEngine = qr_engine
        self.prefix = link_prefix(gtin=gtin, lot=lot, resolver=resolver)
        self.files: list[Path] = []
        self._sheet: SheetWriter | None = None
        self._zpl: ItemTemplate | None = None
        if format == "pdf":
            w, h = label_size
            self._sheet = SheetWriter(layout=SheetLayout(label_w=w, label_h=h), title=run_id)
        if format == "zpl":
            self._zpl = ItemTemplate(dpi=dpi, product_name=product_name)

    @property
    def zpl_path(self) -> Path:
        return self.out_dir / f"labels-{self.run_id}.zpl"

    @property
    def pdf_path(self) -> Path:
        return self.out_dir / f"labels-{self.run_id}.pdf"

    def link(self, data: LabelData) -> str:
        return digital_link_fast(data, prefix=self.prefix)

    def write(self, labels: list[tuple[int, LabelData]]) -> list[Path]:
        """Render and write ``(position, data)`` labels; returns the files written or grown.
        The PDF is only written by :meth:`finish`."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        if self.format == "zpl":
            assert self._zpl is not None
            text = "".join(self._zpl.render(d, link=self.link(d)) for _, d in labels)
            with self.zpl_path.open("a", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            if self.zpl_path not in self.files:
                self.files.append(self.zpl_path)
            return [self.zpl_path]
        if self.format == "pdf":
            assert self._sheet is not None
            for _, d in labels:
                self._sheet.add(
                    qr=qr_matrix(self.link(d), engine=self.qr_engine),
                    datamatrix=datamatrix_matrix(zint_gs1(d)),
                    lines=hri_lines(d, product_name=self.product_name),
                )
            return []
        written: list[Path] = []
        for pos, d in labels:
            m = (
                qr_matrix(self.link(d), engine=self.qr_engine)
                if self.symbol == "qr"
                else datamatrix_matrix(zint_gs1(d))
            )
            lines = hri_lines(d, product_name=self.product_name)
            path = self.out_dir / label_filename(position=pos, serial=d.serial, ext=self.format)
            if self.format == "png":
                _atomic_write(path, png_label(m, lines=lines, symbol=self.symbol))
            else:
                _atomic_write(path, svg_label(m, lines=lines, symbol=self.symbol).encode())
            written.append(path)
        self.files += written
        return written

    def finish(self) -> list[Path]:
        """Write what is written at the end (the PDF); returns every file of this writer."""
        if self._sheet is not None:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            _atomic_write(self.pdf_path, self._sheet.output())
            self.files.append(self.pdf_path)
        return list(self.files)
