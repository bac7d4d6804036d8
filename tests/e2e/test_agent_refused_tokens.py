"""Refused agent tokens leave a trace without the token, and too many from one address are turned away."""

import logging

import pytest
from sqlalchemy import select

from ivr.agents import accounts
from ivr.agents.accounts import token_digest
from ivr.agents.refusals import LIMIT
from ivr.store.agent_models import AgentTokenRefusal
from tests.agent_support import csrf_of, new_agent, sign_in
from tests.concurrency import all_at_once
from tests.databases import stored_bytes

ATTACKER, COLLEAGUE, PROXY = "203.0.113.7", "198.51.100.9", "127.0.0.1"
WRONG = "agt_" + "w" * 43


@pytest.fixture
def token(rt):
    return new_agent(rt, "Fatima")


def api_get(app, token: str | None, address: str = ATTACKER, forwarded_for: str | None = None):
    """Ask for the calls from a client at `address` (the peer), possibly through a proxy's X-Forwarded-For."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return app.test_client().get("/agent/calls", headers=headers, environ_base={"REMOTE_ADDR": address})


def console_sign_in(app, token: str, address: str = ATTACKER):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return sign_in(client, token)


def refusals(rt) -> list[AgentTokenRefusal]:
    with rt.store.transaction() as db:
        return list(db.scalars(select(AgentTokenRefusal).order_by(AgentTokenRefusal.id)))


def test_a_wrong_token_is_logged_and_recorded_with_address_route_and_time_but_never_the_token(app, rt, clock, caplog):
    caplog.set_level(logging.INFO)
    answer = api_get(app, WRONG)
    assert answer.status_code == 401 and answer.get_json()["error"] == "bad_token"
    [refusal] = refusals(rt)
    assert (refusal.at, refusal.address, refusal.route, refusal.reason) == (
        clock.now,
        ATTACKER,
        "GET /agent/calls",
        "bad_token",
    )
    logged = [r.getMessage() for r in caplog.records if "agent token refused" in r.getMessage()]
    assert logged == [f"agent token refused (bad_token): GET /agent/calls from {ATTACKER}"]
    for secret in (WRONG, WRONG[4:], token_digest(WRONG)):
        assert secret not in caplog.text
        assert not any(secret.encode() in content for content in stored_bytes(rt.store).values())


def test_a_wrong_token_at_the_console_sign_in_is_recorded_the_same_way(app, rt):
    assert console_sign_in(app, WRONG).status_code == 401
    assert [(r.address, r.route, r.reason) for r in refusals(rt)] == [(ATTACKER, "POST /agent/login", "bad_token")]


def test_a_request_without_any_token_is_refused_but_not_recorded(app, rt):
    assert api_get(app, None).status_code == 401
    assert refusals(rt) == []


def test_the_eleventh_wrong_token_from_one_address_is_answered_429_and_so_is_a_right_one_until_the_window_passes(
    app, rt, clock, token
):
    for _ in range(LIMIT):
        assert api_get(app, WRONG).status_code == 401
    turned_away = api_get(app, WRONG)
    assert turned_away.status_code == 429
    assert turned_away.headers["Retry-After"] == "900"
    assert turned_away.get_json() == {
        "error": "too_many_refused_tokens",
        "message": "too many wrong agent tokens from this address: try again in 15 minutes",
    }
    assert api_get(app, token).status_code == 429
    assert api_get(app, token, address=COLLEAGUE).status_code == 200
    clock.advance(minutes=14)
    assert api_get(app, token).headers["Retry-After"] == "60"
    clock.advance(minutes=1)
    assert api_get(app, token).status_code == 200
    assert len(refusals(rt)) == LIMIT  # the tries turned away were not checked, so not counted


def test_a_client_cannot_escape_the_limit_with_its_own_x_forwarded_for(app, token):
    for _ in range(LIMIT):
        api_get(app, WRONG)
    assert api_get(app, token, forwarded_for=COLLEAGUE).status_code == 429


def test_behind_a_trusted_proxy_the_address_it_added_is_the_one_limited(app, rt, token):
    for _ in range(LIMIT):
        api_get(app, WRONG, address=PROXY, forwarded_for=f"{COLLEAGUE}, {ATTACKER}")
    assert {r.address for r in refusals(rt)} == {ATTACKER}
    assert api_get(app, token, address=PROXY, forwarded_for=ATTACKER).status_code == 429
    assert api_get(app, token, address=PROXY, forwarded_for=COLLEAGUE).status_code == 200


def test_a_disabled_agents_token_is_recorded_but_does_not_count_towards_the_limit(app, rt, token):
    accounts.disable_agent(rt, "Fatima")
    for _ in range(LIMIT + 1):
        assert api_get(app, token).status_code == 403
    assert {r.reason for r in refusals(rt)} == {"agent_disabled"}


def test_the_console_sign_in_says_so_with_429_after_too_many_wrong_tokens(app, token):
    for _ in range(LIMIT):
        console_sign_in(app, WRONG)
    page = console_sign_in(app, token)
    assert page.status_code == 429 and page.headers["Retry-After"] == "900"
    assert "Trop de jetons erronés ont été envoyés depuis votre adresse : réessayez dans 15 min." in page.get_data(True)
    assert console_sign_in(app, token, address=COLLEAGUE).status_code == 303


def test_wrong_tokens_sent_all_at_once_get_no_more_than_the_limit_checked(app, rt):
    answers = all_at_once([lambda: api_get(app, WRONG).status_code for _ in range(2 * LIMIT)])
    assert sorted(answers) == [401] * LIMIT + [429] * LIMIT
    assert len(refusals(rt)) == LIMIT


def sign_in_over(app, token: str, scheme: str):
    """Sign in as a browser would at scheme://localhost; return the answer that sets the session cookie."""
    client = app.test_client()
    base_url = f"{scheme}://localhost"
    login_page = client.get("/agent/login", base_url=base_url)
    return client.post("/agent/login", data={"token": token, "csrf_token": csrf_of(login_page)}, base_url=base_url)


def session_cookie_of(answer) -> list[str]:
    [cookie] = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("session=")]
    return [part.strip() for part in cookie.split(";")]


def test_the_console_cookie_is_secure_when_the_request_came_over_https(app, token):
    answer = sign_in_over(app, token, "https")
    assert answer.status_code == 303
    assert "Secure" in session_cookie_of(answer)


def test_the_console_cookie_is_not_secure_over_plain_http(app, token):
    answer = sign_in_over(app, token, "http")
    assert answer.status_code == 303
    assert "Secure" not in session_cookie_of(answer)


def test_behind_nginx_on_a_local_socket_the_address_it_added_is_the_one_limited(app, rt):
    api_get(app, WRONG, address="", forwarded_for=f"{COLLEAGUE}, {ATTACKER}")
    assert [r.address for r in refusals(rt)] == [ATTACKER]
