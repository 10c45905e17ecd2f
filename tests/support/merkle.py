"""The naive Merkle tree hash (RFC 9162 §2.1.1 written literally), the reference the fast
tree and the stored ledger are checked against."""

from __future__ import annotations

from traceability.ledger import merkle


def mth(d: list[bytes]) -> bytes:
    if not d:
        return merkle.EMPTY_ROOT
    if len(d) == 1:
        return merkle.leaf_hash(d[0])
    k = merkle.split_point(len(d))
    return merkle.node_hash(mth(d[:k]), mth(d[k:]))
