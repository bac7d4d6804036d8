"""The agents' console in a real headless browser (Debian's chromium driven by Playwright)."""

import shutil
from pathlib import Path

import pytest

from ivr.simulator.caller import SimulatedCaller
from tests.agent_support import follow_the_redirect, new_agent
from tests.conftest import ACCOUNT_SID, AMINA, AUTH_TOKEN

from .conftest import choose, identify

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"),
    reason=f"Debian's chromium is not installed ({CHROMIUM}): apt-get install chromium",
)


@pytest.fixture
def browser():
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def disputing_caller(served_app, twilio_api, people):
    """AMINA calls over HTTP, proves who she is and disputes her category: she waits for an advisor."""
    caller = SimulatedCaller.over_http(
        served_app, auth_token=AUTH_TOKEN, account_sid=ACCOUNT_SID, from_number="+212600246810"
    )
    choose(caller, "fr", "1")
    identify(caller, AMINA)
    assert caller.press("2").dial is not None
    twilio_api.add_call(caller.call_sid)
    return caller


def test_an_agent_signs_in_sees_the_waiting_call_and_transfers_it(
    served_app, browser, rt, disputing_caller, twilio_api, voice
):
    token = new_agent(rt, "Fatima")
    page = browser.new_page()
    page.goto(f"{served_app}/agent/console")
    assert page.url == f"{served_app}/agent/login"
    page.get_by_label("Your agent token").fill(token)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(f"{served_app}/agent/console")
    assert page.locator("#agent-name").inner_text() == "Fatima"
    call = page.locator(f"#call-{disputing_caller.call_sid}")
    assert "the caller disputes the declared category" in call.locator(".reason").inner_text()
    assert "Amina FICTIF" in call.locator(".identity").inner_text()
    assert "•••• 4578" in call.locator(".identity").inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "agent-console-waiting-call.png"), full_page=True)
    call.locator("select[name=target]").select_option("completion.check_mobile")
    call.locator("select[name=language]").select_option("fr")
    call.get_by_role("button", name="Transfer").click()

    done = page.locator(".flash.done")
    done.wait_for()
    assert f"Call {disputing_caller.call_sid} sent to completion.check_mobile" in done.inner_text()
    assert page.locator("#no-calls").is_visible()
    assert "redirected" in page.locator("#recent").inner_text()
    screenshot = ARTIFACTS / "agent-console-after-transfer.png"
    page.screenshot(path=str(screenshot), full_page=True)
    print(f"screenshot: {screenshot}")

    follow_the_redirect(disputing_caller, twilio_api)
    assert voice.said(disputing_caller) == ["completion.confirm_mobile"]


def test_a_wrong_token_keeps_the_agent_on_the_login_page(served_app, browser, rt):
    new_agent(rt, "Fatima")
    page = browser.new_page()
    page.goto(f"{served_app}/agent/login")
    page.get_by_label("Your agent token").fill("agt_not-a-token")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "Unknown token" in alert.inner_text()
    page.goto(f"{served_app}/agent/console")
    assert page.url == f"{served_app}/agent/login"
