"""Refused agent tokens: each is logged and recorded, and an address that had too many is turned away.

A refusal is recorded with when, the client's address, the route and why, never the token nor a digest
of it. After LIMIT unknown tokens from one address within WINDOW, that address's next requests are
answered 429 without their token being looked at, until the oldest of those refusals leaves the window.
The count lives in the store, so every server process sees the same, and it is read and added to under
a lock on the address, so that tries sent at once cannot slip past it. A disabled agent's token is
recorded too but does not count: it is no guess, and a call centre's agents may share one address.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.agents.accounts import AgentDisabled, AgentError, AgentIdentity, BadToken, agent_of_token
from ivr.runtime import Runtime
from ivr.store.agent_models import AgentTokenRefusal
from ivr.store.locks import take_lock

log = logging.getLogger(__name__)

LIMIT = 10
WINDOW = timedelta(minutes=15)
COUNTED = BadToken.code


class TooManyRefusals(AgentError):
    """An address that had too many tokens refused lately; `retry_after` is in seconds."""

    code = "too_many_refused_tokens"

    def __init__(self, retry_after: int):
        minutes = math.ceil(retry_after / 60)
        self.retry_after, self.wait = retry_after, f"{minutes} minute{'s' if minutes > 1 else ''}"
        super().__init__(f"too many wrong agent tokens from this address: try again in {self.wait}")


def authenticate_from(rt: Runtime, token: str, address: str, route: str) -> AgentIdentity:
    """Return the active agent whose token this is, unless the address had too many tokens refused lately.

    A missing token is refused as a bad token without being recorded: nothing was guessed.
    """
    refused: AgentError | None = None
    with rt.store.transaction() as db:
        take_lock(db, f"agent-token-refusals:{address}")
        now = rt.now()
        retry_after = seconds_turned_away(db, address, now)
        if retry_after:
            log.warning(
                "agent token not checked: %s from %s, which had %d refused within %d minutes",
                route,
                address,
                LIMIT,
                WINDOW.seconds // 60,
            )
            raise TooManyRefusals(retry_after)
        if not token:
            raise BadToken("an agent token is required")
        try:
            return agent_of_token(db, token)
        except (BadToken, AgentDisabled) as error:
            refused = error
            db.add(AgentTokenRefusal(at=now, address=address, route=route[:100], reason=error.code))
    log.warning("agent token refused (%s): %s from %s", refused.code, route, address)
    raise refused


def seconds_turned_away(db: Session, address: str, now: datetime) -> int:
    """Return how long the address is still turned away, in whole seconds (0 when it is not)."""
    latest = list(
        db.scalars(
            select(AgentTokenRefusal.at)
            .where(
                AgentTokenRefusal.address == address,
                AgentTokenRefusal.reason == COUNTED,
                AgentTokenRefusal.at > now - WINDOW,
            )
            .order_by(AgentTokenRefusal.at.desc())
            .limit(LIMIT)
        )
    )
    if len(latest) < LIMIT:
        return 0
    return max(1, math.ceil((latest[-1] + WINDOW - now).total_seconds()))
