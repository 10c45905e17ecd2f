"""GS1-Conformant resolver core: Digital Link requests, linksets, the item view and its page.

Pure domain code (no web framework): ``api/routes/resolver.py`` is the thin HTTP layer.
"""

from __future__ import annotations

from traceability.resolver.item import ItemView, JourneyStep, look_up
from traceability.resolver.links import (
    LINK_TYPES,
    linkset,
    resolver_description,
    target_for,
)
from traceability.resolver.request import parse_request

__all__ = [
    "LINK_TYPES",
    "ItemView",
    "JourneyStep",
    "linkset",
    "look_up",
    "parse_request",
    "resolver_description",
    "target_for",
]
