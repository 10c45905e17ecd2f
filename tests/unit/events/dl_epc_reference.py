"""The EPC URN -> Digital Link if-chain that ``traceability.events._dl._epc`` was before it
became a table (issue 13 item 4), kept unchanged as the oracle of ``test_dl_table.py``.

Change it only together with an intended change of the event hash's URN step.
"""

from __future__ import annotations

import re

from traceability.events._dl import (
    _CPI,
    _CPI_REF,
    _DIGITS12,
    _GDTI_SER,
    _RAW,
    _SERIAL16,
    _SERIAL20,
    _SERIAL28,
    _enc,
    _gtin,
    _split_cp,
    _with_cd,
)


def epc_before(kind: str, scheme: str, body: str) -> str | None:
    if kind == "id":
        if scheme == "sgtin" or scheme == "upui":
            s = _split_cp(body, 13)
            if s is None or s[2] == "\0":
                return None
            cp, ref, ser = s
            if scheme == "sgtin" and _SERIAL20.match(ser):
                return f"https://id.gs1.org/01/{_gtin(cp, ref)}/21/{_enc(ser)}"
            if scheme == "upui" and _SERIAL28.match(ser):
                return f"https://id.gs1.org/01/{_gtin(cp, ref)}/235/{_enc(ser)}"
            return None
        if scheme in ("sscc", "gsrn", "gsrnp", "gsin"):
            total = {"sscc": 17, "gsrn": 17, "gsrnp": 17, "gsin": 16}[scheme]
            s = _split_cp(body, total)
            if s is None or s[2] != "\0":
                return None
            cp, ref, _ = s
            if scheme == "sscc":
                return "https://id.gs1.org/00/" + _with_cd(ref[:1] + cp + ref[1:])
            ai = {"gsrn": "8018", "gsrnp": "8017", "gsin": "402"}[scheme]
            return f"https://id.gs1.org/{ai}/{_with_cd(cp + ref)}"
        if scheme == "sgln":
            s = _split_cp(body, 12, allow_empty_ref=True)
            if s is None or s[2] == "\0" or not _SERIAL20.match(s[2]):
                return None
            gln = _with_cd(s[0] + s[1])
            if s[2] == "0":
                return f"https://id.gs1.org/414/{gln}"
            return f"https://id.gs1.org/414/{gln}/254/{_enc(s[2])}"
        if scheme == "pgln":
            s = _split_cp(body, 12, allow_empty_ref=True)
            if s is None or s[2] != "\0":
                return None
            return f"https://id.gs1.org/417/{_with_cd(s[0] + s[1])}"
        if scheme == "grai":
            s = _split_cp(body, 12, allow_empty_ref=True)
            if s is None or s[2] == "\0" or not _SERIAL16.match(s[2]):
                return None
            return f"https://id.gs1.org/8003/{_with_cd('0' + s[0] + s[1])}{_enc(s[2])}"
        if scheme == "gdti":
            s = _split_cp(body, 12, allow_empty_ref=True)
            if s is None or s[2] == "\0" or not _GDTI_SER.match(s[2]):
                return None
            return f"https://id.gs1.org/253/{_with_cd(s[0] + s[1])}{_enc(s[2])}"
        if scheme == "sgcn":
            s = _split_cp(body, 12, allow_empty_ref=True)
            if s is None or s[2] == "\0" or not _DIGITS12.match(s[2]):
                return None
            return f"https://id.gs1.org/255/{_with_cd(s[0] + s[1])}{s[2]}"
        if scheme in ("giai", "ginc"):
            cp, _, ref = body.partition(".")
            if not (cp.isdigit() and 6 <= len(cp) <= 12 and ref):
                return None
            if not re.match(_RAW + f"{{1,{30 - len(cp)}}}" + r"\Z", ref):
                return None
            ai = "8004" if scheme == "giai" else "401"
            return f"https://id.gs1.org/{ai}/{cp}{_enc(ref)}"
        if scheme == "cpi":
            cp, _, rest = body.partition(".")
            ref, sep, ser = rest.rpartition(".")
            if not (cp.isdigit() and 6 <= len(cp) <= 12 and sep and _DIGITS12.match(ser)):
                return None
            if not _CPI_REF.match(ref) or len(re.findall(_CPI, ref)) > 30 - len(cp):
                return None
            return f"https://id.gs1.org/8010/{_enc(cp + ref)}/8011/{ser}"
        if scheme == "itip":
            m = re.match(r"^(\d+)\.(\d+)\.(\d{2})\.(\d{2})\.(.*)\Z", body)
            if not m or not (6 <= len(m[1]) <= 12 and len(m[1]) + len(m[2]) == 13):
                return None
            if not _SERIAL20.match(m[5]):
                return None
            return f"https://id.gs1.org/8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}/21/{_enc(m[5])}"
        return None
    if kind == "class":
        if scheme != "lgtin":
            return None
        s = _split_cp(body, 13)
        if s is None or s[2] == "\0" or not _SERIAL20.match(s[2]):
            return None
        return f"https://id.gs1.org/01/{_gtin(s[0], s[1])}/10/{_enc(s[2])}"
    # idpat
    if scheme in ("sgtin", "upui"):
        s = _split_cp(body, 13)
        if s is None or s[2] != "*":
            return None
        return f"https://id.gs1.org/01/{_gtin(s[0], s[1])}"
    if scheme in ("grai", "gdti", "sgcn"):
        s = _split_cp(body, 12, allow_empty_ref=True)
        if s is None or s[2] != "*":
            return None
        if scheme == "grai":
            return f"https://id.gs1.org/8003/{_with_cd('0' + s[0] + s[1])}"
        ai = "253" if scheme == "gdti" else "255"
        return f"https://id.gs1.org/{ai}/{_with_cd(s[0] + s[1])}"
    if scheme == "cpi":
        cp, _, rest = body.partition(".")
        ref, sep, star = rest.rpartition(".")
        if not (cp.isdigit() and 6 <= len(cp) <= 12 and sep and star == "*"):
            return None
        if not _CPI_REF.match(ref):
            return None
        return f"https://id.gs1.org/8010/{_enc(cp + ref)}"
    if scheme == "itip":
        m = re.match(r"^(\d+)\.(\d+)\.(\d{2})\.(\d{2})\.\*\Z", body)
        if not m or not (6 <= len(m[1]) <= 12 and len(m[1]) + len(m[2]) == 13):
            return None
        return f"https://id.gs1.org/8006/{_gtin(m[1], m[2])}{m[3]}{m[4]}"
    return None
