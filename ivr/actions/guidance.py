"""Information without identity (category dates) and the advisor's opening hours."""
from __future__ import annotations

from ivr import hours
from ivr.actions.registry import action, params
from ivr.spoken import ClockTime, Day, Localized, Month, Word


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
    return hours.parse(settings["ADVISOR_HOURS"], settings["IVR_TIMEZONE"])


@action("advisor_hours", outcomes={"open", "closed"})
def advisor_hours(ctx) -> str:
    """Tell whether advisors answer now."""
    return "open" if opening_hours(ctx.rt.settings).is_open(ctx.now) else "closed"


@params("opening_hours", names={"first_day", "last_day", "opens", "closes"})
def opening_hours_params(ctx) -> dict:
    return hours_words(opening_hours(ctx.rt.settings))


def hours_words(found: hours.OpeningHours) -> dict:
    """Return the opening hours as values prompts can say."""
    return {
        "first_day": Word(f"day.{hours.DAYS[found.first_day]}"),
        "last_day": Word(f"day.{hours.DAYS[found.last_day]}"),
        "opens": ClockTime(found.opens.hour, found.opens.minute),
        "closes": ClockTime(found.closes.hour, found.closes.minute),
    }
