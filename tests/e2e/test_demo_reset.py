"""A demo store can be emptied and loaded again (never a campaign's store), and synthetic people made fresh again
so that a load run plays the same twice in a row."""

import re
from datetime import timedelta

import yaml
from sqlalchemy import func, select

from ivr import settings
from ivr.registration import people as digests
from ivr.registration import synthetic
from ivr.settings import PROJECT_DIR
from ivr.store.agent_models import Agent
from ivr.store.models import CallSession, FailedCheck, Lockout, PreRegistration, Registration
from ivr.web.extension import runtime_of
from tests.agent_support import new_agent
from tests.conftest import AUTH_TOKEN, Person

from .conftest import complete

LOAD_SCENARIO = PROJECT_DIR / "scenarios" / "load" / "complete_registration.yaml"
LEILA = Person("100116", "12051987", "opticien", "+212600000116")  # the quick start's demo person
QUICK_START_CIN = "ZS100116"


def invoke(app, *args):
    return app.test_cli_runner().invoke(args=[str(arg) for arg in args])


def count(app, model) -> int:
    with runtime_of(app).store.transaction() as db:
        return db.scalar(select(func.count()).select_from(model))


def test_reset_demo_empties_calls_registrations_and_agents_and_loads_the_demo_people_again(app, rt, phone):
    assert invoke(app, "registrations", "load-demo").exit_code == 0
    complete(phone("+212600000116"), LEILA)
    new_agent(rt)
    assert (count(app, Registration), count(app, CallSession), count(app, Agent)) == (1, 1, 1)
    result = invoke(app, "registrations", "reset-demo", "--yes")
    assert result.exit_code == 0, result.output
    assert "emptied the store: " in result.output and "imported: 16, updated: 0" in result.output
    assert (count(app, Registration), count(app, CallSession), count(app, Agent)) == (0, 0, 0)
    assert count(app, PreRegistration) == 16


def test_reset_demo_needs_no_yes_on_the_demo_database(app, rt, monkeypatch):
    monkeypatch.setitem(settings.DEFAULTS, "DATABASE_URL", rt.settings["DATABASE_URL"])  # as if it were the demo's
    new_agent(rt)
    result = invoke(app, "registrations", "reset-demo")
    assert result.exit_code == 0, result.output
    assert (count(app, Agent), count(app, PreRegistration)) == (0, 16)


def test_reset_demo_refuses_a_database_other_than_the_demo_file_without_yes(app):
    assert invoke(app, "registrations", "load-demo").exit_code == 0
    result = invoke(app, "registrations", "reset-demo")
    assert result.exit_code == 2
    assert "not the demo's SQLite file: add --yes to empty that database" in result.output
    assert count(app, PreRegistration) == 16


def test_reset_demo_never_empties_a_store_holding_people_of_another_list_even_with_yes(app, people):
    assert invoke(app, "registrations", "load-demo").exit_code == 0
    result = invoke(app, "registrations", "reset-demo", "--yes")
    assert result.exit_code == 4
    assert "not emptied: it holds people of 4 other list(s)" in result.output
    assert count(app, PreRegistration) == 4 + 16


def test_the_quick_start_person_is_typed_in_the_readme_and_played_by_no_shipped_scenario():
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    assert f"`{LEILA.cin_digits}#`, `{LEILA.birth}`" in readme
    played = {
        (yaml.safe_load(path.read_text(encoding="utf-8")).get("caller") or {}).get("person")
        for path in (PROJECT_DIR / "scenarios").rglob("*.yaml")
    }
    assert QUICK_START_CIN not in played
    assert not re.search(
        rf"\b{LEILA.cin_digits}\b", " ".join(p.read_text() for p in PROJECT_DIR.glob("scenarios/**/*.yaml"))
    )


def load_run(app, url, callers: int) -> str:
    result = invoke(
        app, "replay", LOAD_SCENARIO, "--url", url, "--auth-token", AUTH_TOKEN, "--callers", callers, "--concurrency", 2
    )
    return result.output.splitlines()[1]  # callers: N, completed: N, failed: N, errors: N


def test_a_load_run_after_load_synthetic_fresh_gives_the_same_result_twice_in_a_row(app, served_app):
    results = []
    for _ in range(2):
        loaded = invoke(app, "registrations", "load-synthetic", "--count", 5, "--first-person", 0, "--fresh")
        assert loaded.exit_code == 0, loaded.output
        results.append(load_run(app, served_app, 5))
    assert results == ["callers: 5, completed: 5, failed: 0, errors: 0"] * 2
    assert "made fresh: 5 registrations, 0 failed checks and 0 lockouts removed" in loaded.output


def test_loading_registered_synthetic_people_again_without_fresh_says_a_load_run_would_fail_for_them(app, served_app):
    assert invoke(app, "registrations", "load-synthetic", "--count", 3).exit_code == 0
    load_run(app, served_app, 2)
    again = invoke(app, "registrations", "load-synthetic", "--count", 3)
    assert again.exit_code == 0
    assert "2 of them completed a registration already: a load run fails for them (add --fresh" in again.output
    assert load_run(app, served_app, 2) == "callers: 2, completed: 0, failed: 2, errors: 0"


def test_fresh_removes_the_failed_checks_and_lockouts_of_those_synthetic_people_only(app, rt, clock):
    assert invoke(app, "registrations", "load-synthetic", "--count", 3, "--first-person", 10).exit_code == 0
    now = clock.now
    mine, other = synthetic.person(11), synthetic.person(20)
    with rt.store.transaction() as db:
        for person in (mine, other):
            key = digests.cin_digits_key(rt.secret, digests.typed_cin_digits(person.cin_digits))
            db.add(FailedCheck(cin_digits_key=key, from_number="+212600000198", call_sid="CA1", at=now))
            db.add(FailedCheck(cin_digits_key="k" * 64, from_number=person.mobile, call_sid="CA1", at=now))
            db.add(Lockout(kind="cin", key=key, locked_until=now + timedelta(hours=23), created_at=now))
            db.add(Lockout(kind="caller", key=person.mobile, locked_until=now + timedelta(hours=23), created_at=now))
    result = invoke(app, "registrations", "load-synthetic", "--count", 3, "--first-person", 10, "--fresh")
    assert "made fresh: 0 registrations, 2 failed checks and 2 lockouts removed" in result.output
    assert (count(app, FailedCheck), count(app, Lockout)) == (2, 2)  # person 20's


def test_load_synthetic_still_takes_start_for_the_first_person_and_says_it_is_deprecated(app):
    result = invoke(app, "registrations", "load-synthetic", "--count", 2, "--start", 7)
    assert result.exit_code == 0
    assert "deprecated. Use --first-person instead." in result.output
    assert "imported: 2, " in result.output
