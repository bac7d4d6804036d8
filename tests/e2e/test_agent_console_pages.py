"""The console's pages as the server sends them: the agent's language, the queue's poll, the transfer's steps."""

import re

import pytest

from ivr.callflow.calls import call_reference
from tests.agent_support import agent_actions, call_session, csrf_of, new_agent, sign_in


@pytest.fixture
def token(rt):
    return new_agent(rt, "Fatima")


@pytest.fixture
def client(app, token):
    """A browser signed in to the console as Fatima."""
    client = app.test_client()
    assert sign_in(client, token).status_code == 303
    return client


def html_tag(page) -> str:
    return re.search(r"<html[^>]*>", page.get_data(as_text=True)).group(0)


def test_the_console_is_french_by_default_and_arabic_for_an_arabic_browser(app):
    client = app.test_client()
    assert html_tag(client.get("/agent/login")) == '<html lang="fr" dir="ltr">'
    assert html_tag(client.get("/agent/login", headers={"Accept-Language": "en-GB,en;q=0.9"})) == (
        '<html lang="fr" dir="ltr">'
    )
    arabic = client.get("/agent/login", headers={"Accept-Language": "ar-MA,ar;q=0.9,fr;q=0.5"})
    assert html_tag(arabic) == '<html lang="ar" dir="rtl">' and "تسجيل الدخول" in arabic.get_data(as_text=True)


def test_a_language_asked_in_the_url_is_kept_in_a_cookie_over_the_browsers(app):
    client = app.test_client()
    asked = client.get("/agent/login?lang=ar")
    assert html_tag(asked) == '<html lang="ar" dir="rtl">'
    assert "agent_lang=ar" in asked.headers["Set-Cookie"] and "HttpOnly" in asked.headers["Set-Cookie"]
    assert html_tag(client.get("/agent/login")) == '<html lang="ar" dir="rtl">'
    assert html_tag(client.get("/agent/login", headers={"Accept-Language": "fr"})) == '<html lang="ar" dir="rtl">'
    assert html_tag(client.get("/agent/login?lang=fr")) == '<html lang="fr" dir="ltr">'
    assert html_tag(client.get("/agent/login?lang=de")) == '<html lang="fr" dir="ltr">'  # not an agents' language


def test_the_queues_poll_answers_204_while_only_the_waiting_times_change(client, caller, clock):
    page = client.get("/agent/console").get_data(as_text=True)
    poll = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")
    assert caller.call_sid in page and call_reference(caller.call_sid) in page
    clock.advance(seconds=75)
    assert client.get(poll).status_code == 204
    caller.hangup()
    fragment = client.get(poll)
    assert fragment.status_code == 200 and caller.call_sid not in fragment.get_data(as_text=True)
    assert 'id="queue-news" hx-swap-oob="innerHTML">Aucun appel en attente.' in fragment.get_data(as_text=True)


def test_a_poll_after_the_session_ended_sends_the_whole_page_to_the_login(client, clock):
    clock.advance(minutes=31)
    answer = client.get("/agent/console/queue", headers={"HX-Request": "true"})
    assert answer.status_code == 204 and answer.headers["HX-Redirect"] == "/agent/login"


def test_a_transfer_is_confirmed_before_anything_is_sent(client, caller, twilio_api, rt):
    url = f"/agent/console/calls/{caller.call_sid}/transfer"
    csrf = csrf_of(client.get(f"/agent/console/calls/{caller.call_sid}"))
    asked = client.post(url, data={"target": "menu.choose", "language": "ar", "csrf_token": csrf})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'id="confirm-target"' in page
    assert twilio_api.call_updates == [] and call_session(rt, caller.call_sid).state == "connect"
    changed = client.post(url, data={"target": "menu.choose", "language": "ar", "change": "yes", "csrf_token": csrf})
    assert '<option value="menu.choose" selected>' in changed.get_data(as_text=True)
    assert '<option value="ar" selected>' in changed.get_data(as_text=True)
    assert twilio_api.call_updates == []


def test_the_placeholder_target_is_refused_in_words_without_a_transfer(client, caller, twilio_api, rt):
    csrf = csrf_of(client.get(f"/agent/console/calls/{caller.call_sid}"))
    for target in ("", "advisor.connect", "nowhere"):
        answer = client.post(
            f"/agent/console/calls/{caller.call_sid}/transfer",
            data={"target": target, "language": "fr", "confirmed": "yes", "csrf_token": csrf},
        )
        assert answer.status_code == 400
        assert "Choisissez où renvoyer l&#39;appel, puis confirmez." in answer.get_data(as_text=True)
    assert twilio_api.call_updates == [] and call_session(rt, caller.call_sid).state == "connect"


def test_a_refused_transfer_keeps_the_choice_and_says_what_to_do(client, caller, twilio_api, rt):
    csrf = csrf_of(client.get(f"/agent/console/calls/{caller.call_sid}?lang=ar"))
    answer = client.post(
        f"/agent/console/calls/{caller.call_sid}/transfer",
        data={
            "target": "category.confirm",
            "language": "fr",
            "cin": "ZZ999999",
            "confirmed": "yes",
            "csrf_token": csrf,
        },
    )
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "لا يوجد أي تسجيل مسبق بالبطاقة الوطنية التي أدخلتها" in page  # unknown_person, in Arabic
    assert '<option value="category.confirm" selected>' in page and 'value="ZZ999999"' in page
    assert [a.outcome for a in agent_actions(rt, caller.call_sid) if a.kind == "transfer"] == ["unknown_person"]
    history = client.get("/agent/console").get_data(as_text=True).split('id="recent"')[1]
    assert "لم يتم التحويل: بطاقة وطنية غير معروفة" in history and call_reference(caller.call_sid) in history


def test_a_call_that_left_the_queue_shows_no_transfer_form(client, caller):
    caller.hangup()
    page = client.get(f"/agent/console/calls/{caller.call_sid}").get_data(as_text=True)
    assert 'id="call-gone"' in page and 'name="target"' not in page


def test_an_unknown_call_sends_the_agent_back_to_the_queue_in_words(client):
    answer = client.get("/agent/console/calls/CA-nothing", follow_redirects=True)
    assert answer.request.path == "/agent/console"
    assert "Cet appel est inconnu ici." in answer.get_data(as_text=True)


def test_a_refused_form_is_answered_with_a_page_in_the_agents_language(client):
    french = client.post("/agent/logout")
    assert french.status_code == 400 and html_tag(french) == '<html lang="fr" dir="ltr">'
    assert "Ce formulaire a expiré ou ne vient pas de la console" in french.get_data(as_text=True)
    client.get("/agent/console?lang=ar")
    arabic = client.post("/agent/logout")
    assert arabic.status_code == 400 and "انتهت صلاحية هذه الاستمارة" in arabic.get_data(as_text=True)
    assert client.get("/agent/console/nothing-here").status_code == 404


def test_a_console_that_only_polls_for_30_minutes_ends_its_session_as_idle(client, clock, rt):
    client.get("/agent/console")
    for _ in range(29):
        clock.advance(minutes=1)
        assert client.get("/agent/console/queue", headers={"HX-Request": "true"}).status_code == 200
    clock.advance(minutes=1)
    ended = client.get("/agent/console/queue", headers={"HX-Request": "true"})
    assert ended.status_code == 204 and ended.headers["HX-Redirect"] == "/agent/login"
    assert [a.outcome for a in agent_actions(rt) if a.kind == "session"] == ["login", "ended_idle"]
    assert "30 minutes d&#39;inactivité" in client.get("/agent/login").get_data(as_text=True)


def test_the_agents_own_requests_keep_a_polling_console_open(client, clock, rt):
    for _ in range(4):
        clock.advance(minutes=20)
        assert client.get("/agent/console/queue", headers={"HX-Request": "true"}).status_code == 200
        assert client.get("/agent/console").status_code == 200  # the agent opened a page
    assert [a.outcome for a in agent_actions(rt) if a.kind == "session"] == ["login"]
