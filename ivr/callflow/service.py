"""Service layer for calls: every entry point (webhooks, simulator, agents) takes a call step here.

The entry points take request_root, the root URL of the webhook being answered (Flask's
`request.url_root`, passed by the view): <Play> URLs must be absolute, and without PUBLIC_BASE_URL they
are built on it (ivr.settings.public_base_url). Nothing here reads Flask's request.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from ivr.audio.offered import offered_languages
from ivr.audio.player import player_for
from ivr.callflow import engine, twiml_writer
from ivr.callflow.calls import call_reference
from ivr.callflow.engine import Prompt, Reply, StepContext
from ivr.flows.registry import CALL_TOO_LONG
from ivr.runtime import Runtime
from ivr.settings import public_base_url
from ivr.speech.catalog import LANGUAGES
from ivr.speech.opening_hours import hours_words, opening_hours
from ivr.store import call_rows
from ivr.store.call_rows import CallRow
from ivr.store.models import NUMBER_LENGTH, CallSession

log = logging.getLogger(__name__)
ENDING_STATUSES = {"completed", "busy", "failed", "no-answer", "canceled"}
STEP_PATH = "/voice/step"
RESUME_PATH = "/voice/resume"  # where an agent's transfer sends a live call
RESUME_SLOT = "agent_transfer_seq"  # the step an agent's transfer prepared


class BadCallRequest(Exception):
    """A webhook lacks what a call step needs (CallSid...)."""


@dataclass(frozen=True)
class CallerEvent:
    """What Twilio reported for one step: keys typed, or how a dial to the advisor ended."""

    digits: str | None = None
    dial_status: str | None = None


def lock_call(db: Session, call_sid: str) -> CallSession | None:
    """Load a call's session as an ORM object, locked so that concurrent writers of one call take turns."""
    return db.scalars(select(CallSession).where(CallSession.call_sid == call_sid).with_for_update()).first()


def caller_key(from_number: str) -> str:
    """Return what stands for the calling number in the store: itself, or a digest of a long SIP address."""
    if len(from_number) <= NUMBER_LENGTH:
        return from_number
    # Distinct long addresses must keep distinct keys: lockouts and the returning language count by it.
    return "~" + hashlib.sha256(from_number.encode()).hexdigest()[: NUMBER_LENGTH - 1]


def answer_again(conn: Connection, call_sid: str) -> str:
    """Return the TwiML a call's last step answered (every stored call has one)."""
    answer = call_rows.last_answer(conn, call_sid)
    if answer is None:
        raise BadCallRequest("no answer stored for this call")
    return answer


def start_call(rt: Runtime, call_sid: str, from_number: str, to_number: str, *, request_root: str) -> str:
    """Open a call's session and return its first TwiML; a repeated webhook gets the same answer."""
    if not call_sid:
        raise BadCallRequest("no CallSid")
    try:
        return _start_call(
            rt, call_sid, caller_key(from_number or "anonymous"), (to_number or "")[:NUMBER_LENGTH], request_root
        )
    except _StartedBefore:  # a repeated webhook, or a duplicate that started the call first: nothing it did stays
        log.info("call %s: repeated incoming webhook, answered as before", call_sid)
        with rt.store.connection() as conn:
            return answer_again(conn, call_sid)


class _StartedBefore(Exception):
    """The call's row exists already: the step's transaction is rolled back."""


def _start_call(rt: Runtime, call_sid: str, from_number: str, to_number: str, request_root: str) -> str:
    with rt.store.connection() as conn:
        now = rt.now()
        start_flow, start_state = rt.flows.start.split(".", 1)
        # The start's actions use no call id: it is known once the row is inserted with the step's answer.
        slots = {"languages": language_order(conn, from_number, offered_languages(rt))}
        call = CallRow.starting(call_sid, from_number, start_flow, start_state, slots, now)
        ctx = StepContext(rt=rt, conn=conn, call=call, seq=0)
        xml, detail = _answer(ctx, engine.begin(ctx), request_root)
        fixed = {"reference": call_reference(call_sid), "to_number": to_number, "started_at": now}
        if not call_rows.start(conn, call, fixed, xml, detail):
            raise _StartedBefore(call_sid)
    for callback in ctx.after_commit:
        callback()
    return xml


def continue_call(rt: Runtime, call_sid: str, seq: int | None, event: CallerEvent, *, request_root: str) -> str:
    """Take one step of a call; a repeated or stale webhook gets the last answer again, with no effect."""

    def answer(ctx: StepContext) -> Reply:
        if ctx.call.seq > int(rt.settings["IVR_MAX_STEPS_PER_CALL"]) and ctx.call.flow != rt.flows.advisor_flow:
            return engine.transfer(ctx, CALL_TOO_LONG)
        return engine.answer(ctx, event.digits, event.dial_status)

    return _take_step(rt, call_sid, seq, request_root, answer)


def resume_call(rt: Runtime, call_sid: str, seq: int | None, *, request_root: str) -> str:
    """Start the state an agent sent a call to; a repeated or stale webhook gets the last answer again."""

    def start(ctx: StepContext) -> Reply:
        ctx.drop_slots(RESUME_SLOT)
        return engine.run(ctx)

    def prepared(call: CallRow) -> bool:
        return (call.slots or {}).get(RESUME_SLOT) == seq

    return _take_step(rt, call_sid, seq, request_root, start, prepared)


def _take_step(
    rt: Runtime,
    call_sid: str,
    seq: int | None,
    request_root: str,
    take: Callable[[StepContext], Reply],
    expected: Callable[[CallRow], bool] = lambda call: True,
) -> str:
    """Take the step seq of a call under its row lock, unless it is not the call's current step."""
    if not call_sid:
        raise BadCallRequest("no CallSid")
    with rt.store.connection() as conn:
        call = call_rows.lock(conn, call_sid)
        if call is None:
            raise BadCallRequest(f"unknown call {call_sid}")
        if seq != call.seq or call.status != "active" or not expected(call):
            log.info("call %s: step %s answered again (call is at step %s, %s)", call_sid, seq, call.seq, call.status)
            return answer_again(conn, call_sid)
        ctx = StepContext(rt=rt, conn=conn, call=call, seq=seq)
        xml = finish_step(ctx, take(ctx), request_root)
    for callback in ctx.after_commit:
        callback()
    return xml


def finish_step(ctx: StepContext, reply: Reply, request_root: str) -> str:
    """Render the reply, keep it for repeated webhooks, and append the step to the audit trail."""
    xml, detail = _answer(ctx, reply, request_root)
    call_rows.save_step(ctx.conn, ctx.call, xml, ctx.seq, "step", detail)
    return xml


def _answer(ctx: StepContext, reply: Reply, request_root: str) -> tuple[str, dict[str, Any]]:
    """Move the call to its next step and return the reply's TwiML and the step's audit detail."""
    call, rt = ctx.call, ctx.rt
    ctx.flush()
    call.seq = ctx.seq + 1
    xml = twiml_writer.render(
        reply,
        rt.catalog,
        languages_of(call),
        f"{public_base_url(rt.settings)}{STEP_PATH}?seq={call.seq}",  # relative without PUBLIC_BASE_URL
        rt.settings["ADVISOR_NUMBER"],
        player=player_for(rt, public_base_url(rt.settings, request_root)),
    )
    call.updated_at = rt.now()
    return xml, {**ctx.trail, "said": [p.key for p in reply.prompts], "then": reply.then}


def end_call(rt: Runtime, call_sid: str, status: str) -> bool:
    """Close a call's session when Twilio reports it over; tell whether a session was closed."""
    if status not in ENDING_STATUSES:
        return False
    with rt.store.connection() as conn:
        return call_rows.end(conn, call_sid, rt.now(), {"call_status": status})


def fault_answer(rt: Runtime, *, request_root: str) -> str:
    """Return the apology TwiML for a fault; it needs no database."""
    hours = opening_hours(rt.settings)
    closed = None if hours.is_open(rt.now()) else [Prompt("advisor.closed", hours_words(hours, rt.now()))]
    player = player_for(rt, public_base_url(rt.settings, request_root))
    return twiml_writer.fault(rt.catalog, list(LANGUAGES), rt.settings["ADVISOR_NUMBER"], closed, player=player)


def languages_of(call: CallRow) -> list[str]:
    """Return the chosen language, or every language (the caller's last choice first) before the choice."""
    return [call.language] if call.language else list((call.slots or {}).get("languages") or LANGUAGES)


def language_order(conn: Connection, from_number: str, offered: list[str]) -> list[str]:
    """Put a returning caller's last language first among those offered."""
    last = None if from_number == "anonymous" else call_rows.last_language(conn, from_number)
    return [last, *(lang for lang in offered if lang != last)] if last in offered else list(offered)
