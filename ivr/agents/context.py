"""What an agent may read about a call: why it reached the advisors and where it stood.

Only names and masked values leave here: never a CIN, a birth date or their digests. Every read is
audited with the agent who made it, in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.agents.accounts import AgentError, AgentIdentity, audit, record
from ivr.callflow.calls import CallLookupError, call_named, call_reference
from ivr.flows.loader import FlowBook
from ivr.registration.categories import CategoryTable
from ivr.registration.mobiles import last_four
from ivr.runtime import Runtime
from ivr.store.agent_models import AgentAction
from ivr.store.models import CallSession, PreRegistration, Registration


def in_queue(flows: FlowBook) -> tuple[str, str]:
    """Return the (flow, state) of a call waiting for or talking with an advisor (flows/_book.yaml's queue)."""
    flow, state = flows.queue.split(".", 1)
    return flow, state


class UnknownCall(AgentError):
    code = "unknown_call"


def advisor_calls(rt: Runtime, agent: AgentIdentity) -> list[dict[str, Any]]:
    """Return an agent the context of every live call waiting for or with an advisor, oldest first."""
    flow, state = in_queue(rt.flows)
    with rt.store.transaction() as db:
        query = (
            select(CallSession)
            .where(CallSession.status == "active", CallSession.flow == flow, CallSession.state == state)
            .order_by(CallSession.transferred_at, CallSession.id)
        )
        found = [describe(db, call, rt.flows, rt.categories) for call in db.scalars(query)]
        listed = {"calls": [call["call_sid"] for call in found]}
        # The console polls every second: a listing the same as the agent's previous read adds nothing to the trail.
        if not repeats_last_read(db, agent, listed):
            record(db, rt, agent.id, "read", "listed", detail=listed)
        return found


def repeats_last_read(db: Session, agent: AgentIdentity, listed: dict[str, Any]) -> bool:
    """Tell whether the agent's latest read was a listing of the same calls."""
    last = db.scalars(
        select(AgentAction)
        .where(AgentAction.agent_id == agent.id, AgentAction.kind == "read")
        .order_by(AgentAction.at.desc(), AgentAction.id.desc())
        .limit(1)
    ).first()
    return last is not None and last.outcome == "listed" and last.detail == listed


def call_context(rt: Runtime, agent: AgentIdentity, call_sid: str) -> dict[str, Any]:
    """Return an agent the context of one call, named by its CallSid or its reference ("K7Q-4MZ")."""
    with rt.store.transaction() as db:
        try:
            call: CallSession | None = call_named(db, call_sid, rt.now())
            refused = ""
        except CallLookupError as error:
            call, refused = None, str(error)
        if call is not None:
            record(db, rt, agent.id, "read", "shown", call.call_sid)
            return describe(db, call, rt.flows, rt.categories)
    audit(rt, agent, "read", UnknownCall.code, call_sid[:64])
    raise UnknownCall(refused)


def describe(
    db: Session, call: CallSession, flows: FlowBook, categories: CategoryTable | None = None
) -> dict[str, Any]:
    """Return what an agent sees of a call: why it reached the advisors and where it stood, in the words of
    flows/ (en, fr, ar), and who the caller is when verified (masked)."""
    return {
        "call_sid": call.call_sid,
        "reference": call_reference(call.call_sid),
        "from_number": call.from_number,
        "status": call.status,
        "state": f"{call.flow}.{call.state}",
        "with_advisor": call.status == "active" and (call.flow, call.state) == in_queue(flows),
        "transfer_reason": call.transfer_reason,
        "transfer_reason_text": flows.reason_text(call.transfer_reason),
        "reason_words": flows.reason_words(call.transfer_reason),
        "state_reached": call.transfer_state,
        "stood_words": flows.stood_words(call.transfer_state),
        "language": call.language,
        "identity_verified": call.identity_verified,
        "person": person_summary(db, call.pre_registration_id, categories) if call.identity_verified else None,
        "started_at": iso(call.started_at),
        "transferred_at": iso(call.transferred_at),
        "waiting_since": iso(call.transferred_at),
        "ended_at": iso(call.ended_at),
    }


def person_summary(
    db: Session, pre_registration_id: int | None, categories: CategoryTable | None = None
) -> dict[str, Any] | None:
    """Return a verified caller's name, declared category (its code and its fr and ar words), masked mobile and
    whether they are registered."""
    person = db.get(PreRegistration, pre_registration_id) if pre_registration_id else None
    if person is None:
        return None
    registered = db.scalar(select(Registration.id).where(Registration.pre_registration_id == person.id))
    return {
        "name": f"{person.first_name} {person.last_name}",
        "category": person.category,
        "category_words": category_words(categories, person.category),
        "mobile": mask_mobile(person.mobile),
        "registered": registered is not None,
    }


def category_words(categories: CategoryTable | None, code: str) -> dict[str, str] | None:
    """Return a category's label in fr and ar (data/categories.yaml), or None for a code the table does not know."""
    category = categories.categories.get(code) if categories is not None else None
    return {language: category.label[language] for language in ("fr", "ar")} if category is not None else None


def mask_mobile(e164: str | None) -> str | None:
    """Return a mobile with all but its last four digits hidden."""
    return f"•••• {last_four(e164)}" if e164 else None


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") + "Z" if moment else None
