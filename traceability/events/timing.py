"""Times of events and envelopes: one parser and one plausibility rule for every caller.

The gateway (``eventTime``, ``sent_at``), the EPCIS validator (``tracectl epcis validate``) and
anything else that judges a time use :class:`TimeRule`, so they refuse the same times for the
same reasons:

``time_before_floor``  the time is before the floor (default 2000-01-01T00:00:00Z,
                       ``TRACE_TIME_FLOOR``): year 0001, 1900 ... (also a time so early that it
                       cannot be converted to UTC)
``time_too_old``       an ``eventTime`` more than the maximum age (default 731 days,
                       ``TRACE_EVENT_MAX_AGE_DAYS``; 0 = no limit) before the envelope's ``sent_at``
``clock_skew``         the time is later than now + the allowed clock skew (``TRACE_CLOCK_SKEW_S``),
                       e.g. year 9999 (also a time so late it cannot be converted to UTC)

:func:`parse_time` is total: it returns ``None`` for anything that is not an RFC 3339 time with
an offset, and never raises (no ``ValueError``/``OverflowError`` for years 0001 or 9999).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = [
    "DEFAULT_FLOOR",
    "DEFAULT_MAX_AGE",
    "DEFAULT_SKEW",
    "TimeProblem",
    "TimeRule",
    "parse_time",
]

DEFAULT_FLOOR: Final = datetime(2000, 1, 1, tzinfo=UTC)
DEFAULT_MAX_AGE: Final = timedelta(days=731)
DEFAULT_SKEW: Final = timedelta(seconds=300)


def parse_time(text: Any) -> datetime | None:
    """``text`` as an aware UTC datetime, or None (not a string, no offset, not a time, or a
    time that has no UTC form, such as 0001-01-01T00:00:00+01:00)."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if value.tzinfo is None:
            return None
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


@dataclass(frozen=True, slots=True)
class TimeProblem:
    code: str
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class TimeRule:
    """What times are plausible: not before ``floor``, not after now + ``skew``, and (for event
    times) not more than ``max_age`` before the envelope was sent (None: no such limit)."""

    floor: datetime = DEFAULT_FLOOR
    max_age: timedelta | None = DEFAULT_MAX_AGE
    skew: timedelta = DEFAULT_SKEW

    @classmethod
    def from_settings(cls, settings: Any) -> TimeRule:
        """From :class:`traceability.config.Settings` (``time_floor``, ``event_max_age_days``,
        ``clock_skew_s``)."""
        floor = settings.time_floor
        if floor.tzinfo is None:
            floor = floor.replace(tzinfo=UTC)
        days = float(settings.event_max_age_days)
        return cls(
            floor=floor.astimezone(UTC),
            max_age=timedelta(days=days) if days > 0 else None,
            skew=timedelta(seconds=int(settings.clock_skew_s)),
        )

    def check(
        self,
        text: Any,
        *,
        field: str,
        now: datetime | None = None,
        sent_at: datetime | None = None,
    ) -> tuple[datetime | None, TimeProblem | None]:
        """(the time, None) if ``text`` is a plausible time; else (the time or None, why not).

        ``now`` enables the clock-skew bound, ``sent_at`` the maximum age (event times only).
        A string that is no RFC 3339 time gives (None, None): the schema reports it.
        """
        when = parse_time(text)
        if when is None:
            year = _year_without_utc_form(text)
            if year is None:
                return None, None  # not a time at all: the schema's business
            if year <= 1:
                return None, self._before_floor(field, text)
            return None, TimeProblem(
                "clock_skew", field, f"{field} {text} is beyond the allowed clock skew"
            )
        if when < self.floor:
            return when, self._before_floor(field, text)
        if now is not None and when > now + self.skew:
            return when, TimeProblem(
                "clock_skew",
                field,
                f"{field} {text} is beyond the allowed clock skew "
                f"({int(self.skew.total_seconds())} s after {_z(now)})",
            )
        if (
            sent_at is not None
            and self.max_age is not None
            and when < _minus(sent_at, self.max_age)
        ):
            return when, TimeProblem(
                "time_too_old",
                field,
                f"{field} {text} is more than {_days(self.max_age)} days before the envelope's "
                f"sent_at {_z(sent_at)}",
            )
        return when, None

    def _before_floor(self, field: str, text: str) -> TimeProblem:
        return TimeProblem(
            "time_before_floor",
            field,
            f"{field} {text} is before the earliest accepted time {_z(self.floor)}",
        )


def _minus(when: datetime, span: timedelta) -> datetime:
    try:
        return when - span
    except OverflowError:
        return datetime.min.replace(tzinfo=UTC)


def _year_without_utc_form(text: Any) -> int | None:
    """The year of an RFC 3339 time with an offset that has no UTC form (the first hours of
    year 1 east of UTC, the last of year 9999 west of it), else None."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return None
    try:
        value.astimezone(UTC)
    except OverflowError:
        return value.year
    return None


def _z(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return str(int(days)) if days == int(days) else f"{days:g}"
