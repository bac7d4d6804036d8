"""Category confirmation and registration completion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from ivr.callflow.engine import StepContext
from ivr.flows.registry import action, params, validator
from ivr.registration import records, registration_numbers
from ivr.registration.mobiles import last_four, mobile_from_keypad
from ivr.speech.values import Day, DigitString, Localized, Month
from ivr.store.models import Dispute, PreRegistration, Registration


def pre_registration(ctx: StepContext, lock: bool = False) -> Row[Any]:
    """Return the verified caller's pre-registration (read once per step; locked for update when asked)."""
    # A step passing several states asks for it again and again; a lock must be taken by a query.
    if lock or PreRegistration not in ctx.loaded:
        ctx.loaded[PreRegistration] = records.person(ctx.conn, ctx.call.pre_registration_id, lock=lock)
    return ctx.loaded[PreRegistration]


@params("declared_category", names={"category", "due_month", "coverage_date"})
def declared_category(ctx: StepContext) -> dict[str, Any]:
    """Return the declared category's label and its dates."""
    category = ctx.rt.categories.get(pre_registration(ctx).category)
    return {
        "category": Localized.of(category.label),
        "due_month": Month(category.contributions_due),
        "coverage_date": Day(category.coverage_starts),
    }


@action("record_dispute", outcomes={"recorded"})
def record_dispute(ctx: StepContext) -> str:
    """Record that the caller says the declared category is not theirs."""
    person = pre_registration(ctx)
    ctx.db.add(
        Dispute(
            pre_registration_id=person.id,
            call_sid=ctx.call.call_sid,
            declared_category=person.category,
            created_at=ctx.now,
        )
    )
    return "recorded"


@action("mobile_on_file", outcomes={"on_file", "none"})
def mobile_on_file(ctx: StepContext) -> str:
    """Tell whether the liaison list gave a mobile for this person."""
    return "on_file" if pre_registration(ctx).mobile else "none"


@params("mobile_on_file", names={"last_four"})
def mobile_on_file_params(ctx: StepContext) -> dict[str, Any]:
    mobile = pre_registration(ctx).mobile
    if mobile is None:  # the flows say these digits only after mobile_on_file answered "on_file"
        raise ValueError("no mobile on file to read back")
    return {"last_four": DigitString(last_four(mobile))}


@validator("mobile")
def typed_mobile(ctx: StepContext, digits: str) -> str | None:
    """Keep a typed Moroccan mobile (06… or 07…, 10 digits) in E.164."""
    return mobile_from_keypad(digits)


@params("typed_mobile", names={"last_four"}, reads={"typed_mobile"})
def typed_mobile_params(ctx: StepContext) -> dict[str, Any]:
    return {"last_four": DigitString(last_four(ctx.slot("typed_mobile")))}


@action("complete_registration", outcomes={"completed", "already_complete"}, reads={"typed_mobile"})
def complete_registration(ctx: StepContext) -> str:
    """Assign a registration number, once: the pre-registration row lock orders racing calls."""
    person = pre_registration(ctx, lock=True)
    if records.registration_id(ctx.conn, person.id):
        return "already_complete"
    ctx.loaded[Registration] = records.complete(
        ctx.conn,
        {
            "pre_registration_id": person.id,
            "number": registration_numbers.allocate(ctx.conn),
            "mobile": person.mobile or ctx.slot("typed_mobile"),
            "language": ctx.call.language,
            "completed_at": ctx.now,
            "completed_by_call": ctx.call.call_sid,
        },
    )
    return "completed"
