"""The supervisor role: made by `agents create --role supervisor`, kept by migration 0006, and the only one that
opens the supervisors' pages (an agent is refused in words, in their language); supervisors keep the console."""

from __future__ import annotations

import re

import pytest
from alembic import command
from sqlalchemy import select, text

from ivr.agents import accounts
from ivr.store import schema
from ivr.store.agent_models import Agent, AgentAction
from ivr.store.db import Store
from tests.agent_support import sign_in

TOKEN = re.compile(r"^agt_[A-Za-z0-9_-]{43}$", re.MULTILINE)


def create(app, *args: str) -> tuple[str, str]:
    result = app.test_cli_runner().invoke(args=["agents", "create", *args])
    assert result.exit_code == 0, result.output
    return result.output, TOKEN.search(result.output).group(0)


def signed_in(app, token: str, language: str | None = None):
    """Return a browser-like client signed in to the console with a token (and a language chosen, if any)."""
    client = app.test_client()
    if language:
        client.set_cookie("agent_lang", language)
    answer = sign_in(client, token)
    assert answer.status_code == 303, answer.text
    return client


def test_agents_create_with_role_supervisor_makes_a_supervisor_and_says_so(app, rt):
    output, token = create(app, "Nadia", "--role", "supervisor")
    assert output.startswith("supervisor 'Nadia' created")
    _, agent_token = create(app, "Fatima")
    with rt.store.transaction() as db:
        roles = dict(db.execute(select(Agent.name, Agent.role)).all())
        created = db.scalars(select(AgentAction).where(AgentAction.outcome == "created").order_by(AgentAction.id))
        assert [action.detail for action in created] == [{"role": "supervisor"}, {"role": "agent"}]
    assert roles == {"Nadia": "supervisor", "Fatima": "agent"}
    assert accounts.role_of(rt, accounts.authenticate(rt, token)) == "supervisor"
    assert accounts.role_of(rt, accounts.authenticate(rt, agent_token)) == "agent"
    listed = app.test_cli_runner().invoke(args=["agents", "list"]).output.splitlines()
    assert listed[0].startswith("Fatima\tactive") and listed[0].endswith("\tagent")
    assert listed[1].startswith("Nadia\tactive") and listed[1].endswith("\tsupervisor")


def test_agents_create_refuses_a_role_it_does_not_know(app, rt):
    result = app.test_cli_runner().invoke(args=["agents", "create", "Nadia", "--role", "boss"])
    assert result.exit_code == 2 and "'boss' is not one of 'agent', 'supervisor'" in result.output
    assert accounts.list_agents(rt) == []


def test_migration_0006_makes_every_existing_account_an_agent(each_empty_database):
    store = Store(each_empty_database)
    try:
        with store.engine.begin() as connection:
            command.upgrade(schema.alembic_config(connection), "0005_call_references")
            connection.execute(
                text(
                    "INSERT INTO agents (name, token_hash, active, created_at)"
                    " VALUES ('Old', :digest, :active, '2026-11-30 09:00:00')"
                ),
                {"digest": "0" * 64, "active": True},
            )
        store.upgrade_schema()
        with store.transaction() as db:
            assert db.execute(select(Agent.name, Agent.role)).all() == [("Old", "agent")]
    finally:
        store.dispose()


@pytest.mark.parametrize(
    "language, words",
    [
        ("fr", "Ces pages sont réservées aux superviseurs"),
        ("ar", "هذه الصفحات مخصصة للمشرفين"),
    ],
)
def test_an_agent_is_refused_the_supervisors_pages_in_words_in_their_language(app, rt, language, words):
    _, token = create(app, "Fatima")
    client = signed_in(app, token, language)
    for path in ("/supervisor/", "/supervisor/live", "/supervisor/reports/funnel?format=csv", "/supervisor/flows/menu"):
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert words in answer.text and answer.headers["Content-Type"].startswith("text/html")
        assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    console = client.get("/agent/console")
    assert console.status_code == 200 and 'href="/supervisor/"' not in console.text  # the console stays theirs


def test_a_supervisor_sees_the_dashboard_and_the_agents_console(app, rt):
    _, token = create(app, "Nadia", "--role", "supervisor")
    client = signed_in(app, token)
    assert client.get("/supervisor/").status_code == 200
    console = client.get("/agent/console")
    assert console.status_code == 200 and 'href="/supervisor/"' in console.text  # the console leads to the dashboard


def test_the_supervisors_pages_send_a_stranger_to_the_login(app):
    answer = app.test_client().get("/supervisor/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/agent/login")
    assert app.test_client().get("/supervisor/reports/funnel?format=csv").status_code == 302
