"""Information without identity (category dates) and the advisor's opening hours."""

from __future__ import annotations

from typing import Any

from ivr.callflow.engine import StepContext
from ivr.flows.registry import action, params
from ivr.speech.opening_hours import hours_words, opening_hours
from ivr.speech.values import Day, Localized, Month


@params("info_dates", names={"choice", "due_month", "coverage_date"}, reads={"info_choice"})
def info_dates(ctx: StepContext) -> dict[str, Any]:
    """Return the dates of the information menu's chosen group of categories."""
    choice = ctx.rt.categories.info_choice(ctx.slot("info_choice"))
    return {
        "choice": Localized.of(choice.label),
        "due_month": Month(choice.contributions_due),
        "coverage_date": Day(choice.coverage_starts),
    }


@action("advisor_hours", outcomes={"open", "closed"})
def advisor_hours(ctx: StepContext) -> str:
    """Tell whether advisors answer now."""
    return "open" if opening_hours(ctx.rt.settings).is_open(ctx.now) else "closed"


@params("opening_hours", names={"today", "hours"})
def opening_hours_params(ctx: StepContext) -> dict[str, Any]:
    return hours_words(opening_hours(ctx.rt.settings), ctx.now)
