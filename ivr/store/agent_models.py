"""Tables of the call-centre agents: their accounts, console sessions, the audit trail of what they did and the
tokens refused.

An agent's token and a console session's key are kept only as SHA-256 digests; the audit trail never holds a CIN or a
birth date (an agent-identified person appears by their pre-registration id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ivr.store.models import Base


class Agent(Base):
    """A call-centre agent who may read the calls sent to advisors and transfer them into flows; a supervisor (role)
    may besides read the campaign's numbers."""

    __tablename__ = "agents"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    disabled_at: Mapped[datetime | None]
    role: Mapped[str] = mapped_column(String(20), default="agent", server_default="agent")  # agent or supervisor


class AgentSession(Base):
    """A console sign-in: it ends at sign-out, after a while without activity, or at its maximum length."""

    __tablename__ = "agent_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(20))


class AgentAction(Base):
    """One audited action of an agent (append-only): an account change, a login, a read, a transfer."""

    __tablename__ = "agent_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))
    call_sid: Mapped[str | None] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_agent_actions_agent_at", "agent_id", "at"),)


class AgentTokenRefusal(Base):
    """A refused agent token (append-only): when, from which client address, on which route, and why.

    Never the token nor any digest of it. The rows of one address within a window limit its tries,
    in every server process.
    """

    __tablename__ = "agent_token_refusals"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(45))
    route: Mapped[str] = mapped_column(String(100))
    reason: Mapped[str] = mapped_column(String(20))

    __table_args__ = (Index("ix_agent_token_refusals_address_at", "address", "at"),)
