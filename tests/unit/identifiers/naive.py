"""Deliberately naive reference implementations, written independently of the library.

Slow and simple on purpose: string slicing of bit strings, weights recomputed from the left.
Used by the hypothesis tests as an oracle.
"""

from __future__ import annotations

from urllib.parse import quote


def check_digit(body: str) -> str:
    # GS1: pad to 17 digits on the left, weights 3,1,3,1... from the left of the 17.
    padded = body.rjust(17, "0")
    total = 0
    for i in range(17):
        w = 3 if i % 2 == 0 else 1
        total = total + int(padded[i]) * w
    d = 10 - (total % 10)
    if d == 10:
        d = 0
    return str(d)


# SGTIN-96: for partition p, company prefix digits = 12 - p; bits from TDS table 14-2.
SGTIN_CP_BITS = [40, 37, 34, 30, 27, 24, 20]


def sgtin96_decode(hex_str: str) -> tuple[int, str]:
    """-> (filter, pure identity URN)"""
    bits = ""
    for ch in hex_str:
        bits += bin(int(ch, 16))[2:].zfill(4)
    assert bits[0:8] == "00110000"
    filt = int(bits[8:11], 2)
    p = int(bits[11:14], 2)
    cp_bits = SGTIN_CP_BITS[p]
    cp_digits = 12 - p
    ir_bits = 44 - cp_bits
    ir_digits = 13 - cp_digits
    cp = str(int(bits[14 : 14 + cp_bits], 2)).zfill(cp_digits)
    ir = str(int(bits[14 + cp_bits : 14 + cp_bits + ir_bits], 2)).zfill(ir_digits)
    serial = str(int(bits[58:96], 2))
    return filt, "urn:epc:id:sgtin:" + cp + "." + ir + "." + serial


def sgtin96_encode(filt: int, cp: str, ir: str, serial: int) -> str:
    p = 12 - len(cp)
    cp_bits = SGTIN_CP_BITS[p]
    bits = "00110000"
    bits += bin(filt)[2:].zfill(3)
    bits += bin(p)[2:].zfill(3)
    bits += bin(int(cp))[2:].zfill(cp_bits)
    bits += bin(int(ir))[2:].zfill(44 - cp_bits)
    bits += bin(serial)[2:].zfill(38)
    out = ""
    for i in range(0, 96, 4):
        out += "0123456789ABCDEF"[int(bits[i : i + 4], 2)]
    return out


def sgtin_urn_to_gtin_serial(urn: str) -> tuple[str, str]:
    rest = urn[len("urn:epc:id:sgtin:") :]
    cp, ir, serial = rest.split(".", 2)
    body = ir[0] + cp + ir[1:]
    serial = serial.replace("%2F", "/").replace("%22", '"').replace("%26", "&")
    serial = serial.replace("%3C", "<").replace("%3E", ">").replace("%3F", "?")
    serial = serial.replace("%25", "%")
    return body + check_digit(body), serial


def gtin_serial_to_sgtin_urn(gtin14: str, serial: str, cp_len: int) -> str:
    cp = gtin14[1 : 1 + cp_len]
    ir = gtin14[0] + gtin14[1 + cp_len : 13]
    esc = ""
    table = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
    for c in serial:
        esc += table.get(c, c)
    return "urn:epc:id:sgtin:" + cp + "." + ir + "." + esc


def digital_link(gtin14: str, serial: str | None = None, lot: str | None = None) -> str:
    uri = "https://id.gs1.org/01/" + gtin14
    if lot is not None:
        uri += "/10/" + quote(lot, safe="")
    if serial is not None:
        uri += "/21/" + quote(serial, safe="")
    return uri


def element_string(gtin14: str, serial: str | None = None, lot: str | None = None) -> str:
    s = "(01)" + gtin14
    if lot is not None:
        s += "(10)" + lot
    if serial is not None:
        s += "(21)" + serial
    return s
