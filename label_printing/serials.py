"""Serial and SSCC allocation, database-backed: a serial is never issued twice.

Every serial handed out is first inserted into ``label_serial`` (primary key gtin + serial), in
the caller's transaction; an insert that collides is never handed out. Two modes:

- ``sequential``: ``label_serial_counter`` per GTIN advanced by one ``UPDATE ... RETURNING``
  (a row lock on PostgreSQL, the database write lock on SQLite), so concurrent processes get
  disjoint ranges; values are decimal, from 1.
- ``random``: :data:`RANDOM_LENGTH` characters drawn with :mod:`secrets` from
  :data:`RANDOM_ALPHABET` (32 symbols, no 0/O/1/I look-alikes): 60 bits, so with N serials
  issued for a GTIN a guess hits one with odds N / 2**60 — better than 1 in 10,000 up to
  10**14 serials per GTIN (EU Delegated Regulation 2016/161 art. 4: at most 1 in 10,000).

SSCCs (:func:`allocate_ssccs`): extension digit + GS1 Company Prefix + serial reference
(17 digits in all) + mod-10 check digit, the serial reference from ``sscc_counter`` per
(extension, prefix); each issued SSCC is also inserted into ``label_sscc``.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from label_printing.errors import LabelInputError, SerialExhaustedError
from label_printing.models import (
    ALLOCATED,
    IssuedSscc,
    LabelSerial,
    SerialCounter,
    SsccCounter,
)
from traceability.identifiers import gtin_check_digit

RANDOM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
RANDOM_LENGTH = 12
MAX_ATTEMPTS = 8


def _insert(session: Session, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _advance(session: Session, table: sa.Table, key_col: str, key: str, n: int, first: int) -> int:
    """Reserve ``n`` consecutive values of the counter row ``key``; returns the first one."""
    ins = _insert(session, table).values({key_col: key, "next_value": first})
    session.execute(ins.on_conflict_do_nothing(index_elements=[key_col]))
    stmt = (
        sa.update(table)
        .where(table.c[key_col] == key)
        .values(next_value=table.c.next_value + n)
        .returning(table.c.next_value)
    )
    after = int(session.execute(stmt).scalar_one())
    return after - n


def _random_serial() -> str:
    return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH))


def _claim(
    session: Session, *, gtin: str, run_id: str, candidates: list[str], start: int
) -> list[str]:
    """Insert ``candidates`` (positions from ``start``); return the ones that were free."""
    if not candidates:
        return []
    table = LabelSerial.__table__  # type: ignore[attr-defined]
    now = datetime.now(UTC)
    rows = [
        {
            "gtin": gtin,
            "serial": s,
            "run_id": run_id,
            "position": start + i,
            "state": ALLOCATED,
            "reprints": 0,
            "updated_at": now,
        }
        for i, s in enumerate(candidates)
    ]
    stmt = (
        _insert(session, table)
        .on_conflict_do_nothing(index_elements=["gtin", "serial"])
        .returning(table.c.serial)
    )
    got = {r[0] for r in session.execute(stmt, rows)}
    return [s for s in candidates if s in got]


def allocate_serials(
    session: Session, *, gtin: str, run_id: str, count: int, mode: str
) -> list[str]:
    """``count`` fresh serials for ``gtin``, recorded for ``run_id`` in the caller's transaction
    (state ``allocated``, positions 0..count-1); the caller commits."""
    if mode not in ("random", "sequential"):
        raise LabelInputError("serial_mode: must be random or sequential", field="serial_mode")
    out: list[str] = []
    attempts = 0
    while len(out) < count:
        attempts += 1
        if attempts > MAX_ATTEMPTS + count:
            raise SerialExhaustedError(
                f"could not draw {count} fresh serials for GTIN {gtin}", field="gtin", value=gtin
            )
        need = count - len(out)
        if mode == "sequential":
            table = SerialCounter.__table__  # type: ignore[attr-defined]
            first = _advance(session, table, "gtin", gtin, need, 1)
            if first + need - 1 >= 10**20:
                raise SerialExhaustedError(
                    f"sequential serials of GTIN {gtin} are used up", field="gtin", value=gtin
                )
            batch = [str(v) for v in range(first, first + need)]
        else:
            batch = list(dict.fromkeys(_random_serial() for _ in range(need)))
        out += _claim(session, gtin=gtin, run_id=run_id, candidates=batch, start=len(out))
    return out


def sscc_from_parts(*, extension: int, company_prefix: str, reference: int) -> str:
    """The 18-digit SSCC: extension, company prefix, serial reference, check digit."""
    width = 16 - len(company_prefix)
    body = f"{extension}{company_prefix}{reference:0{width}d}"
    return body + gtin_check_digit(body)


def allocate_ssccs(
    session: Session,
    *,
    company_prefix: str,
    count: int,
    extension: int = 0,
    run_id: str | None = None,
) -> list[str]:
    """``count`` fresh SSCCs under ``company_prefix`` (6-12 digits), extension digit 0-9."""
    if not (
        company_prefix.isascii() and company_prefix.isdigit() and 6 <= len(company_prefix) <= 12
    ):
        raise LabelInputError(
            "company_prefix: must be 6-12 digits", field="company_prefix", value=company_prefix
        )
    if not 0 <= extension <= 9:
        raise LabelInputError("extension: must be 0-9", field="extension", value=extension)
    if not 1 <= count <= 100_000:
        raise LabelInputError("count: must be 1..100000", field="count", value=count)
    table = SsccCounter.__table__  # type: ignore[attr-defined]
    first = _advance(session, table, "prefix", f"{extension}{company_prefix}", count, 0)
    limit = 10 ** (16 - len(company_prefix))
    if first + count > limit:
        raise SerialExhaustedError(
            f"company prefix {company_prefix} (extension {extension}) has no SSCC serial "
            "references left",
            code="sscc_exhausted",
            field="company_prefix",
            value=company_prefix,
        )
    ssccs = [
        sscc_from_parts(extension=extension, company_prefix=company_prefix, reference=r)
        for r in range(first, first + count)
    ]
    now = datetime.now(UTC)
    session.execute(
        sa.insert(IssuedSscc.__table__),  # type: ignore[attr-defined]
        [{"sscc": s, "run_id": run_id, "created_at": now} for s in ssccs],
    )
    return ssccs
