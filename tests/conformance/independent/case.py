"""The shape of one generated identifier case."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Case:
    """One input and what the published rules say about it.

    ``kinds``: for a valid input, every kind it is validly (the CLI's ``kind`` plus
    ``alternatives`` must equal it); for an invalid one, the kinds the CLI may name
    (empty: not checked). ``normalized``: values that must be present and equal.
    ``epc_gs1``: for GS1 inputs, the GS1 keys (AI -> value) that an ``epc_urn`` the CLI
    offers must encode (the company prefix length is not in the key, so only consistency
    can be checked).
    """

    input: str
    valid: bool
    kinds: frozenset[str]
    normalized: dict[str, str] = field(default_factory=dict)
    epc_gs1: dict[str, str] | None = None
    note: str = ""
