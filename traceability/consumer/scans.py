"""Scans of a label and the clone signals they feed.

Each consumer-page view of an item is a scan: who scanned (anonymous unless a retailer's or a
regulator's token came with it), a salted daily hash of the client address, the browser kind and
a coarse location (``?loc=lat,lon`` or the scanning party's registered location, rounded to
0.1°). Two signals, on serialised items only (a lot is legitimately scanned by many people):

- **impossible travel**: consecutive located scans farther apart than :data:`TRAVEL_MIN_KM` at
  more than :data:`TRAVEL_KMH`; each such jump scores the mean weight of its two scans;
- **too many scans**: distinct scanners (client hashes or parties) over :data:`WINDOW`, each
  scoring its weight.

Weights (:data:`WEIGHTS`): a regulator's scan 5, a retailer's 3, another trade party's 2, an
anonymous one 1. A signal is shown ("Suspicious + why") when its score reaches its threshold;
it never changes the ledger, a trace, or a recall: it is advice on the page only.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from traceability.consumer.models import ConsumerScan
from traceability.errors import InvalidInputError

WEIGHTS = {"anonymous": 1.0, "trade": 2.0, "retailer": 3.0, "regulator": 5.0}
TRAVEL_KMH = 900.0  # faster than an airliner
TRAVEL_MIN_KM = 100.0
TRAVEL_THRESHOLD = 3.0  # three anonymous jumps, or one a regulator saw
MANY_THRESHOLD = 20.0  # twenty anonymous shoppers, four regulators...
WINDOW = timedelta(days=30)
MAX_SCANS = 500


@dataclass(frozen=True, slots=True)
class CloneSignal:
    kind: str  # "travel" | "many"
    score: float
    threshold: float
    detail: str

    @property
    def raised(self) -> bool:
        return self.score >= self.threshold


def item_key(gtin: str, lot: str | None, serial: str | None) -> str:
    """``gtin/21/serial`` for a serialised item (with or without its lot on the label), else
    ``gtin/10/lot``, else the GTIN."""
    if serial:
        return f"{gtin}/21/{serial}"
    return gtin + (f"/10/{lot}" if lot else "")


def client_hash(address: str | None, *, salt: bytes, at: datetime) -> str:
    """16 hex digits of HMAC-SHA-256(salt, day | address): unlinkable across days and without
    the salt; the address itself is never stored."""
    if not address:
        return ""
    msg = f"{at.date().isoformat()}|{address}".encode("utf-8", "surrogateescape")
    return hmac.new(salt, msg, hashlib.sha256).hexdigest()[:16]


def agent_kind(user_agent: str | None) -> str:
    ua = (user_agent or "").lower()
    if any(b in ua for b in ("bot", "spider", "crawl", "curl", "python", "httpx", "wget")):
        return "bot"
    if any(m in ua for m in ("mobile", "android", "iphone", "micromessenger")):
        return "mobile"
    if any(d in ua for d in ("windows", "macintosh", "x11", "linux")):
        return "desktop"
    return "other"


def parse_loc(text: str | None) -> tuple[float, float] | None:
    """``lat,lon`` in degrees (``?loc=``), rounded to 0.1°; :class:`InvalidInputError` if bad."""
    if text is None or text == "":
        return None
    parts = text.split(",")
    try:
        if len(parts) != 2 or any(len(p) > 20 for p in parts):
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError:
        raise InvalidInputError(
            "loc must be 'latitude,longitude' in degrees", code="invalid_loc", field="loc",
            value=text[:60],
        ) from None  # fmt: skip
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInputError(
            "loc is outside -90..90, -180..180", code="invalid_loc", field="loc", value=text[:60]
        )
    return round(lat, 1), round(lon, 1)


def _km(a: ConsumerScan, b: ConsumerScan) -> float:
    assert a.latitude is not None and a.longitude is not None
    assert b.latitude is not None and b.longitude is not None
    p1, p2 = math.radians(a.latitude), math.radians(b.latitude)
    dp, dl = p2 - p1, math.radians(b.longitude - a.longitude)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(h)))


def record_scan(session: Session, *, scan: ConsumerScan) -> None:
    session.add(scan)
    session.flush()


def clone_signals(session: Session, *, item: str, now: datetime) -> list[CloneSignal]:
    """The item's signals over the recent scans (the newest :data:`MAX_SCANS` in the window)."""
    rows = list(
        session.exec(
            select(ConsumerScan)
            .where(ConsumerScan.item == item, ConsumerScan.scanned_at >= now - WINDOW)
            .order_by(col(ConsumerScan.scanned_at).desc())
            .limit(MAX_SCANS)
        ).all()
    )
    rows.reverse()
    located = [r for r in rows if r.latitude is not None and r.longitude is not None]
    travel, worst = 0.0, (0.0, 0.0)
    for a, b in itertools.pairwise(located):
        km = _km(a, b)
        hours = max((b.scanned_at - a.scanned_at).total_seconds() / 3600, 1 / 60)
        if km >= TRAVEL_MIN_KM and km / hours > TRAVEL_KMH:
            travel += (WEIGHTS.get(a.scanner, 1.0) + WEIGHTS.get(b.scanner, 1.0)) / 2
            worst = max(worst, (km, hours * 60))
    scanners: dict[str, float] = {}
    for r in rows:
        who = f"party:{r.party_id}" if r.party_id else f"client:{r.client or r.id}"
        scanners[who] = max(scanners.get(who, 0.0), WEIGHTS.get(r.scanner, 1.0))
    many = sum(scanners.values())
    return [
        CloneSignal("travel", travel, TRAVEL_THRESHOLD, f"{worst[0]:.0f} km|{worst[1]:.0f} min"),
        CloneSignal("many", many, MANY_THRESHOLD, f"{len(scanners)}|{WINDOW.days}"),
    ]
