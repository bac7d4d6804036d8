"""Every transfer an agent tries is in their history, done or refused, with the target and why it was refused."""

from ivr.agents import accounts
from tests.agent_support import AgentApi, agent_actions, new_agent


def history(rt):
    [agent] = accounts.list_agents(rt)
    return accounts.recent_actions(rt, accounts.AgentIdentity(agent.id, agent.name))


def test_a_done_transfer_is_in_the_history_with_its_target_and_the_state_it_named(api, caller, twilio_api, rt):
    api.transfer(caller.call_sid, target="identity", language="ar")
    [action] = history(rt)
    assert (action.call_sid, action.kind, action.outcome) == (caller.call_sid, "transfer", "redirected")
    assert action.detail["target"] == "identity" and action.detail["state"] == "identity.check_caller"
    assert action.detail["language"] == "ar"


def test_a_transfer_to_an_unknown_target_is_in_the_history_with_the_target_asked(api, caller, rt):
    api.transfer(caller.call_sid, target="nowhere", language="fr")
    [action] = history(rt)
    assert (action.outcome, action.detail["target"]) == ("unknown_target", "nowhere")
    assert "state" not in action.detail


def test_a_refused_transfer_names_the_state_its_target_meant(app, api, caller, twilio_api, rt):
    api.transfer(caller.call_sid, target="menu", language="fr")
    AgentApi(app, new_agent(rt, "Karim")).transfer(caller.call_sid, target="completion", language="fr")
    refused = agent_actions(rt, caller.call_sid)[-1]
    assert (refused.outcome, refused.detail["target"]) == ("not_with_advisor", "completion")
    assert refused.detail["state"] == "completion.check_mobile"


def test_a_twilio_refusal_keeps_twilios_status_and_error_code(api, caller, twilio_api, rt):
    twilio_api.fail_next(503, 20503, "Service Unavailable")
    api.transfer(caller.call_sid, target="menu.choose", language="fr")
    [action] = history(rt)
    assert action.outcome == "twilio_failed"
    assert action.detail["target"] == "menu.choose" and action.detail["state"] == "menu.choose"
    assert (action.detail["twilio_status"], action.detail["twilio_error"]) == (503, 20503)


def test_a_call_twilio_says_has_ended_is_in_the_history_as_finished_with_twilios_code(api, caller, twilio_api, rt):
    twilio_api.set_call_status(caller.call_sid, "completed")
    api.transfer(caller.call_sid, target="menu", language="fr")
    [action] = history(rt)
    assert action.outcome == "call_finished" and action.detail["twilio_error"] == 21220


def test_a_body_that_is_not_json_is_in_the_history_as_a_bad_request(api, caller, rt):
    api.client.post(f"/agent/calls/{caller.call_sid}/transfer", data="target=menu", headers=api.headers())
    [action] = history(rt)
    assert (action.call_sid, action.outcome) == (caller.call_sid, "bad_request")


def test_an_unexpected_failure_is_in_the_history_as_an_internal_error(api, caller, rt, monkeypatch):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr("ivr.agents.transfers._redirect", broken)
    answer = api.transfer(caller.call_sid, target="menu", language="fr")
    assert (answer.status_code, answer.json["error"]) == (500, "internal_error")
    [action] = history(rt)
    assert (action.outcome, action.detail["target"], action.detail["state"]) == (
        "internal_error",
        "menu",
        "menu.choose",
    )
    assert "boom" not in str(action.detail)


def test_the_history_lists_refused_and_done_transfers_newest_first(api, caller, twilio_api, rt):
    api.transfer(caller.call_sid, target="nowhere", language="fr")
    api.transfer(caller.call_sid, target="menu", language="fr")
    assert [action.outcome for action in history(rt)] == ["redirected", "unknown_target"]


def test_a_failure_that_cannot_be_recorded_still_answers_an_internal_error(api, caller, rt, monkeypatch, caplog):
    def broken(*args):
        raise RuntimeError("boom")

    monkeypatch.setattr("ivr.agents.transfers._redirect", broken)
    monkeypatch.setattr("ivr.agents.transfers.refused", broken)
    answer = api.transfer(caller.call_sid, target="menu", language="fr")
    assert (answer.status_code, answer.json["error"]) == (500, "internal_error")
    assert "could not be recorded in the agent's history" in caplog.text
