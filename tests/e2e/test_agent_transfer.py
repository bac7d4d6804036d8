"""An agent transfers a live call into a flow: the session is prepared, Twilio redirects the call there."""

from contextlib import contextmanager

import pytest

from tests.agent_support import (
    AgentApi,
    agent_actions,
    agent_events,
    call_session,
    follow_the_redirect,
    new_agent,
    reach_the_advisor,
)
from tests.concurrency import all_at_once
from tests.conftest import AMINA

from .conftest import choose, complete, identify


def dispute_the_category(caller, twilio_api, person=AMINA):
    """Identify as a person, then say the declared category is not theirs: the call goes to an advisor."""
    choose(caller, "fr", "1")
    identify(caller, person)
    assert caller.press("2").dial is not None
    twilio_api.add_call(caller.call_sid)


# The redirect and where the caller lands.


def test_a_transfer_updates_the_live_calls_url_through_twilios_rest_api(api, caller, twilio_api, rt):
    answer = api.transfer(caller.call_sid, target="menu.choose", language="fr")
    assert answer.status_code == 200, answer.json
    assert answer.json == {
        "call_sid": caller.call_sid,
        "state": "menu.choose",
        "language": "fr",
        "agent": "Fatima",
        "identity_verified": False,
        "verified_by_agent": False,
    }
    seq = call_session(rt, caller.call_sid).seq
    assert twilio_api.call_updates == [
        {"call_sid": caller.call_sid, "method": "POST", "url": f"http://localhost/voice/resume?seq={seq}"}
    ]


def test_the_callers_next_webhook_lands_in_the_asked_state(api, caller, twilio_api, voice, rt):
    api.transfer(caller.call_sid, target="menu.choose", language="fr")
    turn = follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["menu.choose"]
    assert voice.heard(turn, "menu.choose", "fr") and turn.gather is not None
    caller.press("2")
    assert voice.said(caller) == ["info.choose"]


def test_a_flow_name_sends_the_call_to_the_flows_first_state(api, caller, twilio_api, voice, rt):
    answer = api.transfer(caller.call_sid, target="identity", language="ar")
    assert answer.json["state"] == "identity.check_caller"
    turn = follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["identity.ask_cin"]
    assert voice.heard(turn, "identity.ask_cin", "ar")
    session = call_session(rt, caller.call_sid)
    assert (session.flow, session.state, session.language) == ("identity", "ask_cin", "ar")


def test_an_identity_the_agent_checked_counts_as_verified_through_to_the_sms(
    api, caller, twilio_api, voice, rt, deliver_sms
):
    answer = api.transfer(caller.call_sid, target="category.confirm", language="fr", cin="AB734591")
    assert answer.status_code == 200
    assert answer.json["identity_verified"] and answer.json["verified_by_agent"]
    follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["category.confirm"]
    caller.press("1")  # my category
    caller.press("1")  # my mobile
    assert voice.said(caller) == ["completion.completed", "credentials.sent"]
    [sms] = deliver_sms()
    assert sms["to"] == AMINA.mobile


def test_the_call_audit_trail_says_the_agent_verified_the_identity_and_names_them(api, caller, twilio_api, rt):
    api.transfer(caller.call_sid, target="category", language="fr", cin="ab 734591")
    [event] = agent_events(rt, caller.call_sid)
    assert event.state == "category.confirm"
    assert event.detail == {
        "agent": "Fatima",
        "agent_id": 1,
        "from_state": "advisor.connect",
        "language": "fr",
        "identity": "verified by agent Fatima",
    }


def test_the_agents_audit_trail_records_the_transfer(api, caller, twilio_api, rt):
    api.transfer(caller.call_sid, target="category", language="fr", cin="AB734591")
    [action] = agent_actions(rt, caller.call_sid)
    assert (action.agent_id, action.kind, action.outcome) == (1, "transfer", "redirected")
    assert action.detail == {
        "target": "category",
        "language": "fr",
        "agent_identified_person": True,
        "state": "category.confirm",
    }


def test_a_registered_caller_can_be_sent_straight_to_credential_delivery(
    app, phone, twilio_api, people, voice, rt, deliver_sms
):
    complete(phone("+212600000010"), AMINA)
    caller = phone("+212600000011")
    reach_the_advisor(caller, twilio_api)
    answer = AgentApi(app, new_agent(rt)).transfer(
        caller.call_sid, target="credentials.deliver", language="ar", cin="AB734591"
    )
    assert answer.status_code == 200
    turn = follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["credentials.sent"]
    assert {utterance.language for utterance in turn.heard} == {rt.catalog.voices["ar"].language}
    assert [sms["to"] for sms in deliver_sms()] == [AMINA.mobile, AMINA.mobile]


def test_a_caller_who_proved_their_identity_keeps_it_without_a_cin_from_the_agent(
    api, phone, twilio_api, people, voice, rt
):
    caller = phone()
    dispute_the_category(caller, twilio_api)
    answer = api.transfer(caller.call_sid, target="completion.check_mobile", language="fr")
    assert answer.status_code == 200 and answer.json["identity_verified"] and not answer.json["verified_by_agent"]
    follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["completion.confirm_mobile"]
    assert agent_events(rt, caller.call_sid)[0].detail["identity"] == "verified by the caller"


def test_a_repeated_redirect_webhook_gets_the_same_answer_without_a_second_step(api, caller, twilio_api, voice):
    api.transfer(caller.call_sid, target="menu", language="fr")
    turn = follow_the_redirect(caller, twilio_api)
    steps = len(voice.steps(caller))
    again = caller.post(twilio_api.call_updates[-1]["url"], caller.call_params())
    assert again.status_code == 200 and again.text == turn.xml
    assert len(voice.steps(caller)) == steps


def test_the_redirect_webhook_does_nothing_for_a_call_no_agent_transferred(phone, voice, rt):
    caller = phone()
    turn = choose(caller, "fr")
    seq = call_session(rt, caller.call_sid).seq
    answer = caller.post(f"/voice/resume?seq={seq}", caller.call_params())
    assert answer.status_code == 200 and answer.text == turn.xml
    assert call_session(rt, caller.call_sid).seq == seq


# What the agent reads.


def test_the_agent_reads_why_a_caller_reached_the_advisors(api, phone, twilio_api, people):
    caller = phone("+212600555666")
    dispute_the_category(caller, twilio_api)
    [listed] = api.calls().json["calls"]
    assert listed == api.call(caller.call_sid).json
    assert listed["call_sid"] == caller.call_sid and listed["from_number"] == "+212600555666"
    assert listed["transfer_reason"] == "category_disputed"
    assert listed["state_reached"] == "category.disputed"
    assert listed["language"] == "fr" and listed["identity_verified"] is True and listed["with_advisor"] is True
    assert listed["person"] == {
        "name": "Amina FICTIF",
        "category": "medecin",
        "category_words": {"fr": "Médecins", "ar": "الأطباء"},
        "mobile": "•••• 4578",
        "registered": False,
    }


def test_a_caller_who_asked_for_an_advisor_before_any_check_is_listed_unverified(api, caller):
    [listed] = api.calls().json["calls"]
    assert listed["transfer_reason"] == "caller_request" and listed["state_reached"] == "menu.choose"
    assert listed["identity_verified"] is False and listed["person"] is None


def test_a_transferred_call_leaves_the_advisors_list(api, caller, twilio_api):
    api.transfer(caller.call_sid, target="menu", language="fr")
    assert api.calls().json["calls"] == []
    assert api.call(caller.call_sid).json["state"] == "menu.choose"


def test_an_ended_call_leaves_the_advisors_list(api, caller):
    caller.hangup()
    assert api.calls().json["calls"] == []
    assert api.call(caller.call_sid).json["status"] == "ended"


# Clear errors.


def error_of(answer) -> tuple[int, str | None]:
    return answer.status_code, answer.json.get("error")


def test_an_unknown_call_is_a_404(api, rt):
    assert error_of(api.transfer("CA" + "9" * 32, target="menu", language="fr")) == (404, "unknown_call")
    assert error_of(api.call("CA" + "9" * 32)) == (404, "unknown_call")
    refused = [(a.kind, a.outcome) for a in agent_actions(rt, "CA" + "9" * 32)]
    assert refused == [("transfer", "unknown_call"), ("read", "unknown_call")]


def test_a_call_that_has_ended_is_a_409(api, caller, twilio_api):
    caller.hangup()
    answer = api.transfer(caller.call_sid, target="menu", language="fr")
    assert error_of(answer) == (409, "call_finished")
    assert twilio_api.call_updates == []


def test_a_call_twilio_says_has_ended_is_a_409_and_its_session_is_left_as_it_was(api, caller, twilio_api, rt):
    twilio_api.set_call_status(caller.call_sid, "completed")
    before = call_session(rt, caller.call_sid)
    assert error_of(api.transfer(caller.call_sid, target="menu", language="fr")) == (409, "call_finished")
    after = call_session(rt, caller.call_sid)
    assert (
        (after.flow, after.state, after.seq)
        == (before.flow, before.state, before.seq)
        == ("advisor", "connect", before.seq)
    )


def test_a_call_already_transferred_is_a_409_and_stays_where_the_first_agent_sent_it(app, api, caller, twilio_api, rt):
    assert api.transfer(caller.call_sid, target="menu", language="fr").status_code == 200
    second = AgentApi(app, new_agent(rt, "Karim")).transfer(caller.call_sid, target="identity", language="ar")
    assert error_of(second) == (409, "not_with_advisor") and "menu.choose" in second.json["message"]
    assert len(twilio_api.call_updates) == 1
    assert (call_session(rt, caller.call_sid).state, call_session(rt, caller.call_sid).language) == ("choose", "fr")
    assert [a.outcome for a in agent_actions(rt, caller.call_sid)] == ["redirected", "not_with_advisor"]


def test_a_call_in_self_service_is_no_agents_to_take(api, phone, twilio_api, rt):
    caller = phone()
    choose(caller, "fr", "1")
    twilio_api.add_call(caller.call_sid)
    answer = api.transfer(caller.call_sid, target="category.confirm", language="fr", cin="AB734591")
    assert error_of(answer) == (409, "not_with_advisor")
    assert twilio_api.call_updates == [] and call_session(rt, caller.call_sid).identity_verified is False


def test_two_agents_transferring_one_call_at_once_redirect_it_once(app, api, caller, twilio_api, rt):
    agents_apis = [api, AgentApi(app, new_agent(rt, "Karim"))]
    answers = all_at_once(
        [
            lambda agent_api=agent_api: error_of(agent_api.transfer(caller.call_sid, target="menu", language="fr"))
            for agent_api in agents_apis
        ]
    )
    assert sorted(answers) == [(200, None), (409, "not_with_advisor")]
    assert len(twilio_api.call_updates) == 1
    assert len(agent_events(rt, caller.call_sid)) == 1


def test_a_call_sid_longer_than_any_is_an_unknown_call(api, rt):
    long_sid = "CA" + "7" * 90
    assert error_of(api.transfer(long_sid, target="menu", language="fr")) == (404, "unknown_call")
    assert error_of(api.call(long_sid)) == (404, "unknown_call")
    assert [a.call_sid for a in agent_actions(rt)][-2:] == [long_sid[:64]] * 2


@pytest.mark.parametrize("target", ["nowhere", "menu.nowhere", "info.tell", "advisor", "advisor.connect", ""])
def test_an_unknown_flow_or_a_state_calls_cannot_be_sent_to_is_a_400(api, caller, twilio_api, target):
    answer = api.transfer(caller.call_sid, target=target, language="fr")
    assert answer.status_code == 400
    assert answer.json["error"] == ("bad_request" if not target else "unknown_target")
    assert twilio_api.call_updates == []


def test_the_unknown_target_error_lists_where_a_call_can_be_sent(api, caller):
    message = api.transfer(caller.call_sid, target="nowhere", language="fr").json["message"]
    assert "credentials.deliver" in message and "menu.choose" in message


@pytest.mark.parametrize(
    "body",
    [{"target": "menu"}, {"target": "menu", "language": "en"}, {"target": "menu", "language": "fr", "cin": 734591}],
)
def test_a_missing_or_wrong_field_is_a_400(api, caller, body):
    assert error_of(api.transfer(caller.call_sid, **body)) == (400, "bad_request")


def test_a_body_that_is_not_json_is_a_400(api, caller):
    answer = api.client.post(f"/agent/calls/{caller.call_sid}/transfer", data="target=menu", headers=api.headers())
    assert error_of(answer) == (400, "bad_request")


def test_a_flow_on_the_callers_file_needs_an_identified_caller(api, caller, twilio_api):
    answer = api.transfer(caller.call_sid, target="category.confirm", language="fr")
    assert error_of(answer) == (400, "bad_request") and "CIN" in answer.json["message"]


def test_credential_delivery_needs_a_completed_registration(api, caller):
    answer = api.transfer(caller.call_sid, target="credentials", language="fr", cin="CD582937")
    assert error_of(answer) == (400, "bad_request") and "category.confirm" in answer.json["message"]


def test_a_cin_in_no_pre_registration_is_a_404_and_a_malformed_one_a_400(api, caller):
    assert error_of(api.transfer(caller.call_sid, target="category", language="fr", cin="ZZ999999")) == (
        404,
        "unknown_person",
    )
    assert error_of(api.transfer(caller.call_sid, target="category", language="fr", cin="12")) == (400, "bad_request")


def test_a_twilio_failure_is_a_502_and_leaves_the_session_as_it_was(api, caller, twilio_api, rt, voice):
    before = call_session(rt, caller.call_sid)
    twilio_api.fail_next(503, 20503, "Service Unavailable")
    answer = api.transfer(caller.call_sid, target="menu", language="fr", cin="CD582937")
    assert error_of(answer) == (502, "twilio_failed") and "20503" in answer.json["message"]
    after = call_session(rt, caller.call_sid)
    assert (after.flow, after.state, after.seq, after.identity_verified) == ("advisor", "connect", before.seq, False)
    assert agent_events(rt, caller.call_sid) == []
    assert [a.outcome for a in agent_actions(rt, caller.call_sid)] == ["twilio_failed"]
    assert api.transfer(caller.call_sid, target="menu", language="fr").status_code == 200
    follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["menu.choose"]


def test_a_twilio_that_cannot_be_reached_is_a_502(app_unreachable_twilio, twilio_api):
    api, caller = app_unreachable_twilio
    assert error_of(api.transfer(caller.call_sid, target="menu", language="fr")) == (502, "twilio_failed")


@pytest.fixture
def app_unreachable_twilio(settings, twilio_api):
    with an_agent_and_a_caller_at_the_advisor(
        {**settings, "TWILIO_API_BASE_URL": "http://127.0.0.1:9"}, twilio_api
    ) as pair:
        yield pair


@contextmanager
def an_agent_and_a_caller_at_the_advisor(app_settings, twilio_api):
    """Build an app with these settings, an agent's API on it and a caller waiting for an advisor."""
    from ivr.factory import create_app
    from ivr.simulator.caller import SimulatedCaller
    from ivr.web.extension import runtime_of

    app = create_app(app_settings)
    try:
        caller = SimulatedCaller.in_process(app)
        reach_the_advisor(caller, twilio_api)
        yield AgentApi(app, new_agent(runtime_of(app))), caller
    finally:
        runtime_of(app).store.dispose()


# Where Twilio is sent: never to a host the agent's request names.


def test_a_forged_host_header_cannot_send_a_call_to_another_server(api, caller, twilio_api, rt):
    answer = api.client.post(
        f"/agent/calls/{caller.call_sid}/transfer",
        json={"target": "menu", "language": "fr"},
        headers=api.headers(),
        base_url="https://evil.example",
    )
    assert error_of(answer) == (503, "not_configured") and "PUBLIC_BASE_URL" in answer.json["message"]
    assert twilio_api.call_updates == [] and call_session(rt, caller.call_sid).state == "connect"
    assert [a.outcome for a in agent_actions(rt, caller.call_sid)] == ["not_configured"]


def test_with_a_public_url_the_redirect_goes_there_whatever_the_host_header(public_app, twilio_api, voice):
    api, caller = public_app
    answer = api.client.post(
        f"/agent/calls/{caller.call_sid}/transfer",
        json={"target": "menu", "language": "fr"},
        headers=api.headers(),
        base_url="https://evil.example",
    )
    assert answer.status_code == 200
    assert twilio_api.call_updates[-1]["url"].startswith("https://ivr.example.ma/voice/resume?seq=")
    follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["menu.choose"]


@pytest.fixture
def public_app(settings, twilio_api):
    with an_agent_and_a_caller_at_the_advisor(
        {**settings, "PUBLIC_BASE_URL": "https://ivr.example.ma"}, twilio_api
    ) as pair:
        yield pair
