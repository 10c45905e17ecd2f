"""Registry look-ups for labels: the product name printed on a label."""

from __future__ import annotations

import dataclasses

from sqlalchemy.engine import Engine
from sqlmodel import Session

from label_printing.request import LabelRequest
from traceability.registry.models import Product


def product_name(engine: Engine, *, request: LabelRequest) -> LabelRequest:
    """``request`` with the registered product's name when it has none."""
    if request.product_name:
        return request
    with Session(engine) as session:
        product = session.get(Product, request.gtin)
    if product is None:
        return request
    return dataclasses.replace(request, product_name=product.name[:80])
