"""The public notices page (no session needed): each notice with its ledger entry."""

from __future__ import annotations

from collections.abc import Sequence

from traceability.console.html import document, e, link
from traceability.notices.feeds import iso
from traceability.notices.service import Notice


def page(notices: Sequence[Notice]) -> str:
    """The public notices page (no session needed)."""
    feeds = (
        '<p class="muted">Follow: '
        + link("/notices.atom", "Atom feed")
        + " · "
        + link("/notices.json", "JSON Feed")
        + ". Published the moment they are recorded; each links to the ledger entry that "
        "proves it.</p>"
    )
    parts = [feeds]
    for n in notices:
        kind = "Recall" if n.kind == "recall" else "Serious violation"
        parts.append(
            f'<section id="{e(n.id)}" class="{"bad" if n.kind == "recall" else "notice"}">'
            f"<h2>{e(kind)}: {e(n.title)}</h2><p>{e(n.summary)}</p>"
            f'<p class="muted">Published {e(iso(n.published))} · proof: '
            f"{link(f'/ledger/entries/{n.ledger_index}', f'ledger entry {n.ledger_index}')}"
            "</p></section>"
        )
    if not notices:
        parts.append('<p class="muted">No notices yet.</p>')
    return document("Public notices", "".join(parts))


def login(csrf: str, *, message: str | None = None) -> str:
    """The sign-in form: a regulator's or producer's API token opens a session."""
    problem = f'<section class="bad"><p>{e(message)}</p></section>' if message else ""
    body = (
        f"{problem}<section><p>Sign in with your API token (regulator or producer). The "
        "session lasts 8 hours or until you sign out.</p>"
        '<form method="post" action="/console/login">'
        f'<input type="hidden" name="csrf" value="{e(csrf)}">'
        '<label>Token <input type="password" name="token" autocomplete="current-password" '
        'required maxlength="512"></label><button type="submit">Sign in</button></form>'
        f'</section><p class="muted">{link("/notices", "Public notices")}</p>'
    )
    return document("Suyuan console: sign in", body)
