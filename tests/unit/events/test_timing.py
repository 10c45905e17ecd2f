"""events.timing: the one time parser and rule (issue 12 item 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from traceability.events.timing import TimeRule, parse_time

RULE = TimeRule()
NOW = datetime(2026, 6, 1, tzinfo=UTC)


@given(st.text(max_size=40))
def test_parse_and_check_are_total(text: str) -> None:
    when = parse_time(text)
    assert when is None or when.tzinfo is not None
    RULE.check(text, field="eventTime", now=NOW, sent_at=NOW)


@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.integers(min_value=-14 * 60, max_value=14 * 60),
)
def test_every_calendar_time_is_judged_by_its_utc_instant(naive: datetime, minutes: int) -> None:
    offset = timedelta(minutes=minutes)
    sign = "-" if minutes < 0 else "+"
    text = naive.isoformat() + f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    when, problem = RULE.check(text, field="eventTime", now=NOW)
    instant = (naive - offset).replace(tzinfo=UTC)
    if instant < RULE.floor:
        assert problem is not None and problem.code == "time_before_floor"
    elif instant > NOW + RULE.skew:
        assert problem is not None and problem.code == "clock_skew"
    else:
        assert problem is None and when == instant


def test_edges_of_the_calendar_have_named_problems() -> None:
    low = RULE.check("0001-01-01T00:00:00+14:00", field="sent_at", now=NOW)[1]
    high = RULE.check("9999-12-31T23:59:59-14:00", field="sent_at", now=NOW)[1]
    assert low is not None and low.code == "time_before_floor" and "0001-01-01" in low.message
    assert high is not None and high.code == "clock_skew" and "9999-12-31" in high.message
    assert RULE.check("2026-05-01T00:00:00", field="eventTime") == (None, None)  # no offset
    assert RULE.check("yesterday", field="eventTime") == (None, None)
