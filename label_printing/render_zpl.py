"""ZPL II for Zebra printers at 203 and 300 dpi: item labels and the GS1 logistic label.

Item label (one ``^XA``..``^XZ`` per label): ``^CI28`` (UTF-8), the Digital Link as a QR Code
(``^BQN,2,m`` with ``^FDQA,`` -- error correction Q, automatic mode -- before the data), the GS1
DataMatrix as ``^BXN,h,200,,,,`` + "`" declaring the grave accent the escape character and
"`1" (FNC1) first and after every variable-length AI but the last, and the human-readable
lines. The escape is the grave accent because it is outside GS1 character set 82: no lot or
serial can contain it (``_``, the usual choice, is in set 82: a serial ``X_1`` would turn into
``X`` + FNC1). Neither field needs ``^FH``: the QR data is a percent-encoded URI on a resolver
without ``^`` or ``~``, and set 82 has neither; the text lines are hex-escaped (``^FH_``).

The logistic label (:func:`pallet_label`) is A6 (105 x 148 mm): the SSCC in text, a content
block, a GS1-128 of (02) GTIN, (17) expiry, (10) lot and (37) count, and the SSCC as GS1-128
``(00)`` -- the lowest barcode on the label (GS1 Logistic Label Guideline).
"""

from __future__ import annotations

import datetime as dt

from label_printing.payloads import LabelData

DOTS_PER_MM = {203: 8.0, 300: 11.811}
ITEM_MM = (70.0, 37.0)
A6_MM = (105.0, 148.0)


def _d(mm: float, dpi: int) -> int:
    return round(mm * DOTS_PER_MM[dpi])


def _esc(text: str) -> str:
    """A field value under ``^FH_``: ``_`` itself, ``^`` and ``~`` hex-escaped."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


ESCAPE = "`"
FNC1 = ESCAPE + "1"


def datamatrix_field(data: LabelData) -> str:
    """``^FD`` content of the GS1 DataMatrix: FNC1 first and as the separator after (10)."""
    return f"{FNC1}01{data.gtin}17{data.yymmdd}10{data.lot}{FNC1}21{data.serial}"


class ItemTemplate:
    """The parts of an item label that do not change within a run, laid out once."""

    def __init__(self, *, dpi: int, product_name: str = "") -> None:
        self.dpi = dpi
        w, h = ITEM_MM
        qr_mag = 3 if dpi == 203 else 4
        dm_mod = 4 if dpi == 203 else 6
        pad = _d(2, dpi)
        font = _d(2.4, dpi)
        self.head = (
            f"^XA^CI28^PW{_d(w, dpi)}^LL{_d(h, dpi)}^LH0,0^FO{pad},{pad}^BQN,2,{qr_mag}^FDQA,"
        )
        self.after_qr = f"^FS^FO{_d(33, dpi)},{pad + _d(1, dpi)}^BXN,{dm_mod},200,,,,{ESCAPE}^FD"
        self.text_x = _d(33, dpi)
        self.text_y0 = _d(19, dpi)
        self.line = _d(3.2, dpi)
        self.font = f"^A0N,{font},{font}"
        self.name = _esc(product_name)

    def render(self, data: LabelData, *, link: str) -> str:
        lines = [
            self.name,
            f"GTIN {data.gtin}",
            f"EXP {data.expiry.isoformat()}  LOT {_esc(data.lot)}",
            f"SN {_esc(data.serial)}",
        ]
        parts = [self.head, link, self.after_qr, datamatrix_field(data), "^FS"]
        y = self.text_y0
        for text in lines:
            if text:
                parts.append(f"^FO{self.text_x},{y}{self.font}^FH_^FD{text}^FS")
                y += self.line
        parts.append("^XZ\n")
        return "".join(parts)


def pallet_label(
    *,
    sscc: str,
    gtin: str,
    count: int,
    lot: str,
    expiry: dt.date,
    company: str,
    dpi: int,
) -> str:
    """The GS1 logistic label (A6) for one pallet; the SSCC barcode is the lowest."""
    w, h = A6_MM
    x = _d(6, dpi)
    big = _d(5, dpi)
    small = _d(3.5, dpi)
    mod = 2 if dpi == 203 else 3
    yymmdd = expiry.strftime("%y%m%d")
    # subset C for the 24 fixed digits, then B (">6") for (10) and (37); ">8" is FNC1, ">0" a
    # literal ">" (a lot may hold one; the lot is not last: zpl-renderer-js drops the character
    # after a final ">0")
    top_bar = f">;>802{gtin}17{yymmdd}>610{_esc(lot).replace('>', '>0')}>837{count}"
    rows = [
        f"^XA^CI28^PW{_d(w, dpi)}^LL{_d(h, dpi)}^LH0,0",
        f"^FO{x},{_d(5, dpi)}^A0N,{big},{big}^FH_^FD{_esc(company)}^FS",
        f"^FO{x},{_d(12, dpi)}^GB{_d(w - 12, dpi)},2,2^FS",
        f"^FO{x},{_d(15, dpi)}^A0N,{small},{small}^FDSSCC^FS",
        f"^FO{x},{_d(20, dpi)}^A0N,{big},{big}^FD{sscc}^FS",
        f"^FO{x},{_d(28, dpi)}^A0N,{small},{small}^FDCONTENT  {gtin}^FS",
        f"^FO{x},{_d(33, dpi)}^A0N,{small},{small}^FDCOUNT  {count}^FS",
        f"^FO{x},{_d(38, dpi)}^A0N,{small},{small}^FDEXPIRY  {expiry.isoformat()}^FS",
        f"^FO{x},{_d(43, dpi)}^A0N,{small},{small}^FH_^FDBATCH/LOT  {_esc(lot)}^FS",
        f"^FO{x},{_d(50, dpi)}^GB{_d(w - 12, dpi)},2,2^FS",
        f"^BY{mod}^FO{x},{_d(56, dpi)}^BCN,{_d(25, dpi)},Y,N,N^FH_^FD{top_bar}^FS",
        f"^BY{mod}^FO{x},{_d(100, dpi)}^BCN,{_d(30, dpi)},Y,N,N^FD>;>800{sscc}^FS",
        "^XZ\n",
    ]
    return "".join(rows)
