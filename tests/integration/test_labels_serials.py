"""Serial and SSCC allocation raced by two processes: nothing is ever issued twice."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlmodel import Session

from label_printing.serials import (
    RANDOM_ALPHABET,
    RANDOM_LENGTH,
    allocate_serials,
    allocate_ssccs,
    sscc_from_parts,
)
from traceability.identifiers import validate_sscc
from traceability.store.engine import create_engine

REPO = Path(__file__).resolve().parents[2]
WORKER = textwrap.dedent(
    """
    import json, sys
    from sqlmodel import Session
    from label_printing.serials import allocate_serials, allocate_ssccs
    from traceability.store.engine import create_engine
    url, mode, tag = sys.argv[1], sys.argv[2], sys.argv[3]
    eng = create_engine(url=url)
    out = []
    for i in range(15):
        with Session(eng) as s:
            if mode == "sscc":
                out += allocate_ssccs(s, company_prefix="0614141", count=20)
            else:
                out += allocate_serials(
                    s, gtin="09506000134352", run_id=f"{tag}{i}", count=20, mode=mode
                )
            s.commit()
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize("mode", ["sequential", "random", "sscc"])
def test_two_processes_never_share_a_value(store_url: str, mode: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, store_url, mode, f"p{k}-"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for k in range(2)
    ]
    got: list[list[str]] = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        got.append(json.loads(out))
    a, b = got
    assert len(a) == len(b) == 300
    assert len(set(a) | set(b)) == 600  # unique within and across the processes
    if mode == "sequential":
        assert sorted(int(x) for x in a + b) == list(range(1, 601))
    if mode == "random":
        assert all(len(x) == RANDOM_LENGTH and set(x) <= set(RANDOM_ALPHABET) for x in a + b)
    if mode == "sscc":
        assert all(validate_sscc(x) for x in a + b)


def test_runs_on_a_new_engine_continue_where_the_last_stopped(store_url: str) -> None:
    for _ in range(2):
        eng = create_engine(url=store_url)
        with Session(eng) as s:
            first = allocate_serials(
                s, gtin="09506000134352", run_id="r", count=3, mode="sequential"
            )
            s.commit()
        eng.dispose()
    assert first == ["4", "5", "6"]


def test_random_serials_are_unguessable_enough() -> None:
    # 32 symbols ** 12 = 2**60 values: with 10**9 serials issued for one GTIN a guess still
    # hits one with odds below 1 in 10**9 (EU FMD asks for at most 1 in 10,000)
    assert len(set(RANDOM_ALPHABET)) == 32
    assert len(RANDOM_ALPHABET) ** RANDOM_LENGTH >= 10_000 * 10**14


def test_sscc_layout() -> None:
    assert sscc_from_parts(extension=1, company_prefix="0614141", reference=123456789) == (
        "106141411234567897"
    )
    assert validate_sscc("106141411234567897")


def test_sscc_prefix_exhaustion_is_refused(store_url: str) -> None:
    from label_printing.errors import SerialExhaustedError

    eng = create_engine(url=store_url)
    with Session(eng) as s:
        allocate_ssccs(s, company_prefix="061414112345", count=9999)  # 4-digit references
        with pytest.raises(SerialExhaustedError):
            allocate_ssccs(s, company_prefix="061414112345", count=2)
    eng.dispose()


def test_migration_0006_down_and_up(store_url: str) -> None:
    import sqlalchemy as sa
    from alembic import command

    from traceability.store.engine import alembic_config, upgrade

    tables = {"label_run", "label_serial", "label_serial_counter", "sscc_counter", "label_sscc"}
    eng = create_engine(url=store_url)
    try:
        assert tables <= set(sa.inspect(eng).get_table_names())
        command.downgrade(alembic_config(url=store_url), "0005")
        assert not tables & set(sa.inspect(eng).get_table_names())
        upgrade(url=store_url)
        assert tables <= set(sa.inspect(eng).get_table_names())
    finally:
        eng.dispose()
