"""The agents' console sessions, kept in the store so that sign-out, idle time and a day's end close them.

Call-centre PCs are shared: a session ends 30 minutes after its last request and 10 hours after
sign-in, by the app's clock. The browser's cookie holds a random key; the store keeps its digest,
so a copied cookie stops working at sign-out and a copy of the table opens no console.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from ivr.agents.accounts import AgentDisabled, AgentError, AgentIdentity, record, token_digest
from ivr.runtime import Runtime
from ivr.store.agent_models import Agent, AgentSession

IDLE_LIMIT = timedelta(minutes=30)
MAX_LENGTH = timedelta(hours=10)
ENDED = {
    "idle": "Your session ended after 30 minutes without activity: sign in again.",
    "max_length": "Your session ended 10 hours after you signed in: sign in again.",
    "agent_disabled": "Your agent account is disabled.",
}


class SessionEnded(AgentError):
    code = "session_ended"


def start_session(rt: Runtime, agent: AgentIdentity) -> str:
    """Open a console session for an agent (audited as a login) and return its key for the cookie."""
    key = secrets.token_urlsafe(32)
    with rt.store.transaction() as db:
        now = rt.now()
        db.add(AgentSession(agent_id=agent.id, key_hash=token_digest(key), started_at=now, last_seen_at=now))
        record(db, rt, agent.id, "session", "login")
    return key


def resume_session(rt: Runtime, key: str | None) -> AgentIdentity:
    """Return the agent of a live session and note the activity; end a session that is idle or too old."""
    with rt.store.transaction() as db:
        found = db.scalars(
            select(AgentSession).where(AgentSession.key_hash == token_digest(key or "")).with_for_update()
        ).first()
        if found is None or found.ended_at is not None:
            raise SessionEnded("Your session has ended: sign in again.")
        agent, now = db.get_one(Agent, found.agent_id), rt.now()
        reason = end_reason(found, agent, now)
        if reason is None:
            found.last_seen_at = now
            return AgentIdentity(agent.id, agent.name)
        found.ended_at, found.end_reason = min(now, expiry(found)), reason
        record(db, rt, agent.id, "session", f"ended_{reason}")
    raise (AgentDisabled if reason == "agent_disabled" else SessionEnded)(ENDED[reason])


def end_session(rt: Runtime, key: str | None, reason: str = "logout") -> None:
    """End a console session at sign-out or a new sign-in (audited); an ended or unknown one stays as it is."""
    with rt.store.transaction() as db:
        found = db.scalars(
            select(AgentSession).where(AgentSession.key_hash == token_digest(key or "")).with_for_update()
        ).first()
        if found is None or found.ended_at is not None:
            return
        found.ended_at, found.end_reason = rt.now(), reason
        record(db, rt, found.agent_id, "session", reason if reason == "logout" else f"ended_{reason}")


def expiry(session: AgentSession) -> datetime:
    """Return when a session ends unless a request comes before."""
    return min(session.last_seen_at + IDLE_LIMIT, session.started_at + MAX_LENGTH)


def end_reason(session: AgentSession, agent: Agent, now: datetime) -> str | None:
    """Return why a session is over at `now`, or None while it lasts."""
    if not agent.active:
        return "agent_disabled"
    if now < expiry(session):
        return None
    return "max_length" if session.started_at + MAX_LENGTH <= session.last_seen_at + IDLE_LIMIT else "idle"
