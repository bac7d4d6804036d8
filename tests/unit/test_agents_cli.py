"""CLI: agents create, disable, list; the token is shown once and stored only as a digest."""

import hashlib
import re

import pytest
from sqlalchemy import select

from ivr.agents import accounts
from ivr.store.agent_models import Agent, AgentAction
from tests.databases import stored_bytes

TOKEN = re.compile(r"^agt_[A-Za-z0-9_-]{43}$", re.MULTILINE)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def create(runner, name="Fatima Zahra"):
    result = runner.invoke(args=["agents", "create", name])
    assert result.exit_code == 0, result.output
    return TOKEN.search(result.output).group(0)


def stored_agents(rt) -> list[Agent]:
    with rt.store.transaction() as db:
        return list(db.scalars(select(Agent).order_by(Agent.id)))


def test_creating_an_agent_prints_a_token_that_is_stored_only_as_its_sha256(rt, runner):
    token = create(runner)
    [agent] = stored_agents(rt)
    assert agent.name == "Fatima Zahra" and agent.active
    assert agent.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token.encode() not in content for content in stored_bytes(rt.store).values())
    assert accounts.authenticate(rt, token).name == "Fatima Zahra"


def test_two_agents_get_different_tokens(runner):
    assert create(runner, "Fatima") != create(runner, "Karim")


def test_an_agent_name_cannot_be_taken_twice(runner, rt):
    create(runner, "Fatima")
    result = runner.invoke(args=["agents", "create", "Fatima"])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert not TOKEN.search(result.output)
    assert len(stored_agents(rt)) == 1


def test_a_disabled_agents_token_no_longer_authenticates(runner, rt):
    token = create(runner, "Karim")
    result = runner.invoke(args=["agents", "disable", "Karim"])
    assert result.exit_code == 0 and "disabled" in result.output
    with pytest.raises(accounts.AgentDisabled):
        accounts.authenticate(rt, token)
    again = runner.invoke(args=["agents", "disable", "Karim"])
    assert again.exit_code == 0 and "already disabled" in again.output


def test_disabling_an_unknown_agent_fails_with_a_message(runner):
    result = runner.invoke(args=["agents", "disable", "Nobody"])
    assert result.exit_code == 1
    assert "no agent named 'Nobody'" in result.output


def test_the_list_shows_each_agent_and_whether_it_is_active_without_tokens(runner):
    fatima, karim = create(runner, "Fatima"), create(runner, "Karim")
    runner.invoke(args=["agents", "disable", "Karim"])
    result = runner.invoke(args=["agents", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].startswith("Fatima\tactive") and lines[1].startswith("Karim\tdisabled")
    assert fatima not in result.output and karim not in result.output


def test_account_changes_are_in_the_agents_audit_trail(runner, rt):
    create(runner, "Karim")
    runner.invoke(args=["agents", "disable", "Karim"])
    with rt.store.transaction() as db:
        actions = [(a.kind, a.outcome) for a in db.scalars(select(AgentAction).order_by(AgentAction.id))]
    assert actions == [("account", "created"), ("account", "disabled")]
