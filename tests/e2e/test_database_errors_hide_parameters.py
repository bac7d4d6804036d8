"""A database error in a webhook is logged with its statement, never with its parameters (calling numbers, digests)."""

import logging

import pytest
from sqlalchemy import select

from ivr.registration import people as people_module
from ivr.store.db import make_engine
from ivr.store.models import PreRegistration

from .conftest import choose, identify

CALLING_NUMBER = "+212699887766"
WRONG_BIRTH = "01011980"
REFUSE_FAILED_CHECKS = {
    "sqlite": [
        "CREATE TRIGGER refuse_failed_checks BEFORE INSERT ON failed_checks "
        "BEGIN SELECT RAISE(ABORT, 'failed checks refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_failed_checks() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'failed checks refused by the test'; END $$",
        "CREATE TRIGGER refuse_failed_checks BEFORE INSERT ON failed_checks "
        "FOR EACH ROW EXECUTE FUNCTION refuse_failed_checks()",
    ],
}


@pytest.fixture
def store_url(each_empty_database):
    """Run on SQLite, then on PostgreSQL (the app migrates the empty database)."""
    return each_empty_database


def refuse_failed_checks(rt) -> None:
    """Make every insert of a failed check fail in the database itself."""
    with rt.store.engine.begin() as connection:
        for statement in REFUSE_FAILED_CHECKS[connection.dialect.name]:
            connection.exec_driver_sql(statement)


def test_a_failing_insert_during_a_call_is_logged_without_the_calling_number_or_the_digest(
    people, phone, voice, rt, caplog
):
    amina = people["amina"]
    refuse_failed_checks(rt)
    caller = phone(CALLING_NUMBER)
    choose(caller, "fr", "1")
    caplog.clear()
    caplog.set_level(logging.INFO)
    turn = identify(caller, amina, WRONG_BIRTH)  # a failed check: its insert fails

    assert voice.heard(turn, "error.apology")
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert failures and "webhook /voice/step failed" in failures[0].getMessage()
    logged = caplog.text
    assert "failed checks refused by the test" in logged and "INSERT INTO failed_checks" in logged
    digest = people_module.cin_digits_key(rt.secret, people_module.typed_cin_digits(amina.cin_digits))
    assert CALLING_NUMBER not in logged and CALLING_NUMBER[4:] not in logged
    assert "SQL parameters hidden" in logged
    assert digest not in logged
    with rt.store.transaction() as db:  # the digest looked for is the one the insert carried
        assert digest in db.scalars(select(PreRegistration.cin_digits_key)).all()


def test_every_engine_of_the_store_hides_statement_parameters(store_url):
    engine = make_engine(store_url)
    try:
        assert engine.hide_parameters
    finally:
        engine.dispose()
