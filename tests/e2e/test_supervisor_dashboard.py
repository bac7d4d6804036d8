"""The supervisors' dashboard in a real headless browser (Debian's chromium driven by Playwright), after a known mix of
simulated calls: the numbers on the page and in its charts are the mix's, the live calls update by themselves, a
flow is drawn with its numbers, an agent is refused, and nothing breaks the page's Content-Security-Policy.

Screenshots of the dashboard (French and Arabic, 390 and 1,920 px) and of a drawn flow go to tests/artifacts/.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from ivr.agents import accounts
from ivr.reports.campaign import Period
from ivr.reports.flow_counts import flow_counts
from tests.agent_support import new_agent
from tests.e2e.conftest import choose
from tests.e2e.test_reports import DROPOFF, REASONS, STAGES, mix  # noqa: F401 (mix: the calls played, a fixture)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1920, "height": 1080}
LIVE_MS = 3_500  # the live calls are polled every 2 s (and a little for a busy machine)

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


def refused(message) -> bool:
    """Tell whether a console message is an error of the page (a CSP refusal, a script's), not a status it was sent."""
    return message.type == "error" and not message.text.startswith("Failed to load resource")


@pytest.fixture
def open_page(browser):
    """Open a page as a supervisor's browser would (its language, its screen); every page is checked for CSP
    refusals and script errors."""
    problems = []

    def open_(locale: str = "fr-FR", viewport: dict = DESKTOP):
        context = browser.new_context(locale=locale, viewport=viewport)
        page = context.new_page()
        page.on("console", lambda message: problems.append(message.text) if refused(message) else 0)
        page.on("pageerror", lambda error: problems.append(str(error)))
        return page

    yield open_
    assert problems == [], f"the page had errors (a CSP refusal, a script's failure): {problems}"


def supervisor_token(rt) -> str:
    return accounts.create_agent(rt, "Nadia", accounts.SUPERVISOR)[1]


def sign_in(page, served_app: str, token: str, label: str = "Votre jeton d'agent", button: str = "Se connecter"):
    page.goto(f"{served_app}/agent/login")
    page.get_by_label(label).fill(token)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"{served_app}/agent/console")


def screenshots(page, name: str, widths=(("390", PHONE), ("1920", DESKTOP))):
    """Save the page at each width (full length), and check that a phone never scrolls sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    for label, viewport in widths:
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # Chart.js redraws its canvases at the new size on the next frames
        if label == "390":
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name}: {overflow} px of horizontal scroll at 390 px"
        page.screenshot(path=str(ARTIFACTS / f"supervisor-{name}-{label}.png"), full_page=True)


def counts_of(page, table: str) -> dict[str, list[str]]:
    """Return a report table's rows on the page: its key (data-key) and its count cells as shown."""
    rows = page.locator(f"#table-{table} tbody tr[data-key]")
    return {
        rows.nth(i).get_attribute("data-key"): rows.nth(i).locator("td.count").all_inner_texts()
        for i in range(rows.count())
    }


def chart_data(page, canvas: str) -> list[list[int]]:
    """Return the numbers a chart was drawn with, by its canvas (an id, or a CSS selector)."""
    selector = canvas if canvas.startswith("#") else f"#{canvas}"
    return page.evaluate(f"Chart.getChart(document.querySelector('{selector}')).data.datasets.map(d => d.data)")


@pytest.mark.usefixtures("mix")
def test_a_supervisor_sees_the_mix_of_calls_counted_charted_and_the_live_calls_update_by_themselves(
    served_app, open_page, rt, app, phone
):
    page = open_page()
    sign_in(page, served_app, supervisor_token(rt))
    answer = page.goto(f"{served_app}/supervisor/")
    assert answer.status == 200
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "style-src 'self'" in policy
    sent = answer.text()  # as the server sent it (Chart.js then sizes its canvases through the CSSOM)
    assert " style=" not in sent and "<style" not in sent
    assert re.findall(r"<script(?! src=)[^>]*>", sent) == ['<script type="application/json" id="dashboard-data">']
    assert page.locator("html").get_attribute("lang") == "fr"

    # The headline and the funnel, today and over the period (the last 7 days): the mix's numbers.
    assert page.locator("#today-calls").inner_text() == "8" and page.locator("#today-completed").inner_text() == "2"
    assert page.locator("#period-calls").inner_text() == "8" and page.locator("#period-completed").inner_text() == "2"
    funnel = page.locator("#table-funnel-both tbody tr")
    shown = {
        funnel.nth(i).get_attribute("data-key"): (
            funnel.nth(i).locator("td.today").inner_text(),
            funnel.nth(i).locator("td.period").inner_text(),
        )
        for i in range(funnel.count())
    }
    assert shown == {stage: (str(calls), str(calls)) for stage, calls in STAGES}
    assert "immatriculation finalisée" in page.locator("#table-funnel-both").inner_text()
    assert chart_data(page, "chart-funnel") == [[calls for _, calls in STAGES]] * 2

    # The same counts as the CLI gives for the same period.
    cli = json.loads(
        app.test_cli_runner().invoke(args=["report", "funnel", "--since", "7d", "--format", "json"]).output
    )
    assert [int(period) for _, period in shown.values()] == [stage["calls"] for stage in cli["stages"]]

    # Why calls were sent to advisors, SMS, where calls ended, disputes, lockouts, calls per day.
    assert counts_of(page, "transfers") == {reason: [str(n)] for reason, n in REASONS.items()}
    assert "l'appelant conteste la catégorie déclarée" in page.locator("#table-transfers").inner_text()
    assert sorted(chart_data(page, "chart-transfers")[0]) == sorted(REASONS.values())
    sms = counts_of(page, "sms")
    assert (sms["delivered"][0], sms["sent"][0], sms["failed"][0]) == ("1", "1", "0")
    assert chart_data(page, "chart-sms") == [[0, 1, 1, 0, 0, 0]]
    assert counts_of(page, "dropoff") == {
        state: [str(counts[kind]) for kind in ("hung up", "timed out", "transferred", "finished")]
        for state, counts in DROPOFF.items()
    }
    assert counts_of(page, "disputes") == {"cpu": ["1"]}
    assert "contribution professionnelle unique" in page.locator("#table-disputes").inner_text()
    assert counts_of(page, "lockouts") == {"CIN": ["1"]}
    assert counts_of(page, "hours") == {"2026-11-25": ["8", "2", "3", "2"]}  # 7 days: per day
    assert chart_data(page, "chart-hours") == [[8], [2], [3], [2]]
    expect(page.locator("#table-live tbody td[colspan]")).to_have_text("Aucun appel en cours.")
    screenshots(page, "dashboard-fr")

    # A call starts while the page is open: the live calls show it by themselves, no reload.
    caller = phone("+212600000019")
    choose(caller, "fr")
    live = page.locator("#table-live tbody tr[data-key='menu.choose'] td.count")
    expect(live).to_have_text("1", timeout=LIVE_MS)
    expect(page.locator("#live-total")).to_have_text("Appels en cours : 1")
    expect(page.locator("#live-news")).to_have_text("Appels en cours : 1")
    assert chart_data(page, "#live [data-chart] canvas") == [[1]]
    caller.hangup()
    expect(page.locator("#table-live tbody td[colspan]")).to_have_text("Aucun appel en cours.", timeout=LIVE_MS)

    # A period chosen in the form: one day, so per hour (Casablanca's 11:00 is the fixed clock's 10:00 UTC). The
    # call that just hung up at the menu counts now: 9 calls, 3 hung up.
    page.get_by_label("Du (heure de Casablanca)").fill("2026-11-25T00:00")
    page.get_by_label("Au (vide : maintenant)").fill("2026-11-26T00:00")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"since=2026-11-25T00%3A00"))
    assert counts_of(page, "hours") == {"2026-11-25 11:00": ["9", "2", "3", "3"]}
    assert page.locator("#period-calls").inner_text() == "9"
    assert page.locator("#period-words").inner_text() == (
        "Période choisie : appels commencés du 25 nov. 00:00 à 26 nov. 00:00."
    )
    href = page.locator("#table-transfers").locator("xpath=../following-sibling::p[1]/a").get_attribute("href")
    download = page.request.get(f"{served_app}{href}")  # the table's CSV, for the same period
    assert "attachment" in download.headers["content-disposition"]
    assert sorted(csv.reader(io.StringIO(download.text()))) == sorted(
        [["reason", "calls"], *([reason, str(n)] for reason, n in REASONS.items())]
    )

    page.get_by_label("Au (vide : maintenant)").fill("2026-11-25T10:00")  # before the calls (11:00)
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"until=2026-11-25T10%3A00"))
    assert page.locator("#period-calls").inner_text() == "0"
    assert page.locator("#today-calls").inner_text() == "9"  # today is today, whatever the period


@pytest.mark.usefixtures("mix")
def test_the_dashboard_in_arabic_is_right_to_left_with_the_same_numbers(served_app, open_page, rt):
    page = open_page(locale="ar-MA")
    sign_in(page, served_app, supervisor_token(rt), "رمز الوكيل الخاص بك", "تسجيل الدخول")
    page.goto(f"{served_app}/supervisor/")
    assert page.locator("html").get_attribute("lang") == "ar" and page.locator("html").get_attribute("dir") == "rtl"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.locator("h1").inner_text() == "الحملة في لمحة"
    assert page.locator("#today-calls").inner_text() == "8" and page.locator("#period-completed").inner_text() == "2"
    assert "إتمام التسجيل" in page.locator("#table-funnel-both").inner_text()
    assert counts_of(page, "transfers") == {reason: [str(n)] for reason, n in REASONS.items()}
    assert "يعترض المتصل على الفئة المصرح بها" in page.locator("#table-transfers").inner_text()
    assert chart_data(page, "chart-funnel") == [[calls for _, calls in STAGES]] * 2
    # The charts read right to left too: the bars grow leftwards, the counts' axis is on the right.
    assert page.evaluate("Chart.getChart(document.getElementById('chart-funnel')).options.scales.x.reverse") is True
    screenshots(page, "dashboard-ar")

    page.get_by_role("link", name="Français").click()  # the same page, in French, its period kept
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("h1").inner_text() == "La campagne en un coup d'œil"


@pytest.mark.usefixtures("mix")
def test_a_flow_is_drawn_with_the_periods_numbers(served_app, open_page, rt):
    if not shutil.which("dot"):
        pytest.skip("Graphviz's dot is not installed: apt-get install graphviz")
    page = open_page()
    sign_in(page, served_app, supervisor_token(rt))
    page.goto(f"{served_app}/supervisor/")
    page.locator("#flows-title + ul").get_by_role("link").filter(has_text="identit").first.click()
    page.wait_for_url(re.compile(r"/supervisor/flows/identity\?"))
    drawing = page.locator("#flow-drawing")
    expect(drawing).to_be_visible()
    page.wait_for_function("document.getElementById('flow-drawing').complete")
    assert page.evaluate("document.getElementById('flow-drawing').naturalWidth") > 300  # the SVG was drawn
    svg = page.request.get(f"{served_app}{drawing.get_attribute('src')}")
    assert svg.status == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    asked = flow_counts(rt, Period()).states["identity.ask_cin"]
    assert asked == 7 and "7 calls" in svg.text()  # the period's calls through the CIN question
    screenshots(page, "flow-identity", widths=(("1920", DESKTOP),))
    size = page.evaluate(
        "[document.getElementById('flow-drawing').naturalWidth, document.getElementById('flow-drawing').naturalHeight]"
    )
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.goto(f"{served_app}{drawing.get_attribute('src')}")  # the drawing alone, whole
    page.screenshot(path=str(ARTIFACTS / "supervisor-flow-identity-drawing.png"))


def test_an_agent_who_opens_the_dashboard_is_told_in_words_it_is_for_supervisors(served_app, open_page, rt):
    token = new_agent(rt, "Fatima")
    page = open_page()
    sign_in(page, served_app, token)
    answer = page.goto(f"{served_app}/supervisor/")
    assert answer.status == 403
    expect(page.get_by_role("alert")).to_contain_text("Ces pages sont réservées aux superviseurs")
    page.get_by_role("link", name="Retour à la file d'attente").click()
    page.wait_for_url(f"{served_app}/agent/console")
