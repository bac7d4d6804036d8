"""The console's sessions: a new one at each sign-in, ended by sign-out, 30 idle minutes or 10 hours."""

import pytest

from tests.agent_support import agent_actions, call_session, csrf_of, new_agent, reach_the_advisor, sign_in


@pytest.fixture
def token(rt):
    return new_agent(rt, "Fatima")


@pytest.fixture
def client(app, token):
    """A browser signed in to the console as Fatima."""
    client = app.test_client()
    assert sign_in(client, token).status_code == 303
    return client


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def ends_of_sessions(rt) -> list[str]:
    return [a.outcome for a in agent_actions(rt) if a.kind == "session" and a.outcome != "login"]


def test_a_console_session_ends_after_30_minutes_without_activity(client, clock, rt):
    clock.advance(minutes=29, seconds=59)
    assert client.get("/agent/console").status_code == 200
    clock.advance(minutes=30)
    ended = client.get("/agent/console", follow_redirects=True)
    assert ended.request.path == "/agent/login"
    assert "30 minutes d&#39;inactivité" in ended.get_data(as_text=True)
    assert ends_of_sessions(rt) == ["ended_idle"]


def test_activity_keeps_a_session_alive_but_never_past_ten_hours_after_sign_in(client, clock, rt):
    for _ in range(39):  # a request every quarter of an hour: 9 hours 45 minutes
        clock.advance(minutes=15)
        assert client.get("/agent/console").status_code == 200
    clock.advance(minutes=15)
    ended = client.get("/agent/console", follow_redirects=True)
    assert ended.request.path == "/agent/login"
    assert "10 heures après votre connexion" in ended.get_data(as_text=True)
    assert ends_of_sessions(rt) == ["ended_max_length"]


def test_a_transfer_form_sent_after_the_session_ended_is_refused(client, clock, rt, phone, twilio_api, people):
    caller = phone()
    reach_the_advisor(caller, twilio_api)
    csrf = csrf_of(client.get("/agent/console"))
    clock.advance(minutes=31)
    answer = client.post(
        f"/agent/console/calls/{caller.call_sid}/transfer",
        data={"target": "menu.choose", "language": "fr", "csrf_token": csrf},
    )
    assert answer.status_code == 401
    assert twilio_api.call_updates == []
    assert call_session(rt, caller.call_sid).state == "connect"


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_console(app, client, rt):
    copied = session_cookie(client)
    client.post("/agent/logout", data={"csrf_token": csrf_of(client.get("/agent/console"))})
    other = app.test_client()
    other.set_cookie("session", copied)
    assert other.get("/agent/console").headers["Location"].endswith("/agent/login")
    assert ends_of_sessions(rt) == ["logout"]


def test_a_sign_out_without_the_csrf_token_is_refused_and_the_session_goes_on(client, rt):
    assert client.post("/agent/logout").status_code == 400
    assert client.post("/agent/logout", data={"csrf_token": "forged"}).status_code == 400
    assert client.get("/agent/console").status_code == 200
    assert ends_of_sessions(rt) == []


def test_signing_out_of_an_ended_session_just_shows_the_login(client, clock):
    csrf = csrf_of(client.get("/agent/console"))
    clock.advance(hours=1)
    answer = client.post("/agent/logout", data={"csrf_token": csrf})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/agent/login")


def test_signing_in_gives_a_new_session_and_csrf_token_whatever_the_browser_had(app, token, rt):
    client = app.test_client()
    login_page = client.get("/agent/login")
    before = session_cookie(client), csrf_of(login_page)
    client.post("/agent/login", data={"token": token, "csrf_token": before[1]})
    after = session_cookie(client), csrf_of(client.get("/agent/console"))
    assert after[0] != before[0] and after[1] != before[1]
    # A planted pre-login cookie (session fixation) opens nothing, even once its victim signed in.
    planted = app.test_client()
    planted.set_cookie("session", before[0])
    assert planted.get("/agent/console").status_code == 302


def test_two_sign_ins_are_two_sessions_and_signing_out_of_one_keeps_the_other(app, client, token, rt):
    second = app.test_client()
    sign_in(second, token)
    client.post("/agent/logout", data={"csrf_token": csrf_of(client.get("/agent/console"))})
    assert second.get("/agent/console").status_code == 200
    assert client.get("/agent/console").status_code == 302


def test_signing_in_again_ends_the_browsers_previous_session(app, client, token, rt):
    previous = session_cookie(client)
    sign_in(client, token)
    assert client.get("/agent/console").status_code == 200
    other = app.test_client()
    other.set_cookie("session", previous)
    assert other.get("/agent/console").status_code == 302
    assert ends_of_sessions(rt) == ["ended_replaced"]
