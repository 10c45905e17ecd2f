"""The trace graph as server-rendered SVG: a layered layout computed here, in Python.

Nodes are the items, containers, places and parties a trace reached; edges its steps. A node's
layer is the rank of the first time a step touched it (so the picture reads left to right in
time), at most :data:`MAX_LAYERS` layers; nodes within a layer are stacked in id order. At most
``max_nodes`` nodes are drawn (the earliest); the graph then says it is truncated.

Colour says the party, but never alone: every node carries its party's name as text, the legend
pairs each colour with a name, and a recall-affected node has a thick dashed outline and the
word RECALLED.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from traceability.console.html import e

MAX_NODES = 60
MAX_LAYERS = 14
PALETTE = (
    "#cfe2ff",
    "#d1f2d6",
    "#ffe1c4",
    "#e6d6ff",
    "#fff3b0",
    "#c8f1f1",
    "#ffd6e7",
    "#e0e0e0",
    "#d9ead3",
    "#f4cccc",
)
NO_PARTY = "#ffffff"
W, H, GAP_X, GAP_Y, PAD = 210, 58, 46, 12, 12


@dataclass
class Node:
    id: str
    kind: str  # item | container | location | party
    label: str
    party_id: str | None = None
    party_name: str | None = None
    affected: bool = False
    first: str = ""  # ISO time of the first step touching it ("" for none)
    layer: int = 0
    row: int = 0


@dataclass
class Graph:
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (src, dst, kind)
    truncated: bool = False
    total_nodes: int = 0


def short_id(urn: str) -> str:
    """A readable short form of an EPC URN: ``sgtin 10001.3SXEZ3JL7475``."""
    parts = urn.split(":", 4)
    if len(parts) == 5 and parts[:2] == ["urn", "epc"]:
        rest = parts[4]
        tail = rest.split(".", 1)[1] if "." in rest else rest
        return f"{parts[3]} {tail[-22:]}"
    return urn[-28:]


def layout(graph: Graph, *, max_nodes: int = MAX_NODES) -> Graph:
    """Assign layers by first time and rows within a layer; keep at most ``max_nodes``."""
    ordered = sorted(graph.nodes.values(), key=lambda n: (n.first or "~", n.id))
    graph.total_nodes = len(ordered)
    if len(ordered) > max_nodes:
        graph.truncated = True
        ordered = ordered[:max_nodes]
    keep = {n.id for n in ordered}
    graph.nodes = {n.id: n for n in ordered}
    graph.edges = [x for x in dict.fromkeys(graph.edges) if x[0] in keep and x[1] in keep]
    times = sorted({n.first for n in ordered})
    rank = {t: i for i, t in enumerate(times)}
    scale = max(1, len(times))
    rows: dict[int, int] = {}
    for n in ordered:
        n.layer = rank[n.first] * min(MAX_LAYERS, scale) // scale
    for n in sorted(ordered, key=lambda n: (n.layer, n.kind != "party", n.id)):
        n.row = rows.get(n.layer, 0)
        rows[n.layer] = n.row + 1
    return graph


Colours = dict[str, tuple[str, str]]


def colours(*graphs: Graph) -> Colours:
    """party id -> (colour, name), in party-id order (the legend's order); one map for several
    graphs so that a party has the same colour in each."""
    named = sorted(
        {
            (n.party_id, n.party_name or n.party_id)
            for g in graphs
            for n in g.nodes.values()
            if n.party_id
        }
    )
    return {pid: (PALETTE[i % len(PALETTE)], str(name)) for i, (pid, name) in enumerate(named)}


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _xy(n: Node) -> tuple[int, int]:
    return PAD + n.layer * (W + GAP_X), PAD + n.row * (H + GAP_Y)


def render(graph: Graph, *, title: str, cols: Colours | None = None) -> str:
    """The SVG element (inline in a page) of a laid-out graph."""
    cols = cols if cols is not None else colours(graph)
    layers = max((n.layer for n in graph.nodes.values()), default=0) + 1
    rows = max((n.row for n in graph.nodes.values()), default=0) + 1
    width, height = 2 * PAD + layers * W + (layers - 1) * GAP_X, 2 * PAD + rows * (H + GAP_Y)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="trace-graph" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-label="{e(title)}">',
        f"<title>{e(title)}</title>",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="#555"/>'
        "</marker></defs>",
    ]
    for src, dst, kind in graph.edges:
        a, b = graph.nodes[src], graph.nodes[dst]
        (x1, y1), (x2, y2) = _xy(a), _xy(b)
        y1, y2 = y1 + H // 2, y2 + H // 2
        if a.layer < b.layer:
            x1 += W
        elif a.layer > b.layer:
            x2 += W
        else:  # same column: from one box's edge to the other's, down or up the column
            x1 = x2 = x1 + W * 3 // 4
            y1, y2 = (y1 + H // 2, y2 - H // 2) if a.row < b.row else (y1 - H // 2, y2 + H // 2)
        dash = ' stroke-dasharray="5 3"' if kind in ("observed", "contains") else ""
        out.append(
            f'<line class="edge" x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" '
            f'stroke="#555" stroke-width="1.3"{dash} marker-end="url(#arrow)">'
            f"<title>{e(kind)}: {e(src)} → {e(dst)}</title></line>"
        )
    for n in graph.nodes.values():
        x, y = _xy(n)
        fill = cols[n.party_id][0] if n.party_id in cols else NO_PARTY
        stroke = (
            ' stroke="#8b0000" stroke-width="4" stroke-dasharray="7 3"'
            if n.affected
            else ' stroke="#333" stroke-width="1"'
        )
        rx = 16 if n.kind == "party" else 4
        head = f"RECALLED · {n.kind}" if n.affected else n.kind
        out.append(
            f'<g class="node node-{e(n.kind)}{" affected" if n.affected else ""}" '
            f'data-id="{e(n.id)}"><title>{e(n.kind)} {e(n.id)}'
            f"{' — ' + e(n.party_name) if n.party_name else ''}"
            f"{' — affected by a recall' if n.affected else ''}</title>"
            f'<rect x="{x}" y="{y}" width="{W}" height="{H}" rx="{rx}" fill="{fill}"{stroke}/>'
            f'<text x="{x + 7}" y="{y + 16}" font-size="11" font-family="sans-serif" '
            f'font-weight="{"bold" if n.affected else "normal"}">{e(head)}</text>'
            f'<text x="{x + 7}" y="{y + 32}" font-size="12" font-family="sans-serif">'
            f"{e(_fit(n.label, 28))}</text>"
            f'<text x="{x + 7}" y="{y + 48}" font-size="11" font-family="sans-serif" '
            f'fill="#222">{e(_fit(n.party_name or "party unknown", 16))}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


def legend(cols: Colours) -> str:
    """The legend: each party's colour with its name, and what the outlines mean."""
    items = [
        f'<span><i class="sw" style="background:{c}"></i>{e(name)}</span>'
        for c, name in cols.values()
    ]
    items.append(f'<span><i class="sw" style="background:{NO_PARTY}"></i>party unknown</span>')
    items.append(
        '<span><i class="sw" style="border:3px dashed #8b0000"></i>'
        "RECALLED: affected by a recall</span>"
    )
    items.append(
        "<span>dashed line: observed at / contained in; solid: custody, transformation</span>"
    )
    return f'<p class="legend">{"".join(items)}</p>'
