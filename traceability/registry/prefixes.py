"""A party's registered GS1 Company Prefix: the documented override of the prefix table.

A GS1 key does not say where its company prefix ends; the identifier core's table
(:func:`traceability.identifiers.gs1.company_prefix_length`) gives the length GS1 publishes,
which can be wrong or missing for a member's allocation. A party registered with
``gs1_company_prefix`` states it: every EPC URN built for that party's products (label
printing, the simulators and the demo) splits the key at its length
(:func:`traceability.identifiers.gs1.prefix_length_for`, the one source of lengths), and a
product registered for the party must carry a GTIN under it (``company_prefix_mismatch``).
"""

from __future__ import annotations

from sqlmodel import Session

from traceability.errors import InvalidInputError
from traceability.identifiers.gs1 import prefix_length_for
from traceability.registry.models import Party, Product

__all__ = ["check_prefix", "product_prefix_length"]


def check_prefix(party: Party, *, gtin: str) -> None:
    """Refuse a GTIN (14 digits) that is not under the party's registered prefix."""
    prefix = party.gs1_company_prefix
    if prefix and not gtin.zfill(14)[1:].startswith(prefix):
        raise InvalidInputError(
            f"GTIN {gtin} is not under party {party.id}'s registered GS1 Company Prefix {prefix} "
            "(digits 2.. of the GTIN-14 must start with it)",
            code="company_prefix_mismatch",
            field="gtin",
            value=gtin,
        )


def product_prefix_length(session: Session, *, gtin: str) -> int:
    """The company-prefix length of a GTIN: its owner's registered prefix when the product is
    registered and its party has one, else the prefix table (else 7 digits)."""
    key13 = gtin.zfill(14)[1:]
    product = session.get(Product, gtin.zfill(14))
    party = session.get(Party, product.party_id) if product is not None else None
    return prefix_length_for(key13, party.gs1_company_prefix if party is not None else None)
