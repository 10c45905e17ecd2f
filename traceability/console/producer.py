"""The producer's pages: its products and lots, its label runs (start a print run, download the
files) and its devices (enrol, revoke). The router passes only the signed-in party's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from traceability.console.html import document, e, field, form, link, q, select, table
from traceability.registry.schemas import DevicePublic, LocationPublic, LotPublic, ProductPublic

ROLE = "producer"
FORMATS = ("pdf", "png", "svg", "zpl")


def _flash(message: str | None, *, bad: bool = False) -> str:
    if not message:
        return ""
    return f'<section class="{"bad" if bad else "ok"}"><p>{e(message)}</p></section>'


def home(
    csrf: str,
    *,
    party: str,
    products: Sequence[ProductPublic],
    lots: Sequence[LotPublic],
) -> str:
    prods = table(
        ["GTIN", "Name", "Brand", "Category"],
        [[f"<code>{e(p.gtin)}</code>", e(p.name), e(p.brand), e(p.category)] for p in products],
        empty="No products registered for this party.",
    )
    lot_rows = table(
        ["GTIN", "Lot", "Produced", "Expires", "Recall"],
        [
            [
                f"<code>{e(x.gtin)}</code>",
                e(x.lot),
                e(x.produced_on),
                e(x.expires_on),
                "<strong>RECALLED</strong>" if x.recalled else "no",
            ]
            for x in lots
        ],
        empty="No lots registered.",
    )
    body = (
        f'<p class="muted">Signed in for party <code>{e(party)}</code>.</p>'
        f"<section><h2>Products</h2>{prods}</section><section><h2>Lots</h2>{lot_rows}</section>"
    )
    return document("Products and lots", body, role=ROLE, csrf=csrf)


def labels(
    csrf: str,
    *,
    runs: Sequence[dict[str, Any]],
    products: Sequence[ProductPublic],
    message: str | None = None,
    files: Sequence[tuple[str, str]] = (),
    bad: bool = False,
) -> str:
    listing = table(
        ["Run", "Product", "GTIN", "Lot", "Expiry", "Count", "Format", "Status", "Created"],
        [
            [
                link(f"/console/labels/{q(r['run_id'])}", r["run_id"][:12] + "…"),
                e(r["product_name"]),
                f"<code>{e(r['gtin'])}</code>",
                e(r["lot"]),
                e(r["expiry"]),
                e(r["count"]),
                e(r["format"]),
                e(r["status"]),
                e(r["created_at"]),
            ]
            for r in runs
        ],
        empty="No label runs yet.",
    )
    got = "".join(f"<li>{link(href, name)}</li>" for name, href in files)
    starter = form(
        "/console/labels",
        csrf,
        select("gtin", "Product (GTIN)", [p.gtin for p in products])
        + field("lot", "Lot", extra=' required maxlength="20"')
        + field("expiry", "Expiry", kind="date", extra=" required")
        + field("count", "Count", kind="number", value="10", extra=' min="1" required')
        + select("format", "Format", list(FORMATS), "pdf"),
        "Print",
    )
    body = (
        _flash(message, bad=bad)
        + (f"<section><h2>Files</h2><ul>{got}</ul></section>" if got else "")
        + "<section><h2>Start a print run</h2><p>Each label's serial is allocated and "
        "commissioned in the ledger.</p>"
        + starter
        + f"</section><section><h2>Runs</h2>{listing}</section>"
    )
    return document("Label runs", body, role=ROLE, csrf=csrf)


def run(csrf: str, *, status: dict[str, Any], files: Sequence[tuple[str, str]]) -> str:
    got = "".join(f"<li>{link(href, name)}</li>" for name, href in files)
    body = (
        f"<section><p>GTIN <code>{e(status['gtin'])}</code>, lot {e(status['lot'])}, expiry "
        f"{e(status['expiry'])}, {e(status['count'])} labels as {e(status['format'])}; status "
        f"{e(status['status'])}: {len(status['committed'])} in the ledger, "
        f"{len(status['printed'])} printed, {len(status['pending'])} pending, "
        f"{len(status['voided'])} voided.</p></section>"
        f"<section><h2>Download</h2><ul>{got or '<li>No files.</li>'}</ul></section>"
    )
    return document(f"Label run {status['run_id']}", body, role=ROLE, csrf=csrf)


def devices(
    csrf: str,
    *,
    rows: Sequence[DevicePublic],
    locations: Sequence[LocationPublic],
    message: str | None = None,
    bad: bool = False,
) -> str:
    out = []
    for d in rows:
        action = ""
        if str(d.status) == "active":
            action = form(
                f"/console/devices/{q(d.id)}/revoke",
                csrf,
                field("reason", "Reason", extra=' required maxlength="200"'),
                "Revoke",
            )
        out.append([f"<code>{e(d.id)}</code>", e(d.kind), e(d.location_id), e(d.status), action])
    listing = table(["Device", "Kind", "Location", "Status", ""], out, empty="No devices.")
    enrol = form(
        "/console/devices",
        csrf,
        field("device_id", "Device id", extra=' required maxlength="64"')
        + select("location_id", "Location", [x.id for x in locations])
        + field("kind", "Kind", value="reader", extra=' maxlength="32"')
        + field(
            "public_key",
            "Ed25519 public key (64 hex digits or base64url)",
            extra=' required size="66"',
        ),
        "Enrol",
    )
    body = (
        _flash(message, bad=bad)
        + "<section><h2>Enrol a device</h2><p>Generate the key on the device "
        "(<code>tracectl device keygen</code>); the key is registered in the ledger.</p>"
        + enrol
        + f"</section><section><h2>Devices</h2>{listing}</section>"
    )
    return document("Devices", body, role=ROLE, csrf=csrf)
