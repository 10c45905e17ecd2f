"""Label printing: serial allocation, code payloads, renderers (PNG/SVG, PDF sheets, ZPL) and
commissioning of printed labels in the ledger. See ``docs/labels.md``.

Public API::

    check_request(gtin=..., lot=..., expiry=..., count=..., format=..., max_count=...)
    open_station(engine, data_dir=..., station=...) -> StationKey
    print_labels(engine, request=..., station=..., out_dir=...) -> RunReport
    print_run / run_status / reprint / void          (label_printing.runs)
    allocate_serials / allocate_ssccs                (label_printing.serials)
    pallet_label(...)                                (ZPL GS1 logistic label)
"""

from __future__ import annotations

from label_printing.config import LabelSettings, get_label_settings
from label_printing.errors import LabelInputError, RunNotFoundError, RunStateError
from label_printing.payloads import LabelData, digital_link, element_string, hri_lines
from label_printing.registry_info import product_name
from label_printing.render_zpl import pallet_label
from label_printing.request import (
    FORMATS,
    LabelRequest,
    check_count,
    check_expiry,
    check_gtin,
    check_lot,
    check_request,
    parse_label_size,
)
from label_printing.runs import RunReport, get_run, print_run, reprint, run_status, void
from label_printing.serials import allocate_serials, allocate_ssccs
from label_printing.service import open_station, prepare_out_dir, print_labels, start_run
from label_printing.station import StationKey

__all__ = [
    "FORMATS",
    "LabelData",
    "LabelInputError",
    "LabelRequest",
    "LabelSettings",
    "RunNotFoundError",
    "RunReport",
    "RunStateError",
    "StationKey",
    "allocate_serials",
    "allocate_ssccs",
    "check_count",
    "check_expiry",
    "check_gtin",
    "check_lot",
    "check_request",
    "digital_link",
    "element_string",
    "get_label_settings",
    "get_run",
    "hri_lines",
    "open_station",
    "pallet_label",
    "parse_label_size",
    "prepare_out_dir",
    "print_labels",
    "print_run",
    "product_name",
    "reprint",
    "run_status",
    "start_run",
    "void",
]
