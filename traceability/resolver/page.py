"""The consumer page and the resolver's error pages: server-rendered HTML, inline CSS, inline
SVG, no JavaScript and no external resources. Every value is escaped."""

from __future__ import annotations

from datetime import date
from html import escape

from traceability.resolver import item as iv
from traceability.resolver import sections
from traceability.resolver.details import Details
from traceability.resolver.i18n import t

_CSS = """
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"PingFang SC",
"Noto Sans CJK SC",sans-serif;color:#1b1b1b;background:#f5f5f2}main{max-width:40rem;
margin:0 auto;padding:0 .75rem 2rem}h1{font-size:1.35rem;margin:.8rem 0}h2{font-size:1.1rem;
margin:0 0 .4rem}section{background:#fff;border-radius:.6rem;padding:.8rem 1rem;margin:.7rem 0;
border:1px solid #ddd}.banner{border:3px solid #8b0000;background:#fff0f0}.banner h2{
font-size:1.4rem;color:#8b0000}.verdict{display:flex;gap:.8rem;align-items:center}.icon{
font-size:2rem;line-height:1;width:2.6rem;height:2.6rem;border-radius:50%;display:flex;
align-items:center;justify-content:center;border:2px solid currentColor;flex:none}
.verified{color:#0a5c1f}.recalled{color:#8b0000}.expired,.suspicious{color:#8a4b00}
.unverified{color:#333}.word{font-size:1.25rem;font-weight:700}dl{margin:0;display:grid;
grid-template-columns:max-content 1fr;gap:.2rem .8rem}dt{color:#555}dd{margin:0;
overflow-wrap:anywhere}ol{padding-left:1.2rem;margin:.4rem 0}li{margin:.3rem 0}code,pre{
font-family:ui-monospace,monospace;font-size:.85rem;overflow-wrap:anywhere;white-space:pre-wrap}
pre{background:#f0f0ec;padding:.5rem;border-radius:.4rem}a{color:#0b4f9c}.muted{color:#555;
font-size:.9rem}svg{width:100%;height:auto;display:block}textarea,input,select{width:100%;
font:inherit;padding:.4rem;border:1px solid #767676;border-radius:.3rem}button{font:inherit;
padding:.5rem 1.2rem;border-radius:.4rem;border:2px solid #0b4f9c;background:#0b4f9c;color:#fff}
"""

_ICON = {  # a symbol as well as a word: never colour alone
    iv.VERIFIED: "✔",
    iv.SUSPICIOUS: "!",
    iv.UNVERIFIED: "?",
    iv.EXPIRED: "⊘",
    iv.RECALLED: "✖",
}


def _doc(lang: str, title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


def _row(label: str, value: object) -> str:
    if value is None or value == "":
        return ""
    return f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>"


def _timeline_svg(steps: tuple[iv.JourneyStep, ...], lang: str) -> str:
    shown = steps[-30:]
    row = 46
    height = 16 + row * len(shown)
    parts = [
        f'<svg viewBox="0 0 360 {height}" role="img" aria-label="{escape(t("journey", lang))}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="18" y1="16" x2="18" y2="{height - row + 16}" stroke="#777" stroke-width="2"/>',
    ]
    for i, s in enumerate(shown):
        y = 16 + i * row
        parts.append(
            f'<circle cx="18" cy="{y}" r="7" fill="#fff" stroke="#0b4f9c" stroke-width="3"/>'
            f'<text x="36" y="{y - 2}" font-size="13" font-weight="700">'
            f"{escape(s.time.strftime('%Y-%m-%d %H:%M'))} · {escape(s.biz_step or s.event_type)}"
            f'</text><text x="36" y="{y + 15}" font-size="12" fill="#444">'
            f"{escape((s.place or '—')[:40])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _recall(view: iv.ItemView, lang: str, details: Details) -> str:
    if view.verdict != iv.RECALLED:
        return f'<section id="recall"><p class="muted">{escape(t("no_recall", lang))}</p></section>'
    rows = _row(t("recall_reason", lang), view.recall_reason) + _row(
        t("recall_since", lang),
        view.recalled_at.strftime("%Y-%m-%d") if view.recalled_at else None,
    )
    if details.recalls:  # the recall records: id, level, reason, date, what to do
        rows = ""
    return (
        '<section id="recall" class="banner" role="alert">'
        f'<h2><span aria-hidden="true">✖ </span>{escape(t("recalled", lang))}</h2>'
        f"<p><strong>{escape(t('recall_do', lang))}</strong></p>"
        + (f"<dl>{rows}</dl>" if rows else "")
        + (sections.recall_rows(details, lang) if details.recalls else "")
        + "</section>"
    )


def _verdict(view: iv.ItemView, lang: str, extra: list[str]) -> str:
    why = [t(f"why.{r}", lang) for r in view.reasons if not r.startswith("clone_")] + extra
    why = why or [t("verified_why", lang)]
    return (
        f'<section id="verdict" class="verdict {escape(view.verdict)}">'
        f'<span class="icon" aria-hidden="true">{_ICON[view.verdict]}</span><div>'
        f'<div class="muted">{escape(t("verdict", lang))}</div>'
        f'<div class="word">{escape(t(view.verdict, lang))}</div>'
        f"<div>{escape(' '.join(why))}</div></div></section>"
    )


def _identity(view: iv.ItemView, lang: str) -> str:
    rows = (
        _row(t("name", lang), view.product_name)
        + _row(t("brand", lang), view.brand)
        + _row(t("owner", lang), view.owner)
        + _row(t("gtin", lang), view.gtin)
        + _row(t("lot", lang), view.lot)
        + _row(t("serial", lang), view.serial)
        + _row(t("expiry", lang), view.expiry.isoformat() if view.expiry else None)
    )
    return f'<section id="identity"><h2>{escape(t("identity", lang))}</h2><dl>{rows}</dl></section>'


def _origin(view: iv.ItemView, lang: str, details: Details, today: date) -> str:
    o = view.origin
    if o is None:
        body = f'<p class="muted">{escape(t("origin_none", lang))}</p>'
    else:
        body = "<dl>" + _row(t("origin", lang), o.place) + _row(t("owner", lang), o.party)
        body += _row(t("region", lang), o.region) + _row(
            t("produced", lang),
            view.produced_on.isoformat() if view.produced_on else None,
        )
        body += _row(t("first_seen", lang), o.time.strftime("%Y-%m-%d"))
        body += "</dl>"
    if details.certifications:
        body += sections.certs(details, lang, today)
    elif view.certifications:
        items = "".join(
            "<li>" + escape(" · ".join(v for v in c.values() if v)) + "</li>"
            for c in view.certifications
        )
        body += f"<h3>{escape(t('certs', lang))}</h3><ul>{items}</ul>"
    return f'<section id="origin"><h2>{escape(t("origin", lang))}</h2>{body}</section>'


def _journey(view: iv.ItemView, lang: str) -> str:
    if not view.steps:
        body = f'<p class="muted">{escape(t("journey_none", lang))}</p>'
    else:
        items = "".join(
            f"<li><strong>{escape(s.time.strftime('%Y-%m-%d %H:%M'))}</strong> "
            f"{escape(s.biz_step or s.event_type)}"
            + (f" — {escape(s.place)}" if s.place else "")
            + (f" ({escape(s.party)})" if s.party else "")
            + f' <span class="muted">[{escape(t("ledger_index", lang))} {s.ledger_index}]</span>'
            "</li>"
            for s in view.steps
        )
        body = _timeline_svg(view.steps, lang) + f"<ol>{items}</ol>"
    return f'<section id="journey"><h2>{escape(t("journey", lang))}</h2>{body}</section>'


def _verify(view: iv.ItemView, lang: str, *, receipt_href: str | None, log_key: str | None) -> str:
    if not receipt_href or view.latest_index is None:
        body = f'<p class="muted">{escape(t("verify_none", lang))}</p>'
    elif not view.receipt_ready:
        body = (
            f'<p class="muted">{escape(t("verify_pending", lang))} '
            f"({escape(t('ledger_index', lang))} {view.latest_index})</p>"
        )
    else:
        fname = f"receipt-{view.latest_index}.txt"
        command = f"tracectl ledger verify-receipt {fname}" + (
            f" --log-key '{log_key}'" if log_key else ""
        )
        body = (
            f"<p>{escape(t('verify_text', lang))}</p>"
            f'<p><a href="{escape(receipt_href)}" download="{escape(fname)}">'
            f"{escape(t('download', lang))}</a> "
            f'<span class="muted">({escape(t("ledger_index", lang))} '
            f"{view.latest_index})</span></p>"
            + (
                f"<p>{escape(t('log_key', lang))}:<br><code>{escape(log_key)}</code></p>"
                if log_key
                else ""
            )
            + f"<pre>{escape(command)}</pre>"
        )
    return f'<section id="verify"><h2>{escape(t("verify", lang))}</h2>{body}</section>'


def render_item_page(
    view: iv.ItemView,
    *,
    lang: str,
    receipt_href: str | None,
    log_key: str | None,
    details: Details | None = None,
    clone_reasons: list[str] | None = None,
    report_link: str | None = None,
    today: date | None = None,
) -> str:
    """The consumer page: recall banner first, then verdict, identity, origin, journey, cold
    chain, special equipment, the receipt to check it yourself and the report form."""
    d = details or Details()
    day = today or date.today()
    recalled = view.verdict == iv.RECALLED
    heading = f"<h1>{escape(view.product_name)}</h1>"
    body = (
        (_recall(view, lang, d) + heading if recalled else heading)
        + _verdict(view, lang, clone_reasons or [])
        + ("" if recalled else _recall(view, lang, d))
        + _identity(view, lang)
        + sections.equipment(d, lang)
        + _origin(view, lang, d, day)
        + _journey(view, lang)
        + sections.cold_chain(d, lang)
        + _verify(view, lang, receipt_href=receipt_href, log_key=log_key)
        + (sections.report_form(report_link, lang) if report_link else "")
    )
    return _doc(lang, f"{view.product_name} · {t('title', lang)}", body)


def render_error_page(
    *,
    lang: str,
    title_key: str,
    help_key: str,
    message: str,
    field: str | None = None,
    value: object = None,
) -> str:
    """A 400/404 page that says what is wrong and which part of the link."""
    names = {"01": "gtin", "10": "lot", "21": "serial", "17": "expiry"}
    named = f"({field}) {t(names[field], lang)}" if field in names else field
    part = None if named is None else named + ("" if value is None else f" = {value!s:.120}")
    rows = _row(t("wrong_part", lang), part)
    body = (
        f'<section class="verdict unverified" role="alert"><span class="icon" aria-hidden="true">'
        f"?</span><div><h1>{escape(t(title_key, lang))}</h1>"
        f"<p>{escape(t(help_key, lang))}</p></div></section>"
        f"<section><p><strong>{escape(t('error', lang))}:</strong> {escape(message)}</p>"
        + (f"<dl>{rows}</dl>" if rows else "")
        + "</section>"
    )
    return _doc(lang, t(title_key, lang), body)


def render_notice_page(*, lang: str, title_key: str, lines: list[str], back: str | None) -> str:
    """A short page (the report's thanks, too many requests): a heading, lines of text (each
    escaped) and a link back to the product."""
    text = "".join(f"<p>{escape(line)}</p>" for line in lines)
    link = f'<p><a href="{escape(back)}">{escape(t("back", lang))}</a></p>' if back else ""
    body = f'<section role="status"><h1>{escape(t(title_key, lang))}</h1>{text}{link}</section>'
    return _doc(lang, t(title_key, lang), body)
