"""The trace graph's layout and SVG: layers by time, a bounded node count with a truncated
flag, party colours with names as text, recall-affected nodes marked, everything escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from traceability.console import svg

SVG = "{http://www.w3.org/2000/svg}"


def _graph(n: int) -> svg.Graph:
    g = svg.Graph()
    for i in range(n):
        g.nodes[f"n{i}"] = svg.Node(
            id=f"n{i}",
            kind="item",
            label=f"<b>item {i}</b>",
            party_id=f"p{i % 3}",
            party_name=f"Party {i % 3} & Co",
            affected=i == 1,
            first=f"2026-01-{1 + i // 2:02d}T00:00:00Z",
        )
        if i:
            g.edges.append((f"n{i - 1}", f"n{i}", "custody"))
    return g


def test_layers_follow_time_and_rows_stack() -> None:
    g = svg.layout(_graph(6))
    layers = [g.nodes[f"n{i}"].layer for i in range(6)]
    assert layers == sorted(layers) and layers[0] == 0 and layers[-1] == 2
    assert {(n.layer, n.row) for n in g.nodes.values()} == {
        (x, r) for x in range(3) for r in (0, 1)
    }
    assert not g.truncated


def test_the_node_count_is_bounded() -> None:
    g = svg.layout(_graph(100), max_nodes=10)
    assert g.truncated and len(g.nodes) == 10 and g.total_nodes == 100
    assert all(s in g.nodes and d in g.nodes for s, d, _ in g.edges)
    assert max(n.layer for n in g.nodes.values()) < svg.MAX_LAYERS


def test_svg_parses_marks_the_recall_and_escapes() -> None:
    g = svg.layout(_graph(5))
    cols = svg.colours(g)
    text = svg.render(g, title="t <x>", cols=cols)
    root = ET.fromstring(text)  # well-formed: every value escaped
    assert root.tag == f"{SVG}svg"
    nodes = root.findall(f"{SVG}g")
    assert len(nodes) == 5
    affected = [x for x in nodes if "affected" in x.get("class", "")]
    assert len(affected) == 1 and "RECALLED" in "".join(affected[0].itertext())
    words = "".join(root.itertext())
    assert "Party 0 & Co" in words and "<b>item 0</b>" in words
    assert len(root.findall(f"{SVG}line")) == 4
    legend = svg.legend(cols)
    assert legend.count("Party") == 3 and "&amp; Co" in legend and "RECALLED" in legend
    assert len({c for c, _ in cols.values()}) == 3


def test_short_ids() -> None:
    assert (
        svg.short_id("urn:epc:id:sgtin:69371020.10001.3SXEZ3JL7475") == "sgtin 10001.3SXEZ3JL7475"
    )
    assert svg.short_id("urn:epc:id:sscc:69371020.025079058") == "sscc 025079058"
    assert svg.short_id("x" * 40) == "x" * 28
