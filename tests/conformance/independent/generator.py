"""The case generator: every family of cases, deterministic for a seed and day."""

from __future__ import annotations

import datetime as dt

from .case import Case
from .gen_china import ChinaCases
from .gen_digital_link import DigitalLinkCases
from .gen_epc import EpcCases
from .gen_gs1 import GS1Cases


class Gen(GS1Cases, DigitalLinkCases, EpcCases, ChinaCases):
    """Every case family, over one random source."""


def generate(seed: int = 20240603, today: dt.date | None = None) -> list[Case]:
    """All cases; deterministic for a given seed and day."""
    g = Gen(seed, today or dt.date.today())
    g.gs1_keys(60)
    g.ssccs(25)
    g.element_strings(120)
    g.element_string_edges()
    g.digital_links(80)
    g.digital_link_edges()
    g.epcs(2)
    g.usccs(25)
    g.both_sscc_and_uscc(5)
    g.equipment(15)
    return g.cases
