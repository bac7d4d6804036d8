"""Call-centre agents: accounts, their role, token authentication and the audit trail of their actions.

An account is an agent's or a supervisor's: both sign in with a token and use the agents' console; supervisors
also see the campaign's pages (ivr/web/supervisor_pages.py).

A token is 32 random bytes shown once; the store keeps its SHA-256 digest. A slow password hash
would add nothing against guessing 256 random bits, and a plain digest lets a request find its
agent by a unique index in one query.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.runtime import Runtime
from ivr.store.agent_models import Agent, AgentAction

TOKEN_PREFIX = "agt_"
MAX_NAME_LENGTH = 100
AGENT, SUPERVISOR = "agent", "supervisor"
ROLES = (AGENT, SUPERVISOR)  # an account's role: what it may see besides the agents' console


class AgentError(Exception):
    """An agent's request that cannot be done; `code` names the reason for API clients, `details` what the
    agents' history keeps of it besides (Twilio's status and error code)."""

    code = "agent_error"

    def __init__(self, message: str = "", **details: Any):
        super().__init__(message)
        self.details = details


class BadToken(AgentError):
    code = "bad_token"


class AgentDisabled(AgentError):
    code = "agent_disabled"


class AgentExists(AgentError):
    code = "agent_exists"


class UnknownAgent(AgentError):
    code = "unknown_agent"


@dataclass(frozen=True)
class AgentIdentity:
    """Who is acting: what the audit trail names."""

    id: int
    name: str


def token_digest(token: str) -> str:
    """Return the stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_agent(rt: Runtime, name: str, role: str = AGENT) -> tuple[AgentIdentity, str]:
    """Create an active agent (or supervisor) and return it with its token (shown once, stored only as a digest)."""
    name = " ".join(name.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise AgentError(f"an agent's name has 1 to {MAX_NAME_LENGTH} characters")
    if role not in ROLES:
        raise AgentError(f"an account's role is one of {', '.join(ROLES)}, not {role!r}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with rt.store.transaction() as db:
        if db.scalar(select(Agent.id).where(Agent.name == name)) is not None:
            raise AgentExists(f"an agent named {name!r} already exists")
        agent = Agent(name=name, token_hash=token_digest(token), active=True, created_at=rt.now(), role=role)
        db.add(agent)
        db.flush()
        record(db, rt, agent.id, "account", "created", detail={"role": role})
        return AgentIdentity(agent.id, agent.name), token


def disable_agent(rt: Runtime, name: str) -> bool:
    """Disable an agent: their token and console sessions stop working; tell whether it was active."""
    with rt.store.transaction() as db:
        agent = db.scalars(select(Agent).where(Agent.name == name).with_for_update()).first()
        if agent is None:
            raise UnknownAgent(f"no agent named {name!r}")
        if not agent.active:
            return False
        agent.active, agent.disabled_at = False, rt.now()
        record(db, rt, agent.id, "account", "disabled")
        return True


def list_agents(rt: Runtime) -> list[Agent]:
    """Return every agent, by name."""
    with rt.store.transaction() as db:
        return list(db.scalars(select(Agent).order_by(Agent.name)))


def role_of(rt: Runtime, agent: AgentIdentity) -> str:
    """Return a signed-in account's role as stored now (a role changed in the store counts at the next request)."""
    with rt.store.transaction() as db:
        role = db.scalar(select(Agent.role).where(Agent.id == agent.id))
    if role is None:
        raise UnknownAgent(f"no agent with id {agent.id}")
    return str(role)


def authenticate(rt: Runtime, token: str) -> AgentIdentity:
    """Return the active agent whose token this is."""
    with rt.store.transaction() as db:
        return agent_of_token(db, token)


def agent_of_token(db: Session, token: str) -> AgentIdentity:
    """Return the active agent whose token this is, within a transaction."""
    agent = db.scalars(select(Agent).where(Agent.token_hash == token_digest(token or ""))).first()
    if agent is None:
        raise BadToken("unknown agent token")
    if not agent.active:
        raise AgentDisabled(f"agent {agent.name!r} is disabled")
    return AgentIdentity(agent.id, agent.name)


def record(
    db: Session,
    rt: Runtime,
    agent_id: int,
    kind: str,
    outcome: str,
    call_sid: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one action to the agents' audit trail."""
    db.add(
        AgentAction(agent_id=agent_id, at=rt.now(), kind=kind, call_sid=call_sid, outcome=outcome, detail=detail or {})
    )


def audit(
    rt: Runtime,
    agent: AgentIdentity,
    kind: str,
    outcome: str,
    call_sid: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Record an agent's action in a transaction of its own."""
    with rt.store.transaction() as db:
        record(db, rt, agent.id, kind, outcome, call_sid, detail)


def recent_actions(rt: Runtime, agent: AgentIdentity, limit: int = 10) -> list[AgentAction]:
    """Return an agent's latest transfers, newest first."""
    with rt.store.transaction() as db:
        query = (
            select(AgentAction)
            .where(AgentAction.agent_id == agent.id, AgentAction.kind == "transfer")
            .order_by(AgentAction.id.desc())
            .limit(limit)
        )
        return list(db.scalars(query))
