"""Agents' security: tokens, disabled agents, CSRF on the console, and no CIN or birth date for an agent."""

import json
import logging

import pytest
from sqlalchemy import select

from ivr.agents import accounts
from ivr.store.models import CallEvent, PreRegistration
from tests.agent_support import AgentApi, agent_actions, call_session, csrf_of, new_agent, reach_the_advisor, sign_in
from tests.conftest import AMINA

from .conftest import choose, identify

CLEAR_VALUES = ("AB734591", AMINA.cin_digits, AMINA.birth, "1975-03-14", "14/03/1975", "661234578")


@pytest.fixture
def token(rt):
    return new_agent(rt, "Fatima")


@pytest.fixture
def verified_caller(phone, twilio_api, people):
    """AMINA proves her identity, then disputes her category: she waits for an advisor."""
    caller = phone("+212600777888")
    choose(caller, "fr", "1")
    identify(caller, AMINA)
    caller.press("2")
    twilio_api.add_call(caller.call_sid)
    return caller


def api_requests(api: AgentApi, call_sid: str):
    return [api.calls(), api.call(call_sid), api.transfer(call_sid, target="menu", language="fr")]


# The API's token.


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer agt_not-a-token"},
        {"Authorization": "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="},
    ],
)
def test_a_request_without_a_valid_token_is_refused_with_a_401(app, caller, twilio_api, headers):
    client = app.test_client()
    for answer in (
        client.get("/agent/calls", headers=headers),
        client.get(f"/agent/calls/{caller.call_sid}", headers=headers),
        client.post(
            f"/agent/calls/{caller.call_sid}/transfer", headers=headers, json={"target": "menu", "language": "fr"}
        ),
    ):
        assert answer.status_code == 401 and answer.json["error"] == "bad_token"
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert twilio_api.call_updates == []


def test_a_disabled_agents_token_is_refused_with_a_403(app, rt, caller, twilio_api, token):
    accounts.disable_agent(rt, "Fatima")
    for answer in api_requests(AgentApi(app, token), caller.call_sid):
        assert answer.status_code == 403 and answer.json["error"] == "agent_disabled"
    assert twilio_api.call_updates == []
    assert call_session(rt, caller.call_sid).state == "connect"
    assert [a.kind for a in agent_actions(rt)] == ["account", "account"]  # created, disabled: nothing else


# The console's session and CSRF token.


def test_the_console_sends_a_visitor_without_a_session_to_the_login(app):
    answer = app.test_client().get("/agent/console")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/agent/login")


def test_a_login_without_the_forms_csrf_token_is_refused(app, token):
    client = app.test_client()
    client.get("/agent/login")
    assert client.post("/agent/login", data={"token": token}).status_code == 400
    assert client.post("/agent/login", data={"token": token, "csrf_token": "forged"}).status_code == 400
    assert client.get("/agent/console").status_code == 302


def test_a_login_with_a_wrong_or_disabled_token_is_refused(app, rt, token):
    client = app.test_client()
    assert sign_in(client, "agt_not-a-token").status_code == 401
    accounts.disable_agent(rt, "Fatima")
    refused = sign_in(client, token)
    assert refused.status_code == 401 and "Jeton inconnu, ou cet agent est désactivé" in refused.get_data(as_text=True)


def test_a_transfer_form_without_the_sessions_csrf_token_is_refused(app, caller, twilio_api, token, rt):
    client = app.test_client()
    assert sign_in(client, token).status_code == 303
    other = app.test_client()
    sign_in(other, token)
    forged_token = csrf_of(other.get("/agent/console"))  # valid, but another session's
    url = f"/agent/console/calls/{caller.call_sid}/transfer"
    for extra in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": forged_token}):
        answer = client.post(url, data={"target": "menu.choose", "language": "fr", **extra})
        assert answer.status_code == 400
    assert twilio_api.call_updates == []
    assert call_session(rt, caller.call_sid).state == "connect"


def test_a_transfer_form_with_the_csrf_token_transfers_the_call_and_says_so(app, caller, twilio_api, token, rt):
    client = app.test_client()
    sign_in(client, token)
    page = client.get("/agent/console")
    assert caller.call_sid in page.get_data(as_text=True)
    answer = client.post(
        f"/agent/console/calls/{caller.call_sid}/transfer",
        follow_redirects=True,
        data={"target": "menu.choose", "language": "fr", "confirmed": "yes", "csrf_token": csrf_of(page)},
    )
    assert f"Appel {caller.call_sid} renvoyé vers" in answer.get_data(as_text=True)
    assert [u["call_sid"] for u in twilio_api.call_updates] == [caller.call_sid]
    assert [(a.kind, a.outcome) for a in agent_actions(rt, caller.call_sid)] == [("transfer", "redirected")]


def test_a_disabled_agents_console_session_stops_working(app, rt, caller, twilio_api, token):
    client = app.test_client()
    sign_in(client, token)
    csrf = csrf_of(client.get("/agent/console"))
    accounts.disable_agent(rt, "Fatima")
    answer = client.post(
        f"/agent/console/calls/{caller.call_sid}/transfer",
        data={"target": "menu.choose", "language": "fr", "csrf_token": csrf},
    )
    assert answer.status_code == 403
    assert client.get("/agent/console").status_code == 302
    assert twilio_api.call_updates == []


def test_logins_and_logouts_are_audited_with_the_agent(app, rt, token):
    client = app.test_client()
    sign_in(client, token)
    client.post("/agent/logout", data={"csrf_token": csrf_of(client.get("/agent/console"))})
    assert client.get("/agent/console").status_code == 302
    sessions = [(a.agent_id, a.outcome) for a in agent_actions(rt) if a.kind == "session"]
    assert sessions == [(1, "login"), (1, "logout")]


# No CIN or birth date for an agent, nor in what an agent's action leaves behind.


def stored_digests(rt) -> list[str]:
    with rt.store.transaction() as db:
        person = db.scalars(select(PreRegistration).where(PreRegistration.first_name == "Amina")).one()
        return [person.cin_key, person.cin_digits_key, person.birth_date_key]


def test_an_agent_reads_a_verified_callers_name_but_no_cin_or_birth_date(app, rt, verified_caller, token):
    api = AgentApi(app, token)
    client = app.test_client()
    sign_in(client, token)
    pages = [
        api.calls().get_data(as_text=True),
        api.call(verified_caller.call_sid).get_data(as_text=True),
        client.get("/agent/console").get_data(as_text=True),
    ]
    assert all("FICTIF" in page for page in pages)
    for secret in (*CLEAR_VALUES, *stored_digests(rt)):
        assert not any(secret in page for page in pages), secret


def test_the_cin_an_agent_types_reaches_no_audit_trail_and_no_log(app, rt, verified_caller, twilio_api, token, caplog):
    digests = stored_digests(rt)
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        caplog.set_level(logging.DEBUG, logger=name)
    api = AgentApi(app, token)
    assert api.transfer(verified_caller.call_sid, target="menu", language="fr", cin="ZZ734591").status_code == 404
    assert api.transfer(verified_caller.call_sid, target="menu", language="fr", cin="AB734591").status_code == 200
    client = app.test_client()
    sign_in(client, token)
    client.post(
        f"/agent/console/calls/{verified_caller.call_sid}/transfer",
        follow_redirects=True,
        data={
            "target": "menu",
            "language": "fr",
            "cin": "AB734591",
            "confirmed": "yes",
            "csrf_token": csrf_of(client.get("/agent/console")),
        },
    )
    with rt.store.transaction() as db:
        events = [(e.state, e.detail) for e in db.scalars(select(CallEvent))]
    trails = json.dumps([events, [(a.outcome, a.detail) for a in agent_actions(rt)]], ensure_ascii=False)
    logs = "\n".join(record.getMessage() for record in caplog.records)
    for secret in ("AB734591", "ZZ734591", AMINA.cin_digits):
        assert secret not in trails and secret not in logs, secret
    assert not any(digest in trails for digest in digests)
    assert [u["url"] for u in twilio_api.call_updates if AMINA.cin_digits in u["url"]] == []


# What the browser is told: no caching, no framing, no markup from a caller.


def test_console_pages_forbid_caching_and_framing(app, token):
    client = app.test_client()
    answers = [
        client.get("/agent/login"),
        sign_in(client, token),
        client.get("/agent/console"),
        client.post("/agent/logout"),
    ]  # the last one is refused: no CSRF token
    assert answers[-1].status_code == 400
    for answer in answers:
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
        assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_api_answers_are_never_cached(app, caller, token):
    api = AgentApi(app, token)
    for answer in (*api_requests(api, caller.call_sid), AgentApi(app, None).calls()):
        assert answer.headers["Cache-Control"] == "no-store"


def test_the_console_cookie_is_http_only_and_not_sent_cross_site(app, token):
    cookie = sign_in(app.test_client(), token).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_callers_number_is_shown_as_text_not_markup(app, phone, twilio_api, token):
    caller = phone('"><script>alert(1)</script>')  # within the 32 characters a number is stored in
    reach_the_advisor(caller, twilio_api)
    client = app.test_client()
    sign_in(client, token)
    page = client.get("/agent/console").get_data(as_text=True)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# Reading a call's context is audited like every agent action.


def test_every_read_of_a_calls_context_is_audited_with_the_agent(app, rt, caller, token):
    api = AgentApi(app, token)
    api.calls()
    api.call(caller.call_sid)
    client = app.test_client()
    sign_in(client, token)
    client.get("/agent/console")
    reads = [(a.agent_id, a.outcome, a.call_sid, a.detail) for a in agent_actions(rt) if a.kind == "read"]
    assert reads == [
        (1, "listed", None, {"calls": [caller.call_sid]}),
        (1, "shown", caller.call_sid, {}),
        (1, "listed", None, {"calls": [caller.call_sid]}),
    ]


def test_the_consoles_latest_actions_list_transfers_not_reads(app, rt, caller, token):
    client = app.test_client()
    sign_in(client, token)
    AgentApi(app, token).call(caller.call_sid)
    recent = client.get("/agent/console").get_data(as_text=True).split('id="recent"')[1]
    assert "Aucun transfert pour le moment." in recent and "shown" not in recent


# Errors name no internals.


def test_an_unexpected_failure_is_a_json_500_that_names_no_internals(app, caller, token, monkeypatch):
    def broken(*args):
        raise RuntimeError("connection to /var/lib/secret.db refused")

    monkeypatch.setattr("ivr.web.agent_api.call_context", broken)
    answer = AgentApi(app, token).call(caller.call_sid)
    assert answer.status_code == 500 and answer.json["error"] == "internal_error"
    assert "secret.db" not in answer.get_data(as_text=True)
    assert answer.headers["Cache-Control"] == "no-store"


def test_a_console_polling_an_unchanged_queue_adds_one_listing_to_the_trail_not_one_a_second(app, rt, caller, token):
    api = AgentApi(app, token)
    for _ in range(5):
        api.calls()
    api.call(caller.call_sid)
    api.calls()
    reads = [(a.outcome, a.call_sid) for a in agent_actions(rt) if a.kind == "read"]
    assert reads == [("listed", None), ("shown", caller.call_sid), ("listed", None)]
