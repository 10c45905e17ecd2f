"""FDA FSMA 204 sortable spreadsheet: the sheets, their columns, and how a place and a product
become FDA's column blocks.

A location is 7 columns (Business Name, Phone Number, Street Address or Geographic Coordinates,
City, State or Region, ZIP or Postal Code, Country), a product description 6 (Product Name,
Brand Name, Commodity, Variety, Packaging Size, Packaging Style), as in FDA's template.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from traceability.registry.models import Product
from traceability.trace.places import describe

LOCATION = (
    "Business Name",
    "Phone Number",
    "Street Address or Geographic Coordinates",
    "City",
    "State or Region",
    "ZIP or Postal Code",
    "Country",
)
PRODUCT = (
    "Product Name",
    "Brand Name",
    "Commodity",
    "Variety",
    "Packaging Size",
    "Packaging Style",
)
REFERENCE = ("Reference Document Type", "Reference Document Number")


def _loc(prefix: str) -> list[str]:
    return [f"{prefix} - {c}" for c in LOCATION]


def _prod(prefix: str = "Product Description") -> list[str]:
    return [f"{prefix} - {c}" for c in PRODUCT]


SHEETS: dict[str, list[str]] = {
    "Harvesting": [
        "Commodity",
        "Variety",
        "Quantity",
        "Unit of Measure",
        *_loc("Harvest Location"),
        "Field or Container Name",
        "Harvest Date",
        *_loc("Immediate Subsequent Recipient"),
        *REFERENCE,
    ],
    "Cooling": [
        "Commodity",
        "Variety",
        "Quantity",
        "Unit of Measure",
        *_loc("Cooling Location"),
        "Cooling Date",
        *_loc("Harvest Location"),
        *_loc("Immediate Subsequent Recipient"),
        *REFERENCE,
    ],
    "Initial Packing": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        "Commodity Received",
        "Quantity Received",
        "Unit of Measure Received",
        *_loc("Harvest Location"),
        *_loc("Cooling Location"),
        *_loc("Traceability Lot Code Source"),
        "Packing Date",
        *REFERENCE,
    ],
    "First Land-Based Receiving": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        "Harvest Vessel Name",
        "Date of Landing",
        *_loc("Receiving Location"),
        *_loc("Traceability Lot Code Source"),
        *REFERENCE,
    ],
    "Shipping": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        *_loc("Ship-To Location"),
        *_loc("Ship-From Location"),
        "Ship Date",
        *_loc("Traceability Lot Code Source"),
        *REFERENCE,
    ],
    "Receiving": [
        "Traceability Lot Code",
        *_prod(),
        "Quantity",
        "Unit of Measure",
        *_loc("Immediate Previous Source"),
        *_loc("Receiving Location"),
        "Receive Date",
        *_loc("Traceability Lot Code Source"),
        *REFERENCE,
    ],
    "Transformation": [
        "New Traceability Lot Code",
        *_prod("New Product Description"),
        "Quantity",
        "Unit of Measure",
        "Input Traceability Lot Code",
        *_prod("Input Product Description"),
        "Input Quantity",
        "Input Unit of Measure",
        *_loc("Transformation Location"),
        "Transformation Date",
        *REFERENCE,
    ],
}


class Columns:
    """The location and product column blocks of the places and products one export names
    (looked up once)."""

    def __init__(self, session: Session, gtin: str, lot: str, events: list[Any]) -> None:
        places: set[str] = set()
        for _, _, b in events:
            for key in ("bizLocation", "readPoint"):
                v = (b.get(key) or {}).get("id")
                if isinstance(v, str):
                    places.add(v)
            for lst, k in (("sourceList", "source"), ("destinationList", "destination")):
                for e in b.get(lst) or []:
                    if isinstance(e, dict) and isinstance(e.get(k), str):
                        places.add(e[k])
        self.named = describe(session, places)
        self.products: dict[str, Product | None] = {}
        self.session = session
        self.gtin, self.lot = gtin, lot

    def location(self, pid: str | None) -> list[str]:
        if not pid:
            return [""] * 7
        d = self.named.get(pid) or {}
        party = d.get("party") or {}
        coords = ""
        if d.get("latitude") is not None and d.get("longitude") is not None:
            coords = f"{d['latitude']},{d['longitude']}"
        return [
            str(party.get("name") or d.get("name") or pid),
            "",
            str(d.get("address") or coords or pid),
            str(d.get("city") or ""),
            str(d.get("region") or ""),
            "",
            str(d.get("country") or ""),
        ]

    def product(self, gtin: str | None) -> list[str]:
        if gtin is None:
            return [""] * 6
        if gtin not in self.products:
            self.products[gtin] = self.session.get(Product, gtin)
        p = self.products[gtin]
        if p is None:
            return [gtin, "", "", "", "", ""]
        a = p.attributes or {}
        return [
            p.name,
            p.brand,
            str(a.get("commodity") or p.category),
            str(a.get("variety") or ""),
            str(a.get("packaging_size") or a.get("net_content") or ""),
            str(a.get("packaging_style") or a.get("packaging") or ""),
        ]
