"""Credential delivery by SMS, and what the caller is told about it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from ivr.callflow.engine import StepContext
from ivr.flows.registry import action, params
from ivr.registration import records
from ivr.registration.mobiles import last_four
from ivr.sms import outbox
from ivr.sms.sender import wake_sender
from ivr.speech.values import DigitString
from ivr.store.models import Registration


def registration(ctx: StepContext) -> Row[Any]:
    """Return the verified caller's completed registration (read once per step)."""
    if Registration not in ctx.loaded:
        ctx.loaded[Registration] = records.registration_of(ctx.conn, ctx.call.pre_registration_id)
    return ctx.loaded[Registration]


@action("request_credentials", outcomes={"queued", "limit_reached"})
def request_credentials(ctx: StepContext) -> str:
    """Queue one SMS with the number and a new password, to the registration's mobile."""
    if ctx.call.language is None:  # the flows choose the language before any identity check
        raise ValueError("no SMS text without the call's language")
    language = ctx.rt.catalog.written(ctx.call.language)  # a language recorded alone is texted in its written one
    found = registration(ctx)
    key = f"{ctx.call.call_sid}:{ctx.seq}"
    outcome = outbox.request_credentials(ctx.conn, found.id, found.mobile, language, key, ctx.now)
    if outcome == "limit_reached":
        return "limit_reached"
    ctx.after_commit.append(lambda: wake_sender(ctx.rt))
    return "queued"


@params("registration", names={"number", "last_four"})
def registration_params(ctx: StepContext) -> dict[str, Any]:
    found = registration(ctx)
    return {"number": DigitString(found.number), "last_four": DigitString(last_four(found.mobile))}
