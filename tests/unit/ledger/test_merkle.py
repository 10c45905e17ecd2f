"""RFC 9162 Merkle tree: transparency-dev vectors and a naive recursive cross-check."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.merkle import mth
from traceability.ledger import merkle
from traceability.ledger.errors import ProofError

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "merkle"


def _cases(kind: str) -> list[Any]:
    files = sorted((VECTORS / kind).rglob("*.json"))
    assert files, f"no vectors under {kind}"
    return [pytest.param(json.loads(f.read_text()), id=str(f.relative_to(VECTORS))) for f in files]


def _b(v: str | None) -> bytes:
    return base64.b64decode(v or "")


def _proof(case: dict[str, Any]) -> list[bytes]:
    return [_b(p) for p in case["proof"] or []]


def _outcome(fn: Any, *args: Any) -> bool:
    try:
        fn(*args)
    except ProofError:
        return False
    return True


@pytest.mark.parametrize("case", _cases("inclusion"))
def test_inclusion_vectors(case: dict[str, Any]) -> None:
    ok = _outcome(
        merkle.verify_inclusion,
        case["leafIdx"],
        case["treeSize"],
        _b(case["leafHash"]),
        _proof(case),
        _b(case["root"]),
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("case", _cases("consistency"))
def test_consistency_vectors(case: dict[str, Any]) -> None:
    ok = _outcome(
        merkle.verify_consistency,
        case["size1"],
        case["size2"],
        _b(case["root1"]),
        _b(case["root2"]),
        _proof(case),
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("case", _cases("subtreeinclusion"))
def test_subtree_inclusion_vectors(case: dict[str, Any]) -> None:
    ok = _outcome(
        merkle.verify_subtree_inclusion,
        case["leafIdx"],
        case["start"],
        case["end"],
        _b(case["leafHash"]),
        _proof(case),
        _b(case["root"]),
    )
    assert ok is not case["wantErr"], case["desc"]


@pytest.mark.parametrize("case", _cases("subtreeconsistency"))
def test_subtree_consistency_vectors(case: dict[str, Any]) -> None:
    ok = _outcome(
        merkle.verify_subtree_consistency,
        case["start"],
        case["end"],
        case["size"],
        _b(case["root1"]),
        _b(case["root2"]),
        _proof(case),
    )
    assert ok is not case["wantErr"], case["desc"]


# --- naive recursive reference (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1 written literally) ---


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = merkle.split_point(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [mth(d)]
    k = merkle.split_point(len(d))
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def _store(d: list[bytes]) -> dict[merkle.Node, bytes]:
    nodes: dict[merkle.Node, bytes] = {(0, i): merkle.leaf_hash(x) for i, x in enumerate(d)}
    done, _ = merkle.append_leaves(0, [], [merkle.leaf_hash(x) for x in d])
    nodes.update({(lv, i): h for lv, i, h in done})
    return nodes


entries = st.lists(st.binary(max_size=4), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(d=entries, data=st.data())
def test_against_naive(d: list[bytes], data: st.DataObject) -> None:
    nodes = _store(d)
    n = len(d)
    size = data.draw(st.integers(1, n))
    root = merkle.range_hash(0, size, nodes.__getitem__)
    assert root == mth(d[:size])
    m = data.draw(st.integers(0, size - 1))
    proof = [
        merkle.range_hash(a, b, nodes.__getitem__) for a, b in merkle.inclusion_ranges(m, size)
    ]
    assert proof == path(m, d[:size])
    merkle.verify_inclusion(m, size, merkle.leaf_hash(d[m]), proof, root)
    old = data.draw(st.integers(1, size))
    cproof = [
        merkle.range_hash(a, b, nodes.__getitem__) for a, b in merkle.consistency_ranges(old, size)
    ]
    assert cproof == subproof(old, d[:size], True)
    merkle.verify_consistency(old, size, mth(d[:old]), root, cproof)
    if cproof:
        bad = [*cproof[:-1], bytes(32)]
        with pytest.raises(ProofError):
            merkle.verify_consistency(old, size, mth(d[:old]), root, bad)


@settings(max_examples=60, deadline=None)
@given(d=entries, data=st.data())
def test_subtree_consistency_roundtrip(d: list[bytes], data: st.DataObject) -> None:
    nodes = _store(d)
    size = len(d)
    level = data.draw(st.integers(0, (size - 1).bit_length()))
    start = data.draw(st.integers(0, (size - 1) >> level)) << level
    end = data.draw(st.integers(start + 1, min(size, start + (1 << level))))
    merkle.check_subtree(start, end)
    sub = mth(d[start:end])
    proof = [
        merkle.range_hash(a, b, nodes.__getitem__)
        for a, b in merkle.subtree_consistency_ranges(start, end, size)
    ]
    merkle.verify_subtree_consistency(start, end, size, sub, mth(d), proof)


@settings(max_examples=40, deadline=None)
@given(d=entries, extra=entries)
def test_append_in_two_steps(d: list[bytes], extra: list[bytes]) -> None:
    first, frontier = merkle.append_leaves(0, [], [merkle.leaf_hash(x) for x in d])
    second, frontier = merkle.append_leaves(len(d), frontier, [merkle.leaf_hash(x) for x in extra])
    whole, _ = merkle.append_leaves(0, [], [merkle.leaf_hash(x) for x in d + extra])
    assert first + second == whole
    assert merkle.fold(frontier) == mth(d + extra)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 70), st.integers(1, 70))
def test_append_leaf_nodes_stores_every_subtree(first: int, more: int) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(2, "big")) for i in range(first + more)]
    done, frontier = merkle.append_leaves(0, [], leaves)
    nodes_a, front_a = merkle.append_leaf_nodes(0, [], leaves[:first])
    nodes_b, front_b = merkle.append_leaf_nodes(first, front_a, leaves[first:])
    per_leaf = nodes_a + nodes_b
    assert front_b == frontier
    for lv, i, h in done:
        row, off = merkle.node_home((lv, i))
        assert per_leaf[row][off : off + merkle.HASH_SIZE] == h
    assert sum(len(x) for x in per_leaf) == merkle.HASH_SIZE * len(done)
