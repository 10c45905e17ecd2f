"""The console's page shell and small HTML helpers: inline CSS, no JavaScript, no external
resources; every value passes :func:`e` (HTML-escaped) on its way into a page."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any
from urllib.parse import quote

CSS = """
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,"PingFang SC","Noto Sans CJK SC",
sans-serif;color:#1b1b1b;background:#f5f5f2}header{background:#17324d;color:#fff;padding:.5rem
1rem;display:flex;flex-wrap:wrap;gap:.4rem 1rem;align-items:center}header a{color:#fff}
header form{margin:0 0 0 auto}main{max-width:72rem;margin:0 auto;padding:.5rem 1rem 2rem}
h1{font-size:1.35rem}h2{font-size:1.1rem;margin:1.2rem 0 .4rem}section{background:#fff;
border:1px solid #ddd;border-radius:.5rem;padding:.7rem 1rem;margin:.7rem 0}table{
border-collapse:collapse;width:100%;font-size:.9rem}th,td{border-bottom:1px solid #ddd;
text-align:left;padding:.25rem .4rem;vertical-align:top;overflow-wrap:anywhere}th{background:#eef}
code{font-family:ui-monospace,monospace;font-size:.85rem;overflow-wrap:anywhere}a{color:#0b4f9c}
label{display:block;margin:.3rem 0}input,select,textarea{font:inherit;padding:.2rem .3rem;
max-width:100%}button{font:inherit;padding:.25rem .8rem}.notice{border:2px solid #8a4b00;
background:#fff7e6}.bad{border:2px solid #8b0000;background:#fff0f0}.ok{border:2px solid
#0a5c1f;background:#f0fff3}.muted{color:#555;font-size:.9rem}svg.trace-graph{max-width:none;height:auto}
.legend span{display:inline-block;margin:.1rem .6rem .1rem 0}.sw{display:inline-block;
width:.9rem;height:.9rem;border:1px solid #333;vertical-align:middle;margin-right:.25rem}
"""

NAV = {
    "regulator": [
        ("/console", "Search"),
        ("/console/recalls", "Recalls"),
        ("/console/deadletters", "Dead letters"),
        ("/console/ledger", "Ledger"),
        ("/console/equipment", "Overdue equipment"),
        ("/console/violations", "Serious violations"),
        ("/notices", "Public notices"),
    ],
    "producer": [
        ("/console", "Products and lots"),
        ("/console/labels", "Label runs"),
        ("/console/devices", "Devices"),
    ],
}


def e(value: Any) -> str:
    """``value`` as escaped HTML text (None as empty)."""
    return "" if value is None else escape(str(value), quote=True)


def q(value: str) -> str:
    """``value`` percent-encoded for a query string or path segment."""
    return quote(value, safe="")


def link(href: str, text: Any) -> str:
    return f'<a href="{e(href)}">{e(text)}</a>'


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{e(token)}">'


def document(title: str, body: str, *, role: str | None = None, csrf: str | None = None) -> str:
    """A whole page; with ``role``, the console's navigation and a sign-out button."""
    nav = ""
    if role is not None:
        links = " ".join(link(h, t) for h, t in NAV.get(role, NAV["regulator"]))
        out = ""
        if csrf is not None:
            out = (
                f'<form method="post" action="/console/logout">{csrf_field(csrf)}'
                f'<button type="submit">Sign out ({e(role)})</button></form>'
            )
        nav = f"<header><strong>Suyuan console</strong><nav>{links}</nav>{out}</header>"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>"
        f"<body>{nav}<main><h1>{e(title)}</h1>{body}</main></body></html>"
    )


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str = "None.") -> str:
    """A table; ``rows`` cells are HTML already (escape with :func:`e`)."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    if not body:
        return f'<p class="muted">{e(empty)}</p>'
    head = "".join(f'<th scope="col">{e(h)}</th>' for h in headers)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def field(name: str, label: str, *, value: str = "", kind: str = "text", extra: str = "") -> str:
    return (
        f'<label>{e(label)} <input type="{e(kind)}" name="{e(name)}" value="{e(value)}"'
        f"{extra}></label>"
    )


def select(name: str, label: str, options: Sequence[str], chosen: str | None = None) -> str:
    opts = "".join(
        f'<option value="{e(o)}"{" selected" if o == chosen else ""}>{e(o)}</option>'
        for o in options
    )
    return f'<label>{e(label)} <select name="{e(name)}">{opts}</select></label>'


def form(action: str, csrf: str, inner: str, button: str, *, method: str = "post") -> str:
    token = csrf_field(csrf) if method == "post" else ""
    return (
        f'<form method="{method}" action="{e(action)}">{token}{inner}'
        f'<button type="submit">{e(button)}</button></form>'
    )


def ledger_link(index: int | None) -> str:
    """A link to the ledger entry that proves something (``GET /ledger/entries/{index}``)."""
    if index is None:
        return ""
    return link(f"/ledger/entries/{int(index)}", f"ledger #{int(index)}")


def error_page(status: int, code: str, message: str, *, role: str | None = None) -> str:
    body = (
        f'<section class="bad"><p><strong>{e(status)} {e(code)}</strong></p>'
        f"<p>{e(message)}</p></section><p>{link('/console', 'Back to the console')}</p>"
    )
    return document("Console: error", body, role=role)
