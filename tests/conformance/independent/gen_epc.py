"""Cases for EPC pure identity URNs and 96-bit hex encodings."""

from __future__ import annotations

from .case import Case
from .epc import EPC96, epc96_hex, epc_normalized, giai, grai, sgln, sgtin, sscc
from .gen_base import GenBase
from .gs1 import gs1_normalized


class EpcCases(GenBase):
    # EPC -------------------------------------------------------------------------------
    def epcs(self, per_partition: int) -> None:
        t = self.today
        for scheme, (_header, table, _tail) in EPC96.items():
            for part, (cp_bits, cp_digits, ref_bits, ref_digits) in enumerate(table):
                for _ in range(per_partition):
                    cp = self.digits(cp_digits)
                    ref = self.digits(ref_digits)
                    filt = self.rng.randint(0, 7)
                    if scheme == "sgtin":
                        serial_n = self.rng.choice([0, 1, self.rng.randint(0, 2**38 - 1)])
                        epc = sgtin(cp, ref, str(serial_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref), serial_n)
                    elif scheme == "sscc":
                        epc = sscc(cp, ref)
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref), 0)
                    elif scheme == "sgln":
                        ext_n = self.rng.choice([0, self.rng.randint(1, 2**41 - 1)])
                        epc = sgln(cp, ref, str(ext_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref or "0"), ext_n)
                    elif scheme == "grai":
                        serial_n = self.rng.randint(0, 2**38 - 1)
                        epc = grai(cp, ref, str(serial_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), int(ref or "0"), serial_n)
                    else:
                        iar_n = self.rng.randint(0, min(2**ref_bits - 1, 10 ** (30 - cp_digits)))
                        epc = giai(cp, str(iar_n))
                        hx = epc96_hex(scheme, filt, part, int(cp), iar_n, 0)
                    norm = epc_normalized(epc, t)
                    self.add(Case(epc.urn, True, frozenset({"epc_urn"}), norm, note=scheme))
                    hx_in = hx if self.rng.random() < 0.8 else hx.lower()
                    self.add(Case(hx_in, True, frozenset({"epc_hex"}), norm, note=f"{scheme}-96"))
                # a company prefix value that does not fit its digits
                if cp_digits < 12:
                    over = 10**cp_digits
                    if over < 2**cp_bits:
                        hx = epc96_hex(scheme, 1, part, over, 0, 0)
                        self.add(
                            Case(hx, False, frozenset({"epc_hex"}), note=f"{scheme} cp overflow")
                        )
            # a reference value that does not fit its digits
            if scheme in ("sgtin", "sscc") and 10 ** table[3][3] < 2 ** table[3][2]:
                hx = epc96_hex(scheme, 1, 3, 614141, 10 ** table[3][3], 0)
                self.add(Case(hx, False, frozenset({"epc_hex"}), note=f"{scheme} ref overflow"))
            if scheme == "sgln":
                # partition 0: the location reference has 0 digits, so its one bit must be 0
                hx = epc96_hex(scheme, 1, 0, 614141000001, 1, 0)
                self.add(Case(hx, False, frozenset({"epc_hex"}), note="sgln p0 ref bit"))
            # partition 7 is reserved
            header = EPC96[scheme][0]
            value = (header << 88) | (1 << 85) | (7 << 82) | 12345
            self.add(Case(f"{value:024X}", False, frozenset({"epc_hex"}), note="partition 7"))
        # the DESIGN example and other fixed points
        els = [("01", "80614141123458"), ("21", "6789")]
        norm = gs1_normalized(els, t) | {"epc_urn": "urn:epc:id:sgtin:0614141.812345.6789"}
        self.add(Case("3074257BF7194E4000001A85", True, frozenset({"epc_hex"}), norm))
        # unknown header (0x35 is GID? no: GID-96 is 0x35; 0xE2 is not an EPC header)
        self.add(Case("E2801160600002054E6BA4B4", False, frozenset({"epc_hex"}), note="hdr"))
        # URNs with escaped characters and alphanumeric serials
        for epc in (
            sgtin("0614141", "112345", "A%/B"),
            sgtin("4012345", "011111", "987"),
            sgln("0614141", "12345", "ab-1"),
            grai("0614141", "12345", "Z9"),
            giai("0614141", "ABC-1"),
            sscc("0614141", "1234567890"),
        ):
            self.add(Case(epc.urn, True, frozenset({"epc_urn"}), epc_normalized(epc, t)))
        for urn, note in (
            ("urn:epc:id:sgtin:0614141.81234.6789", "cp+ir must be 13 digits"),
            ("urn:epc:id:sscc:0614141.123456789", "cp+sr must be 17 digits"),
            ("urn:epc:id:sgln:0614141.1234.0", "cp+lr must be 12 digits"),
            ("urn:epc:id:sgtin:061414.1812345.6789", "6-digit prefix is fine"),
            ("urn:epc:id:sgtin:0614141.812345.", "empty serial"),
            ("urn:epc:id:foo:0614141.812345.1", "unknown scheme"),
        ):
            if note == "6-digit prefix is fine":
                e = sgtin("061414", "1812345", "6789")
                self.add(Case(urn, True, frozenset({"epc_urn"}), epc_normalized(e, t)))
            else:
                self.add(Case(urn, False, frozenset({"epc_urn"}), note=note))
