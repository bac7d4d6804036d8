"""`registrations list` and `calls list`: a tester finds a person or a call to look at or export, masked."""

import pytest

from ivr.callflow.calls import call_reference
from ivr.cli.call_export import calls
from ivr.cli.registrations import registrations
from tests.agent_support import AgentApi, new_agent, reach_the_advisor
from tests.conftest import AMINA

from .conftest import choose, complete


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(group, *args):
        result = runner.invoke(group, list(args))
        assert result.exit_code == 0, result.output
        return result.output

    return invoke


def lines_with(output, text):
    return [line for line in output.splitlines() if text in line]


# registrations list


def test_registrations_list_shows_each_person_with_category_masked_mobile_and_whether_registered(run, phone, people):
    complete(phone("+212600100200"), AMINA)
    output = run(registrations, "list")
    [amina] = lines_with(output, "Amina FICTIF")
    assert "Médecins (medecin)" in amina and "•••• 4578" in amina
    number = amina.split()[-1]
    assert number.isdigit()
    [youssef] = lines_with(output, "Youssef EXEMPLE")
    assert youssef.endswith("pending") and "none" in youssef
    assert "4 shown; 4 pre-registered: 1 registered, 3 pending" in output


def test_registrations_list_never_shows_a_cin_a_birth_date_or_a_whole_mobile(run, people):
    output = run(registrations, "list")
    for secret in ("734591", "AB734591", "1975", "14031975", "661234578", "582937", "1982-11-02"):
        assert secret not in output


def test_registrations_list_can_keep_to_the_registered_or_the_pending_and_to_a_limit(run, phone, people):
    complete(phone("+212600100200"), AMINA)
    registered = run(registrations, "list", "--registered")
    assert lines_with(registered, "Amina") and not lines_with(registered, "Youssef")
    pending = run(registrations, "list", "--pending")
    assert not lines_with(pending, "Amina") and lines_with(pending, "Youssef")
    limited = run(registrations, "list", "--limit", "2")
    assert "2 shown; 4 pre-registered" in limited and len(limited.splitlines()) == 4


def test_registrations_list_says_how_to_load_people_when_there_are_none(run):
    assert "registrations load-demo" in run(registrations, "list")


# calls list


def test_calls_list_shows_the_latest_calls_first_with_reference_and_casablanca_time(run, phone, clock, people):
    first = phone("+212600111222")
    choose(first, "fr", "2")
    clock.advance(minutes=5)
    second = phone("+212600333444")
    choose(second, "ar")
    output = run(calls, "list")
    header, newest, older = output.splitlines()[:3]
    assert "started (Africa/Casablanca)" in header
    assert newest.startswith(call_reference(second.call_sid)) and second.call_sid in newest
    assert older.startswith(call_reference(first.call_sid)) and first.call_sid in older
    assert "2026-11-25 11:05:00" in newest and "2026-11-25 11:00:00" in older  # 10:00 UTC is 11:00 there
    assert " ar " in newest and " fr " in older
    assert "•••• 3444" in newest and "+212600333444" not in output
    assert "in progress at info.choose" in older


def test_calls_list_says_a_call_is_with_the_advisors_and_why(run, phone, twilio_api, people):
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    [line] = lines_with(run(calls, "list"), caller.call_sid)
    assert "with the advisors from menu.choose (the caller asked for an advisor)" in line


def test_calls_list_says_a_call_ended_and_where_an_agent_sent_it(app, rt, run, phone, twilio_api, people):
    caller = phone("+212600123456")
    reach_the_advisor(caller, twilio_api)
    AgentApi(app, new_agent(rt)).transfer(caller.call_sid, target="menu", language="fr")
    caller.hangup()
    [line] = lines_with(run(calls, "list"), caller.call_sid)
    assert (
        "ended at menu.choose; was transferred to the advisors from menu.choose (the caller asked for an advisor)"
        in line
    )
    assert "an agent sent it to menu.choose" in line


def test_calls_list_keeps_to_a_limit_and_to_the_calls_since_a_time(run, phone, clock):
    old = phone("+212600111222")
    old.dial()
    clock.advance(hours=3)
    recent = [phone(f"+21260011122{n}") for n in range(3)]
    for caller in recent:
        caller.dial()
    assert len(run(calls, "list", "--limit", "2").splitlines()) == 3
    since = run(calls, "list", "--since", "2h")
    assert old.call_sid not in since and all(caller.call_sid in since for caller in recent)
    assert old.call_sid in run(calls, "list", "--since", "2026-11-25 10:30")


def test_calls_list_refuses_a_since_it_cannot_read(app):
    result = app.test_cli_runner().invoke(calls, ["list", "--since", "yesterday"])
    assert result.exit_code == 2 and "30m, 2h, 1d" in result.output


def test_calls_list_says_when_there_are_no_calls(run):
    assert "no calls yet" in run(calls, "list")


# calls export by reference


def test_calls_export_takes_a_calls_reference_as_well_as_its_callsid(run, phone, people):
    caller = phone("+212600123456")
    choose(caller, "fr", "2")
    caller.hangup()
    by_reference = run(calls, "export", call_reference(caller.call_sid).lower())
    assert by_reference == run(calls, "export", caller.call_sid)
    assert "info.choose" in by_reference


def test_calls_export_of_an_unknown_reference_says_there_is_no_such_call(app):
    result = app.test_cli_runner().invoke(calls, ["export", "ZZZ-ZZZ"])
    assert result.exit_code == 1 and "no call ZZZ-ZZZ in the audit trail" in result.output
