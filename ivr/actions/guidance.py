"""Information without identity (category dates) and the advisor's opening hours."""
from __future__ import annotations

from datetime import datetime

from ivr import hours
from ivr.actions.registry import action, params
from ivr.spoken import ClockTime, Day, DaysAndHours, Localized, Month, Schedule, Word


@params("info_dates", names={"choice", "due_month", "coverage_date"})
def info_dates(ctx) -> dict:
    """Return the dates of the information menu's chosen group of categories."""
    choice = ctx.rt.categories.info_choice(ctx.slot("info_choice"))
    return {
        "choice": Localized.of(choice.label),
        "due_month": Month(choice.contributions_due),
        "coverage_date": Day(choice.coverage_starts),
    }


def opening_hours(settings) -> hours.OpeningHours:
    return hours.parse(settings["ADVISOR_HOURS"], settings["IVR_TIMEZONE"], settings.get("ADVISOR_CLOSED_DATES", ""))


@action("advisor_hours", outcomes={"open", "closed"})
def advisor_hours(ctx) -> str:
    """Tell whether advisors answer now."""
    return "open" if opening_hours(ctx.rt.settings).is_open(ctx.now) else "closed"


@params("opening_hours", names={"today", "hours"})
def opening_hours_params(ctx) -> dict:
    return hours_words(opening_hours(ctx.rt.settings), ctx.now)


def hours_words(found: hours.OpeningHours, utc_now: datetime | None = None) -> dict:
    """Return the opening hours as values prompts can say, and why advisors do not answer at a moment."""
    return {"today": Word(closed_reason(found, utc_now)), "hours": Schedule(tuple(
        DaysAndHours(hours.DAYS[r.first_day], hours.DAYS[r.last_day], ClockTime(r.opens.hour, r.opens.minute),
                     ClockTime(r.closes.hour, r.closes.minute)) for r in found.ranges))}


def closed_reason(found: hours.OpeningHours, utc_now: datetime | None) -> str:
    if utc_now is None or not found.is_closed_day(utc_now):
        return "hours.closed_now"
    in_holidays = found.public_holidays is not None and found.local(utc_now).date() in found.public_holidays
    return "hours.closed_holiday" if in_holidays else "hours.closed_today"
