"""Synthetic people for load runs: deterministic, valid for the import, never confused with demo people."""

import pytest
from sqlalchemy import func, select

from ivr.factory import create_app
from ivr.registration import people, synthetic
from ivr.registration.mobiles import parse_moroccan_mobile
from ivr.simulator.testdata import demo_people, resolve
from ivr.store.models import PreRegistration
from ivr.web.extension import runtime_of


def test_a_synthetic_person_is_always_the_same():
    assert synthetic.person(12345) == synthetic.person(12345)
    assert synthetic.person(1) != synthetic.person(2)


@pytest.mark.parametrize("index", [0, 1, 4999, synthetic.MAX_PEOPLE - 1])
def test_a_synthetic_person_has_a_cin_a_mobile_and_a_category_the_import_accepts(index):
    found = synthetic.person(index)
    assert people.canonical_cin(found.cin) is not None and found.cin.startswith("SY")
    assert parse_moroccan_mobile(found.mobile) == found.mobile
    assert found.category in synthetic.CATEGORIES


def test_synthetic_cin_digits_never_are_a_demo_persons():
    demo_digits = {person.cin_digits for person in demo_people().values()}
    assert all(synthetic.person(i).cin_digits not in demo_digits for i in range(0, synthetic.MAX_PEOPLE, 997))
    assert len({synthetic.person(i).cin_digits for i in range(1000)}) == 1000


def test_a_scenario_person_synthetic_is_person_k_plus_i():
    assert resolve("synthetic", 42).cin == synthetic.person(42).cin
    assert resolve("synthetic", 42).birth_date == synthetic.person(42).born.strftime("%d%m%Y")


def test_numbers_outside_the_range_are_refused():
    with pytest.raises(ValueError, match="synthetic people are numbered 0 to"):
        synthetic.person(synthetic.MAX_PEOPLE)


@pytest.fixture
def app(tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/syn.sqlite3", "IVR_SECRET_KEY": "y" * 64})
    yield app
    runtime_of(app).store.dispose()


def test_load_synthetic_imports_people_start_to_start_plus_count_and_again_changes_nothing(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["registrations", "load-synthetic", "--count", "50", "--first-person", "1000"])
    again = runner.invoke(args=["registrations", "load-synthetic", "--count", "60", "--first-person", "1000"])
    assert first.exit_code == 0 and "imported: 50, updated: 0, unchanged: 0, rejected: 0" in first.output
    assert again.exit_code == 0 and "imported: 10, updated: 0, unchanged: 50, rejected: 0" in again.output
    with runtime_of(app).store.transaction() as db:
        assert db.scalar(select(func.count()).select_from(PreRegistration)) == 60


def test_load_synthetic_refuses_numbers_beyond_the_last_person(app):
    result = app.test_cli_runner().invoke(
        args=["registrations", "load-synthetic", "--count", "2", "--first-person", str(synthetic.MAX_PEOPLE - 1)]
    )
    assert result.exit_code == 2 and "numbered 0 to 999999" in result.output
