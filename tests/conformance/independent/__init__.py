"""Identifier cases computed from the published rules, without the implementation.

Nothing here imports ``traceability``: every expected value is derived from the rules as
published, so that the implementation can be checked against a second reading of them.

Rules relied on
---------------
* GS1 General Specifications: mod-10 check digit (weights 3,1,3,... from the right, excluding
  the check digit); GTIN-8/12/13/14, GLN-13, SSCC-18; YYMMDD dates with the century rule of
  section 7.12 (YY - current YY in 51..99: previous century, in -99..-50: next century);
  day 00 permitted in the date AIs 11-17 (normalised here as the last day of the month);
  FNC1/GS (0x1D) after a variable-length element unless it is the last; the predefined-length
  AI prefixes (00-04, 11-20, 31-36, 41) need no separator.
* GS1 Digital Link URI syntax 1.x: ``{stem}/{primary AI}/{key}[/{qualifier AI}/{value}...]
  [?{attribute AI}={value}&...]``; qualifier order 01 -> 22, 10, 21 (each optional, in this
  order), 414 -> 254, 8006 -> 22, 10, 21; data attributes (e.g. 17) only in the query string;
  non-numeric query parameters are not GS1 data and are ignored. Canonical form: stem
  ``https://id.gs1.org``, numeric AIs, GTIN as 14 digits, qualifiers in the prescribed order,
  attributes kept in their order, every value character outside ``A-Za-z0-9-._~`` percent-
  encoded with upper-case hex (as GS1's own syntax engine does).
* EPC Tag Data Standard 2.x: EPC pure identity URNs for SGTIN, SSCC, SGLN, GRAI, GIAI and the
  96-bit encodings SGTIN-96 (0x30), SSCC-96 (0x31), SGLN-96 (0x32), GRAI-96 (0x33), GIAI-96
  (0x34): header 8, filter 3, partition 3, then the partitioned company prefix / reference
  fields and the serial, with the partition tables below.
* GB 32100-2015 unified social credit code: 18 characters of ``0-9 A-H J-N P-R T U W-Y``;
  positions 9-17 are the GB 11714-1997 organisation code (8 characters + check, weights
  3,7,9,10,5,8,4,2, check = 11 - sum mod 11, 10 -> X, 11 -> 0); the 18th is the check
  character with weights 3^(i-1) mod 31, check = (31 - sum mod 31) mod 31.
* Special-equipment code (TSG catalogue): variety (4) + manufacturer (5) + year (4) +
  sequence (5), variety's first character a catalogue top class (1-9 or F).
"""

from __future__ import annotations

from .case import Case
from .generator import Gen, generate
from .gs1 import GS, STEM, mod10

__all__ = ["GS", "STEM", "Case", "Gen", "generate", "mod10"]
