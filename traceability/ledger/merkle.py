"""RFC 9162 Merkle tree hashing, proofs and their verification (pure functions, no I/O).

Hashes: leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right), empty tree =
SHA-256(""). A *range* ``(a, b)`` names MTH(D[a:b]); every range a proof needs is a node of the
MTH recursion, so it splits into aligned perfect subtrees (:func:`decompose`) that the store keeps
on the entries: leaf ``i`` carries its leaf hash (level 0) and, in ``nodes``, the hashes of the
subtrees it completes (levels 1..tz(i + 1), concatenated; see :func:`node_home`). Proofs are
therefore computed as "which ranges" (:func:`inclusion_ranges`, :func:`consistency_ranges`) and
then "their hashes" (:func:`range_hash`), which is O(log n) stored nodes per proof.

Verification follows RFC 9162 §2.1.3.2 (inclusion) and §2.1.4.2 (consistency). The subtree
variants (draft-ietf-plants-merkle-tree-certs, "subtrees") are also supported: a subtree
``[start, end)`` is valid when ``start < end`` and ``start`` is a multiple of
``bit_ceil(end - start)``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence

from traceability.ledger.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_sha256 = hashlib.sha256

Range = tuple[int, int]
Node = tuple[int, int]  # (level, index): leaves [index << level, (index + 1) << level)


def leaf_hash(entry: bytes) -> bytes:
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def bit_ceil(n: int) -> int:
    return 1 if n <= 1 else 1 << (n - 1).bit_length()


# --- ranges and stored nodes -------------------------------------------------------------


def decompose(a: int, b: int) -> list[Node]:
    """Aligned perfect subtrees covering ``[a, b)``, left to right (greedy, largest first)."""
    out: list[Node] = []
    while a < b:
        size = a & -a if a else bit_ceil(b + 1)
        while a + size > b:
            size >>= 1
        level = size.bit_length() - 1
        out.append((level, a >> level))
        a += size
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its :func:`decompose` node hashes (combined right to left)."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def range_hash(a: int, b: int, get: Callable[[Node], bytes]) -> bytes:
    return fold([get(n) for n in decompose(a, b)])


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 PATH(index, D[0:size]) as ranges, leaf sibling first."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}", field="index")
    out: list[Range] = []
    a, b = 0, size
    while b - a > 1:
        k = split_point(b - a)
        if index < a + k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a = a + k
    out.reverse()
    return out


def consistency_ranges(old: int, new: int) -> list[Range]:
    """RFC 9162 PROOF(old, D[0:new]) as ranges (SUBPROOF with b = true)."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from {old} to {new}", field="old")
    out: list[Range] = []
    a, b, m, known = 0, new, old, True
    while m != b - a:
        k = split_point(b - a)
        if m <= k:
            out.append((a + k, b))
            b = a + k
        else:
            out.append((a, a + k))
            a, m, known = a + k, m - k, False
    if not known:
        out.append((a, b))
    out.reverse()
    return out


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    return {n for a, b in ranges for n in decompose(a, b)}


# --- frontier (append) -------------------------------------------------------------------


def frontier_nodes(size: int) -> list[Node]:
    """The perfect subtrees of a tree of ``size`` leaves: the right edge an append builds on."""
    return decompose(0, size)


def append_leaves(
    size: int, frontier: list[bytes], leaves: Sequence[bytes]
) -> tuple[list[tuple[int, int, bytes]], list[bytes]]:
    """Append leaf hashes to a tree given its frontier hashes (as :func:`frontier_nodes`).

    Returns the completed subtrees of level >= 1 as ``(level, index, hash)`` and the new
    frontier. Amortised one completed subtree per leaf.
    """
    stack = list(frontier)
    levels = [lv for lv, _ in frontier_nodes(size)]
    done: list[tuple[int, int, bytes]] = []
    n = size
    for h in leaves:
        level = 0
        idx = n
        while stack and levels[-1] == level:
            h = node_hash(stack.pop(), h)
            levels.pop()
            level += 1
            idx >>= 1
            done.append((level, idx, h))
        stack.append(h)
        levels.append(level)
        n += 1
    return done, stack


def node_home(node: Node) -> tuple[int, int]:
    """Where a stored node lives: (entry index, byte offset in its ``nodes``; -1 = leaf hash).

    Node ``(level, i)`` is completed by its last leaf ``((i + 1) << level) - 1``, whose ``nodes``
    holds the hashes of levels 1, 2, ... it completes, in that order.
    """
    level, i = node
    return ((i + 1) << level) - 1, (level - 1) * HASH_SIZE


def append_leaf_nodes(
    size: int, frontier: list[bytes], leaves: Sequence[bytes]
) -> tuple[list[bytes], list[bytes]]:
    """As :func:`append_leaves`, grouped per leaf: each leaf's ``nodes`` bytes (the hashes of
    the subtrees it completes, level 1 first) and the new frontier."""
    stack = list(frontier)
    out: list[bytes] = []
    sha = _sha256
    n = size
    for h in leaves:
        n += 1
        m = n
        if m & 1:
            out.append(b"")
        else:
            parts = []
            while not m & 1:
                h = sha(b"\x01" + stack.pop() + h).digest()
                parts.append(h)
                m >>= 1
            out.append(b"".join(parts))
        stack.append(h)
    return out, stack


# --- verification ------------------------------------------------------------------------


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be {HASH_SIZE} bytes, got {len(value)}", field=what)


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 §2.1.3.2: the root implied by an inclusion proof."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is outside a tree of size {size}", field="index")
    _check_hash(leaf, "leaf_hash")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        _check_hash(p, "proof")
        if sn == 0:
            raise ProofError("inclusion proof is too long", field="proof")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short", field="proof")
    return r


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows ``leaf`` at ``index`` under ``root``."""
    got = root_from_inclusion(index, size, leaf, proof)
    if got != root:
        raise ProofError(
            "inclusion proof does not lead to the root", field="root", expected=root, computed=got
        )


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> None:
    """RFC 9162 §2.1.4.2; raises :class:`ProofError` on any mismatch."""
    if old > new:
        raise ProofError(f"old size {old} exceeds new size {new}", field="old")
    if old == new:
        if proof:
            raise ProofError("proof must be empty for equal sizes", field="proof")
        if old == 0 and old_root != EMPTY_ROOT:
            raise ProofError("an empty tree has the empty root", field="root")
        if old_root != new_root:
            raise ProofError(
                "equal sizes with different roots",
                field="root",
                expected=old_root,
                computed=new_root,
            )
        return
    if old == 0:
        raise ProofError("consistency from an empty tree proves nothing", field="old")
    if not proof:
        raise ProofError("consistency proof is empty", field="proof")
    for p in proof:
        _check_hash(p, "proof")
    path = list(proof)
    if old & (old - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long", field="proof")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short", field="proof")
    if fr != old_root:
        raise ProofError(
            "proof does not lead to the old root", field="old_root", expected=old_root, computed=fr
        )
    if sr != new_root:
        raise ProofError(
            "proof does not lead to the new root", field="new_root", expected=new_root, computed=sr
        )


# --- subtrees (draft-ietf-plants-merkle-tree-certs) --------------------------------------


def check_subtree(start: int, end: int) -> None:
    if not 0 <= start < end or start % bit_ceil(end - start):
        raise ProofError(f"[{start}, {end}) is not a valid subtree", field="subtree")


def verify_subtree_inclusion(
    index: int, start: int, end: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Inclusion of ``index`` in the subtree ``[start, end)`` whose hash is ``root``."""
    check_subtree(start, end)
    if not start <= index < end:
        raise ProofError(f"index {index} is outside [{start}, {end})", field="index")
    verify_inclusion(index - start, end - start, leaf, proof, root)


def verify_subtree_consistency(
    start: int, end: int, size: int, sub_root: bytes, root: bytes, proof: Sequence[bytes]
) -> None:
    """That subtree ``[start, end)`` with hash ``sub_root`` is in the tree ``(size, root)``."""
    if start == end and end <= size:
        if proof or sub_root != EMPTY_ROOT:
            raise ProofError("an empty subtree has the empty hash and no proof", field="proof")
        return
    check_subtree(start, end)
    if end > size:
        raise ProofError(f"subtree end {end} exceeds tree size {size}", field="end")
    for p in proof:
        _check_hash(p, "proof")
    fr, sr = _subtree_walk(start, end, size, True, list(proof), sub_root)
    if fr != sub_root:
        raise ProofError(
            "proof does not lead to the subtree hash",
            field="sub_root",
            expected=sub_root,
            computed=fr,
        )
    if sr != root:
        raise ProofError(
            "proof does not lead to the tree root", field="root", expected=root, computed=sr
        )


def _subtree_walk(
    start: int, end: int, n: int, known: bool, proof: list[bytes], sub: bytes
) -> tuple[bytes, bytes]:
    """Mirror of the proof's recursion; consumes ``proof`` from its end (the top sibling)."""
    if start == 0 and end == n:
        if known:
            if proof:
                raise ProofError("subtree consistency proof is too long", field="proof")
            return sub, sub
        if len(proof) != 1:
            raise ProofError("subtree consistency proof has the wrong length", field="proof")
        return proof[0], proof[0]
    if not proof:
        raise ProofError("subtree consistency proof is too short", field="proof")
    last = proof.pop()
    k = split_point(n)
    if end <= k:
        fr, sr = _subtree_walk(start, end, k, known, proof, sub)
        return fr, node_hash(sr, last)
    if start >= k:
        fr, sr = _subtree_walk(start - k, end - k, n - k, known, proof, sub)
        return fr, node_hash(last, sr)
    fr, sr = _subtree_walk(0, end - k, n - k, False, proof, sub)
    return node_hash(last, fr), node_hash(last, sr)


def subtree_consistency_ranges(start: int, end: int, size: int) -> list[Range]:
    """The ranges of a subtree consistency proof (generation side of :func:`_subtree_walk`)."""
    check_subtree(start, end)
    if end > size:
        raise ProofError(f"subtree end {end} exceeds tree size {size}", field="end")
    out: list[Range] = []
    off, s, e, n, known = 0, start, end, size, True
    while not (s == 0 and e == n):
        k = split_point(n)
        if e <= k:
            out.append((off + k, off + n))
            n = k
        elif s >= k:
            out.append((off, off + k))
            off, s, e, n = off + k, s - k, e - k, n - k
        else:
            out.append((off, off + k))
            off, e, n, known = off + k, e - k, n - k, False
    if not known:
        out.append((off, off + n))
    out.reverse()
    return out
