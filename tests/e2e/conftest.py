"""Helpers for driving whole calls: reach a point of the flows, and read what was said."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.factory import create_app
from ivr.speech.values import prompt_text
from ivr.store.models import CallEvent, CallSession
from ivr.web.extension import runtime_of
from tests.agent_support import AgentApi, new_agent, reach_the_advisor

LANGUAGE_KEYS = {"ar": "1", "fr": "2"}


class Voice:
    """Read a call as the caller heard it (parsed TwiML) and as the store recorded it."""

    def __init__(self, rt):
        self.rt = rt

    def text(self, key: str, language: str = "fr", **params) -> str:
        """Return a prompt's text as the caller must hear it."""
        return prompt_text(self.rt.catalog, language, key, params)

    def heard(self, turn, key: str, language: str = "fr", **params) -> bool:
        """Tell whether a turn said a prompt, in the <Say> language of that language."""
        expected = self.text(key, language, **params)
        say_language = self.rt.catalog.voices[language].language
        return any(u.text == expected and u.language == say_language for u in turn.heard)

    def said(self, caller) -> list[str]:
        """Return the prompt keys of the call's last step, from the audit trail."""
        return self.steps(caller)[-1].detail["said"]

    def steps(self, caller) -> list[CallEvent]:
        with self.rt.store.transaction() as db:
            session_id = db.scalar(select(CallSession.id).where(CallSession.call_sid == caller.call_sid))
            return list(
                db.scalars(
                    select(CallEvent)
                    .where(CallEvent.call_session_id == session_id, CallEvent.kind == "step")
                    .order_by(CallEvent.id)
                )
            )

    def session(self, caller) -> CallSession:
        with self.rt.store.transaction() as db:
            return db.scalars(select(CallSession).where(CallSession.call_sid == caller.call_sid)).one()


@pytest.fixture
def voice(rt):
    return Voice(rt)


def choose(caller, language: str = "fr", option: str | None = None):
    """Dial, pick a language and, if given, a main-menu option."""
    caller.dial()
    turn = caller.press(LANGUAGE_KEYS[language])
    return caller.press(option) if option else turn


def identify(caller, person, birth: str | None = None):
    """Type a person's CIN digits and birth date (or another birth date)."""
    caller.press(person.cin_digits + "#")
    return caller.press(birth or person.birth)


def complete(caller, person, language: str = "fr"):
    """Take a person with a mobile on file through a whole registration; return the last turn."""
    choose(caller, language, "1")
    identify(caller, person)
    caller.press("1")
    return caller.press("1")


@pytest.fixture
def app_with(settings):
    """Build apps with extra settings; dispose their stores at the end."""
    built = []

    def build(**overrides):
        app = create_app({**settings, **overrides})
        built.append(app)
        return app

    yield build
    for app in built:
        runtime_of(app).store.dispose()


# The agents' tests: an agent's API client, and a caller waiting for the advisors (a module may define its own).


@pytest.fixture
def api(app, rt):
    """Return the agents' API as agent Fatima calls it."""
    return AgentApi(app, new_agent(rt, "Fatima"))


@pytest.fixture
def caller(phone, twilio_api, people):
    """Return a caller who asked for the advisors and waits in their queue."""
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    return caller
