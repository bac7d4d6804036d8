"""The advisors' opening hours as values prompts say: the schedule, and why advisors do not answer now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ivr import hours
from ivr.speech.values import ClockTime, DaysAndHours, Schedule, Word


def opening_hours(settings: Mapping[str, Any]) -> hours.OpeningHours:
    return hours.parse(
        settings["ADVISOR_HOURS"],
        settings["IVR_TIMEZONE"],
        settings.get("ADVISOR_CLOSED_DATES", ""),
        settings.get("ADVISOR_PUBLIC_HOLIDAYS", hours.HOLIDAYS_COUNTRY),
    )


def hours_words(found: hours.OpeningHours, utc_now: datetime | None = None) -> dict[str, object]:
    """Return the opening hours as values prompts can say, and why advisors do not answer at a moment."""
    return {
        "today": Word(closed_reason(found, utc_now)),
        "hours": Schedule(
            tuple(
                DaysAndHours(
                    hours.DAYS[r.first_day],
                    hours.DAYS[r.last_day],
                    ClockTime(r.opens.hour, r.opens.minute),
                    ClockTime(0, 0) if r.closes == hours.END_OF_DAY else ClockTime(r.closes.hour, r.closes.minute),
                )
                for r in found.ranges
            )
        ),
    }


def closed_reason(found: hours.OpeningHours, utc_now: datetime | None) -> str:
    if utc_now is None or not found.is_closed_day(utc_now):
        return "hours.closed_now"
    in_holidays = found.public_holidays is not None and found.local(utc_now).date() in found.public_holidays
    return "hours.closed_holiday" if in_holidays else "hours.closed_today"
