"""Helpers for the agents' tests: an agent with a token, their API client, a caller with an advisor."""

from __future__ import annotations

import re

from sqlalchemy import select

from ivr.agents import accounts
from ivr.store.agent_models import AgentAction
from ivr.store.models import CallEvent, CallSession


class AgentApi:
    """The agents' JSON API, called with one agent's token through Flask's test client."""

    def __init__(self, app, token: str | None):
        self.client, self.token = app.test_client(), token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def calls(self):
        return self.client.get("/agent/calls", headers=self.headers())

    def call(self, call_sid: str):
        return self.client.get(f"/agent/calls/{call_sid}", headers=self.headers())

    def transfer(self, call_sid: str, **body):
        return self.client.post(f"/agent/calls/{call_sid}/transfer", json=body, headers=self.headers())


def new_agent(rt, name: str = "Fatima") -> str:
    """Create an agent and return their token."""
    return accounts.create_agent(rt, name)[1]


def reach_the_advisor(caller, twilio_api, language_key: str = "2"):
    """Dial, pick a language and press 0: the call is dialling the advisors (and Twilio knows it)."""
    caller.dial()
    caller.press(language_key)
    turn = caller.press("0")
    assert turn.dial is not None
    twilio_api.add_call(caller.call_sid)
    return turn


def follow_the_redirect(caller, twilio_api):
    """Let the caller do what Twilio does after the call's URL was updated."""
    update = twilio_api.call_updates[-1]
    assert update["call_sid"] == caller.call_sid
    return caller.redirected(update["url"], update["method"])


def call_session(rt, call_sid: str) -> CallSession:
    with rt.store.transaction() as db:
        return db.scalars(select(CallSession).where(CallSession.call_sid == call_sid)).one()


def agent_events(rt, call_sid: str) -> list[CallEvent]:
    """Return the call's audit-trail rows written by agents."""
    with rt.store.transaction() as db:
        session_id = db.scalar(select(CallSession.id).where(CallSession.call_sid == call_sid))
        return list(
            db.scalars(
                select(CallEvent)
                .where(CallEvent.call_session_id == session_id, CallEvent.kind == "agent")
                .order_by(CallEvent.id)
            )
        )


def agent_actions(rt, call_sid: str | None = None) -> list[AgentAction]:
    """Return the agents' audit trail (for one call, or all of it)."""
    with rt.store.transaction() as db:
        query = select(AgentAction).order_by(AgentAction.id)
        if call_sid is not None:
            query = query.where(AgentAction.call_sid == call_sid)
        return list(db.scalars(query))


def csrf_of(page) -> str:
    """Return the CSRF token of a console page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(client, token: str):
    """Sign in to the console with a token, as the login form does; return the response."""
    login_page = client.get("/agent/login")
    return client.post("/agent/login", data={"token": token, "csrf_token": csrf_of(login_page)})
