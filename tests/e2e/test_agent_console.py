"""The agents' console in a real headless browser (Debian's chromium driven by Playwright), as an agent uses it.

Screenshots of every page at 390 px (a phone) and 1,920 px (a call-centre screen) go to tests/artifacts/.
"""

import re
import shutil
from pathlib import Path

import pytest

from ivr.callflow.calls import call_reference
from ivr.simulator.caller import SimulatedCaller
from tests.agent_support import follow_the_redirect, new_agent
from tests.conftest import ACCOUNT_SID, AMINA, AUTH_TOKEN

from .conftest import choose, identify

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1920, "height": 1080}
# A poll every second: a call reaching the advisors shows within two seconds (and a little for a busy machine).
ARRIVAL_MS = 2_500

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"),
    reason=f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium",
)
expect = playwright_api.expect


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser):
    """Open a page as an agent's browser would (its language, its screen); every page is checked for CSP refusals."""
    refusals = []

    def open_(locale: str = "fr-FR", viewport: dict = DESKTOP):
        context = browser.new_context(locale=locale, viewport=viewport)
        page = context.new_page()
        page.on("console", lambda message: refusals.append(message.text) if "Content Security" in message.text else 0)
        return page

    yield open_
    assert refusals == [], "the console broke its own Content-Security-Policy"


def dispute_the_category(served_app, twilio_api, language: str = "fr") -> SimulatedCaller:
    """AMINA calls over HTTP, proves who she is and disputes her category: she waits for an advisor."""
    caller = SimulatedCaller.over_http(
        served_app, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, from_number="+212600246810"
    )
    choose(caller, language, "1")
    identify(caller, AMINA)
    twilio_api.add_call(caller.call_sid)
    assert caller.press("2").dial is not None
    return caller


def sign_in(page, served_app, token: str, label: str, button: str):
    page.goto(f"{served_app}/agent/console")
    assert page.url == f"{served_app}/agent/login"
    page.get_by_label(label).fill(token)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{served_app}/agent/console")


def screenshots(page, name: str):
    """Save the page at both widths (full length), and check that a phone never scrolls sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    for label, viewport in (("390", PHONE), ("1920", DESKTOP)):
        page.set_viewport_size(viewport)
        if label == "390":
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name}: {overflow} px of horizontal scroll at 390 px"
        page.screenshot(path=str(ARTIFACTS / f"agent-console-{name}-{label}.png"), full_page=True)


def test_an_agent_signs_in_in_french_sees_a_call_arrive_and_sends_it_on_after_confirming(
    served_app, open_page, rt, people, twilio_api, voice
):
    token = new_agent(rt, "Fatima")
    page = open_page()
    page.goto(f"{served_app}/agent/login")
    assert page.locator("html").get_attribute("lang") == "fr"
    screenshots(page, "login-fr")
    sign_in(page, served_app, token, "Votre jeton d'agent", "Se connecter")
    assert page.locator("#agent-name").inner_text() == "Fatima"
    expect(page.locator("#no-calls")).to_be_visible()

    caller = dispute_the_category(served_app, twilio_api)  # after the page is open: no reload, no click
    call = page.locator(f"#call-{caller.call_sid}")
    expect(call).to_be_visible(timeout=ARRIVAL_MS)
    expect(page.locator("#queue-news")).to_have_text("1 appel en attente.")
    reference = call_reference(caller.call_sid)
    assert call.locator(".reference").inner_text() == reference
    assert call.locator(".reason").inner_text() == "l'appelant conteste la catégorie déclarée"
    assert call.locator(".language").inner_text() == "français"
    assert "category" not in call.locator(".stood").inner_text()
    identity = call.locator(".identity").inner_text()
    assert "Amina FICTIF" in identity and "Médecins" in identity and "•••• 4578" in identity
    assert re.fullmatch(r"\d\d:\d\d", call.locator(".waited").inner_text())
    assert "depuis 25 nov. 11:00" in call.inner_text()  # 10:00 UTC is 11:00 in Casablanca
    screenshots(page, "queue-fr")

    call.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/agent/console/calls/"))
    target = page.get_by_label("Destination de l'appel")
    assert target.input_value() == ""  # no default target
    assert page.get_by_label("Langue que l'appelant entendra").input_value() == "fr"
    screenshots(page, "call-fr")
    target.select_option("completion.check_mobile")
    page.get_by_role("button", name="Continuer").click()

    expect(page.locator("#confirm-target")).to_have_text("confirmer le mobile et finaliser l'immatriculation")
    assert twilio_api.call_updates == []  # nothing is sent before the agent confirms
    screenshots(page, "confirm-fr")
    page.get_by_role("button", name="Oui, renvoyer l'appel").click()

    done = page.locator(".flash.done")
    expect(done).to_contain_text(f"Appel {reference} renvoyé vers « confirmer le mobile")
    expect(page.locator("#no-calls")).to_be_visible()
    history = page.locator("#recent tbody tr").first
    assert reference in history.inner_text() and "renvoyé" in history.inner_text()
    assert "confirmer le mobile et finaliser l'immatriculation" in history.inner_text()
    screenshots(page, "after-transfer-fr")

    follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["completion.confirm_mobile"]


def test_an_arabic_browser_gets_the_console_right_to_left_and_a_refusal_in_words_keeping_the_choice(
    served_app, open_page, rt, people, twilio_api, voice
):
    token = new_agent(rt, "Fatima")
    page = open_page(locale="ar-MA")
    page.goto(f"{served_app}/agent/login")
    assert page.locator("html").get_attribute("lang") == "ar"
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    screenshots(page, "login-ar")
    sign_in(page, served_app, token, "رمز الوكيل الخاص بك", "تسجيل الدخول")

    caller = dispute_the_category(served_app, twilio_api, "ar")
    call = page.locator(f"#call-{caller.call_sid}")
    expect(call).to_be_visible(timeout=ARRIVAL_MS)
    assert call.locator(".reason").inner_text() == "يعترض المتصل على الفئة المصرح بها"
    assert "الأطباء" in call.locator(".identity").inner_text()
    assert page.evaluate("getComputedStyle(document.querySelector('.call')).direction") == "rtl"
    screenshots(page, "queue-ar")

    call.get_by_role("link").click()
    page.get_by_label("وجهة المكالمة").select_option("credentials.deliver")  # she is not registered yet
    page.get_by_role("button", name="متابعة").click()
    page.get_by_role("button", name="نعم، حول المكالمة").click()
    error = page.locator("#transfer-error")
    expect(error).to_contain_text("تتطلب تسجيلا مكتملا")
    assert page.get_by_label("وجهة المكالمة").input_value() == "credentials.deliver"  # the choice is kept
    assert page.get_by_label("اللغة التي سيسمعها المتصل").input_value() == "ar"
    screenshots(page, "refused-ar")

    page.get_by_role("link", name="Français").click()  # the same page, in French, and kept
    assert page.locator("html").get_attribute("dir") == "ltr"
    page.goto(f"{served_app}/agent/console")
    assert page.locator("html").get_attribute("lang") == "fr"
    page.get_by_role("link", name="العربية").click()
    assert page.locator("html").get_attribute("lang") == "ar"

    page.locator(f"#call-{caller.call_sid}").get_by_role("link").click()
    page.get_by_label("وجهة المكالمة").select_option("identity.check_caller")
    page.get_by_role("button", name="متابعة").click()
    expect(page.locator("#confirm-target")).to_have_text("التحقق من الهوية (أرقام البطاقة الوطنية، تاريخ الازدياد)")
    screenshots(page, "confirm-ar")
    page.get_by_role("button", name="نعم، حول المكالمة").click()
    expect(page.locator(".flash.done")).to_be_visible()
    assert "تم التحويل" in page.locator("#recent tbody tr").first.inner_text()
    assert "لم يتم التحويل" in page.locator("#recent tbody tr").nth(1).inner_text()  # the refusal, in words
    screenshots(page, "after-transfer-ar")

    follow_the_redirect(caller, twilio_api)
    assert voice.said(caller) == ["identity.ask_cin"]


def test_a_call_that_ends_while_it_waits_leaves_the_queue_by_itself(served_app, open_page, rt, people, twilio_api):
    token = new_agent(rt, "Fatima")
    page = open_page()
    sign_in(page, served_app, token, "Votre jeton d'agent", "Se connecter")
    caller = dispute_the_category(served_app, twilio_api)
    expect(page.locator(f"#call-{caller.call_sid}")).to_be_visible(timeout=ARRIVAL_MS)
    caller.hangup()
    expect(page.locator(f"#call-{caller.call_sid}")).to_have_count(0, timeout=ARRIVAL_MS)
    expect(page.locator("#no-calls")).to_be_visible()


def test_an_agent_can_work_the_queue_with_the_keyboard_alone(served_app, open_page, rt, people, twilio_api):
    token = new_agent(rt, "Fatima")
    page = open_page(viewport=PHONE)
    caller = dispute_the_category(served_app, twilio_api)
    page.goto(f"{served_app}/agent/login")
    page.keyboard.type(token)  # the token field has the focus
    page.keyboard.press("Enter")
    page.wait_for_url(f"{served_app}/agent/console")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"  # first stop: straight to the content
    link = page.locator(f"#call-{caller.call_sid}").get_by_role("link")
    for _ in range(12):  # through the header's links and buttons, in the order they are read
        if page.evaluate("document.activeElement.closest('.call') !== null"):
            break
        page.keyboard.press("Tab")
    expect(link).to_be_focused()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # visible focus
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/agent/console/calls/"))
    page.get_by_label("Destination de l'appel").focus()
    page.keyboard.press("Enter")  # the form refuses the placeholder: the page stays as it is
    assert page.url.endswith(f"/calls/{caller.call_sid}")


def test_the_console_keeps_its_content_security_policy_strict(served_app, open_page, rt):
    page = open_page()
    answer = page.goto(f"{served_app}/agent/login")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    assert page.locator("[style]").count() == 0 and page.locator("script:not([src])").count() == 0


def test_a_wrong_token_keeps_the_agent_on_the_login_page(served_app, open_page, rt):
    new_agent(rt, "Fatima")
    page = open_page()
    page.goto(f"{served_app}/agent/login")
    page.get_by_label("Votre jeton d'agent").fill("agt_not-a-token")
    page.get_by_role("button", name="Se connecter").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Jeton inconnu")
    page.goto(f"{served_app}/agent/console")
    assert page.url == f"{served_app}/agent/login"
