"""Credential delivery by SMS, and what the caller is told about it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ivr.callflow.engine import StepContext
from ivr.flows.registry import action, params
from ivr.registration.mobiles import last_four
from ivr.sms import outbox
from ivr.sms.sender import wake_sender
from ivr.speech.values import DigitString
from ivr.store.models import Registration


def registration(ctx: StepContext) -> Registration:
    """Return the verified caller's completed registration (read once per step)."""
    if Registration not in ctx.loaded:
        query = select(Registration).where(Registration.pre_registration_id == ctx.call.pre_registration_id)
        ctx.loaded[Registration] = ctx.db.scalars(query).one()
    return ctx.loaded[Registration]


@action("request_credentials", outcomes={"queued", "limit_reached"})
def request_credentials(ctx: StepContext) -> str:
    """Queue one SMS with the number and a new password, to the registration's mobile."""
    language = ctx.call.language
    if language is None:  # the flows choose the language before any identity check
        raise ValueError("no SMS text without the call's language")
    outcome = outbox.request_credentials(ctx.db, registration(ctx), language, f"{ctx.call.call_sid}:{ctx.seq}", ctx.now)
    if outcome == "limit_reached":
        return "limit_reached"
    ctx.after_commit.append(lambda: wake_sender(ctx.rt))
    return "queued"


@params("registration", names={"number", "last_four"})
def registration_params(ctx: StepContext) -> dict[str, Any]:
    found = registration(ctx)
    return {"number": DigitString(found.number), "last_four": DigitString(last_four(found.mobile))}
