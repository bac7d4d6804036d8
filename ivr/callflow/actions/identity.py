"""Identity check: the typed CIN digits and birth date, the lockouts, and where a verified caller goes."""

from __future__ import annotations

import hmac
import logging
from datetime import date

from ivr.callflow.engine import StepContext
from ivr.flows.registry import action, validator
from ivr.registration import lockouts, people, records
from ivr.sensitive import Sensitive
from ivr.store.models import PreRegistration

log = logging.getLogger(__name__)
MAX_FAILED_CHECKS_PER_CALL = 3


@validator("cin_digits", sensitive=True)
def cin_digits(ctx: StepContext, typed: Sensitive) -> str | None:
    """Keep the digest of well-shaped CIN digits."""
    digits = people.typed_cin_digits(typed.reveal())
    return people.cin_digits_key(ctx.rt.secret, digits) if digits else None


@validator("birth_date", sensitive=True)
def birth_date(ctx: StepContext, typed: Sensitive) -> str | None:
    """Keep the digest of a real DDMMYYYY date between 1900 and today."""
    text = typed.reveal()
    if len(text) != 8 or not text.isdigit():
        return None
    try:
        born = date(int(text[4:]), int(text[2:4]), int(text[:2]))
    except ValueError:
        return None
    if not date(1900, 1, 1) <= born <= ctx.now.date():
        return None
    return people.birth_date_key(ctx.rt.secret, people.birth_date(born))


@action("caller_lockout", outcomes={"clear", "locked"})
def caller_lockout(ctx: StepContext) -> str:
    """Keep a calling number with too many failed checks out of the identity check."""
    return "locked" if lockouts.is_locked(ctx.conn, "caller", ctx.call.from_number, ctx.now) else "clear"


@action("cin_lockout", outcomes={"clear", "locked"}, reads={"cin"})
def cin_lockout(ctx: StepContext) -> str:
    """Keep a CIN with too many failed checks out of the identity check."""
    return "locked" if lockouts.is_locked(ctx.conn, "cin", ctx.slot("cin"), ctx.now) else "clear"


@action("verify_identity", outcomes={"verified", "mismatch", "third_mismatch", "locked"}, reads={"cin", "birth_date"})
def verify_identity(ctx: StepContext) -> str:
    """Match CIN digits and birth date against one pre-registration unless locked out; count a failure otherwise."""
    cin_key, born_key = ctx.slot("cin"), ctx.slot("birth_date")
    ctx.drop_slots("birth_date")
    # Checked again here, under the locks that record failures: the call may have waited at the
    # birth-date question while other calls locked the CIN or the number.
    if lockouts.hold_unless_locked(ctx.conn, cin_key, ctx.call.from_number, ctx.now):
        return "locked"
    candidates = records.people_with_cin_digits(ctx.conn, cin_key)
    matches = [p for p in candidates if hmac.compare_digest(p.birth_date_key, born_key)]
    if len(matches) == 1:
        ctx.call.identity_verified = True
        ctx.call.pre_registration_id = matches[0].id
        ctx.loaded[PreRegistration] = matches[0]
        return "verified"
    if len(matches) > 1:
        log.warning(
            "call %s: CIN digits and birth date match %d people; treated as a mismatch", ctx.call.call_sid, len(matches)
        )
    ctx.call.failed_checks += 1
    if lockouts.record_failure(ctx.db, cin_key, ctx.call.from_number, ctx.call.call_sid, ctx.now):
        return "locked"
    return "third_mismatch" if ctx.call.failed_checks >= MAX_FAILED_CHECKS_PER_CALL else "mismatch"


@action(
    "route_verified_caller",
    outcomes={"confirm_category", "already_complete", "resend", "not_yet_complete"},
    reads={"intent": {"complete", "resend"}},
)
def route_verified_caller(ctx: StepContext) -> str:
    """Send a verified caller on by what they asked for and whether they are already registered."""
    registered = records.registration_id(ctx.conn, ctx.call.pre_registration_id)
    if ctx.slot("intent") == "resend":
        return "resend" if registered else "not_yet_complete"
    return "already_complete" if registered else "confirm_category"
