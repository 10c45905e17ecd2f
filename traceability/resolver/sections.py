"""Consumer page sections beyond identity and journey: recall records, certifications, the
cold chain (an SVG temperature plot), special equipment, clone reasons and the report form.
Server-rendered, no JavaScript; every value is escaped."""

from __future__ import annotations

from datetime import date
from html import escape

from traceability.consumer.scans import CloneSignal
from traceability.resolver.details import ColdChain, Details
from traceability.resolver.i18n import has, t

_MAX_POINTS = 240
_MAX_LISTED = 20


def _row(label: str, value: object) -> str:
    if value is None or value == "":
        return ""
    return f"<dt>{escape(label)}</dt><dd>{escape(str(value))}</dd>"


def _num(x: float) -> str:
    return f"{x:g}"


def recall_rows(d: Details, lang: str) -> str:
    out = []
    for r in d.recalls[:5]:
        level = t(f"level.{r.level}", lang) if has(f"level.{r.level}") else r.level
        out.append(
            "<dl>"
            + _row(t("recall_id", lang), r.id)
            + _row(t("recall_level", lang), level)
            + _row(t("recall_reason", lang), r.reason)
            + _row(t("recall_since", lang), r.opened_at.strftime("%Y-%m-%d"))
            + _row(t("ledger_index", lang), r.ledger_index)
            + "</dl>"
        )
    return "".join(out) + f"<p>{escape(t('recall_do_long', lang))}</p>"


def certs(d: Details, lang: str, today: date) -> str:
    if not d.certifications:
        return ""
    items = []
    for c in d.certifications:
        ok = c.valid_on(today)
        span = " – ".join(x.isoformat() for x in (c.valid_from, c.valid_until) if x)
        parts = [f"<strong>{escape(c.scheme)}</strong>"]
        if c.number:
            parts.append(escape(c.number))
        if c.issuer:
            parts.append(f"{escape(t('cert_issuer', lang))} {escape(c.issuer)}")
        if span:
            state = t("cert_valid" if ok else "cert_expired", lang)
            parts.append(f"{escape(state)} {escape(span)}" + ("" if ok else " ⚠"))
        items.append("<li>" + " · ".join(parts) + "</li>")
    return f"<h3>{escape(t('certs', lang))}</h3><ul>{''.join(items)}</ul>"


def _plot(cc: ColdChain, lang: str) -> str:
    pts = list(cc.readings)
    if len(pts) > _MAX_POINTS:  # thin out, keeping every excursion
        step = len(pts) / _MAX_POINTS
        keep = {int(i * step) for i in range(_MAX_POINTS)}
        pts = [p for i, p in enumerate(pts) if i in keep or not cc.low <= p[1] <= cc.high]
    w, h, left, top, bottom = 360, 150, 34, 10, 22
    t0, t1 = pts[0][0].timestamp(), pts[-1][0].timestamp()
    lo = min(min(v for _, v in pts), cc.low) - 1
    hi = max(max(v for _, v in pts), cc.high) + 1
    span_t, span_v = max(t1 - t0, 1.0), max(hi - lo, 1.0)

    def x(ts: float) -> float:
        return round(left + (w - left - 6) * (ts - t0) / span_t, 1)

    def y(v: float) -> float:
        return round(top + (h - top - bottom) * (hi - v) / span_v, 1)

    label = t("cold", lang) + f" {_num(cc.low)}–{_num(cc.high)} °C"
    line = " ".join(f"{x(at.timestamp())},{y(v)}" for at, v in pts)
    parts = [
        f'<svg viewBox="0 0 {w} {h}" role="img" aria-label="{escape(label)}"'
        ' xmlns="http://www.w3.org/2000/svg">',
        f'<rect x="{left}" y="{y(cc.high)}" width="{w - left - 6}" '
        f'height="{round(y(cc.low) - y(cc.high), 1)}" fill="#e3f0e3"/>',
        f'<text x="{left - 3}" y="{y(cc.high) + 4}" font-size="10" text-anchor="end">'
        f"{_num(cc.high)}°</text>",
        f'<text x="{left - 3}" y="{y(cc.low) + 4}" font-size="10" text-anchor="end">'
        f"{_num(cc.low)}°</text>",
        f'<polyline points="{line}" fill="none" stroke="#0b4f9c" stroke-width="1.5"/>',
    ]
    for at, v in pts:
        if not cc.low <= v <= cc.high:  # a shape as well as a colour
            cx, cy = x(at.timestamp()), y(v)
            parts.append(
                f'<path d="M{cx},{cy - 6}L{cx + 5},{cy + 4}L{cx - 5},{cy + 4}Z" fill="#8b0000"/>'
            )
    parts.append(
        f'<text x="{left}" y="{h - 6}" font-size="10">{escape(pts[0][0].strftime("%m-%d %H:%M"))}'
        f'</text><text x="{w - 6}" y="{h - 6}" font-size="10" text-anchor="end">'
        f"{escape(pts[-1][0].strftime('%m-%d %H:%M'))}</text></svg>"
    )
    return "".join(parts)


def cold_chain(d: Details, lang: str) -> str:
    cc = d.cold_chain
    if cc is None:
        return ""
    fmt = {"low": _num(cc.low), "high": _num(cc.high), "n": str(len(cc.readings))}
    bad = cc.excursions
    if not bad:
        text = (
            f'<p><span aria-hidden="true">✔ </span>{escape(t("cold_kept", lang).format(**fmt))}</p>'
        )
    else:
        items = "".join(
            f"<li>{escape(at.strftime('%Y-%m-%d %H:%M'))} UTC: {escape(_num(v))} °C</li>"
            for at, v in bad[:_MAX_LISTED]
        )
        more = f"<li>… +{len(bad) - _MAX_LISTED}</li>" if len(bad) > _MAX_LISTED else ""
        head = t("cold_excursions", lang).format(k=len(bad), **fmt)
        text = f'<p><span aria-hidden="true">⚠ </span>{escape(head)}</p><ul>{items}{more}</ul>'
    return f'<section id="cold"><h2>{escape(t("cold", lang))}</h2>{_plot(cc, lang)}{text}</section>'


def equipment(d: Details, lang: str) -> str:
    e = d.equipment
    if e is None:
        return ""
    if e.decommissioned:
        state = t("eq_retired", lang)
    elif e.overdue:
        state = "⚠ " + t("eq_overdue", lang) + ", ".join(e.overdue)
    else:
        state = "✔ " + t("eq_ok", lang)
    rows = (
        _row(t("eq_code", lang), e.code)
        + _row(t("eq_status", lang), state)
        + _row(t("eq_last_maint", lang), (e.last_maintenance or "")[:10])
        + _row(t("eq_next_maint", lang), (e.next_maintenance or "")[:10])
        + _row(t("eq_last_insp", lang), (e.last_inspection or "")[:10])
        + _row(t("eq_next_insp", lang), (e.next_inspection or "")[:10])
        + _row(t("eq_result", lang), e.inspection_result)
        + _row(t("eq_company", lang), e.company)
        + _row(t("eq_uscc", lang), e.company_uscc)
    )
    return (
        f'<section id="equipment"><h2>{escape(t("equipment", lang))}</h2><dl>{rows}</dl></section>'
    )


def clone_reasons(signals: list[CloneSignal], lang: str) -> list[str]:
    out = []
    for s in signals:
        if not s.raised:
            continue
        if s.kind == "travel":
            km, minutes = s.detail.split("|")
            detail = f"{km}, {minutes}" if lang == "en" else f"{km}，{minutes}"
        else:
            n, days = s.detail.split("|")
            detail = f"{n} / {days} d" if lang == "en" else f"{days} 天内 {n} 人"
        out.append(t(f"why.clone_{s.kind}", lang).format(detail=detail))
    return out


def report_form(link: str, lang: str) -> str:
    kinds = ("counterfeit", "damaged", "illness", "label", "other")
    options = "".join(f'<option value="{k}">{escape(t(f"kind.{k}", lang))}</option>' for k in kinds)
    return (
        f'<section id="report"><h2>{escape(t("report", lang))}</h2>'
        f'<p class="muted">{escape(t("report_help", lang))}</p>'
        '<form method="post" action="/consumer/report">'
        f'<input type="hidden" name="link" value="{escape(link)}">'
        f'<input type="hidden" name="lang" value="{escape(lang)}">'
        f'<p><label for="r-kind">{escape(t("report_kind", lang))}</label><br>'
        f'<select id="r-kind" name="kind">{options}</select></p>'
        f'<p><label for="r-msg">{escape(t("report_message", lang))}</label><br>'
        '<textarea id="r-msg" name="message" rows="3" maxlength="1000" required></textarea></p>'
        f'<p><label for="r-contact">{escape(t("report_contact", lang))}</label><br>'
        '<input id="r-contact" name="contact" maxlength="200" autocomplete="email"></p>'
        f'<p><button type="submit">{escape(t("report_send", lang))}</button></p></form></section>'
    )
