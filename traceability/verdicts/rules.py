"""The judging rules: one item's verdict from its cached state and its lot's.

In order: ``unknown_serial`` (never commissioned), ``already_dispensed`` (dispensed or destroyed
before), ``recalled`` (Lot.recalled), ``expired`` (Lot.expires_on or the scanned expiry (17)
before the scan), ``lot_mismatch`` (scanned lot != commissioned lot), ``suspect`` (the same
serial seen at another place within ``window``), else ``ok``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from traceability.verdicts.items import Item
from traceability.verdicts.state import ItemState, LotState


def judge(
    items: Mapping[str, ItemState],
    lots: Mapping[tuple[str, str], LotState],
    item: Item,
    *,
    where: str | None,
    when: datetime,
    window: timedelta,
) -> tuple[str, str]:
    """The verdict and its detail for ``item`` scanned at ``where`` at ``when`` (marks the lot
    used)."""
    st = items.get(item.key)
    if st is None or not st.commissioned:
        return "unknown_serial", f"{item.key} was never commissioned"
    if st.inactive:
        return "already_dispensed", f"{item.key} was already dispensed or destroyed"
    lot_name = st.lot or item.lot
    lot = lots.get((item.gtin, lot_name)) if lot_name else None
    if lot is not None:
        lot.used = time.monotonic()
    if lot is not None and lot.recalled:
        return "recalled", f"lot {lot_name} is recalled"
    day = when.date()
    if (lot is not None and lot.expires_on and lot.expires_on < day) or (
        item.expiry is not None and item.expiry < day
    ):
        return "expired", f"expired before {day.isoformat()}"
    if item.lot and st.lot and item.lot != st.lot:
        return "lot_mismatch", f"scanned lot {item.lot} != commissioned lot {st.lot}"
    if where and st.where and st.when and where != st.where and abs(when - st.when) < window:
        return "suspect", f"seen at {st.where} {abs(when - st.when).total_seconds():.0f}s ago"
    return "ok", ""
