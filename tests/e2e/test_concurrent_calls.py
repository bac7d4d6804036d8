"""Calls at once, and calls whose webhooks reach different server processes, share one store safely."""

import itertools

import pytest
from sqlalchemy import select

from ivr.factory import create_app
from ivr.registration import registration_numbers
from ivr.registration.importer import import_liaison_list
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.transports import FlaskTransport
from ivr.store.models import Registration
from ivr.web.extension import runtime_of
from tests.concurrency import all_at_once
from tests.conftest import AMINA, PEOPLE_CSV

from .conftest import choose, identify

CALLERS = 20


@pytest.fixture
def shared_app(settings, each_empty_database):
    app = create_app({**settings, "DATABASE_URL": each_empty_database})
    yield app
    runtime_of(app).store.dispose()


def crowd_csv(count: int) -> list[str]:
    """Return a liaison list of invented doctors with CIN digits 900000+i, born on 01/01/1980."""
    rows = [f"XY{900000 + i},CROWD,Person{i},1980-01-01,medecin,06{10000000 + i},test\n" for i in range(count)]
    return [PEOPLE_CSV.splitlines(keepends=True)[0], *rows]


def registrations(app):
    with runtime_of(app).store.transaction() as db:
        return list(db.scalars(select(Registration)))


def test_many_callers_completing_at_once_get_distinct_valid_numbers(shared_app):
    report = import_liaison_list(runtime_of(shared_app), crowd_csv(CALLERS))
    assert report.imported == CALLERS

    def complete(i):
        caller = SimulatedCaller.in_process(shared_app, from_number=f"+2126200000{i:02d}")
        choose(caller, "fr", "1")
        caller.press(f"{900000 + i}#")
        caller.press("01011980")
        caller.press("1")
        turn = caller.press("1")
        assert "Votre numéro d'immatriculation est" in turn.heard_text()

    all_at_once([lambda i=i: complete(i) for i in range(CALLERS)])
    found = registrations(shared_app)
    assert len(found) == CALLERS
    assert len({r.number for r in found}) == CALLERS and all(registration_numbers.is_valid(r.number) for r in found)


def test_two_calls_of_one_person_completing_at_once_make_one_registration(shared_app):
    import_liaison_list(runtime_of(shared_app), PEOPLE_CSV.splitlines(keepends=True))
    callers = [SimulatedCaller.in_process(shared_app, from_number=f"+21262000010{i}") for i in range(2)]
    for caller in callers:
        choose(caller, "fr", "1")
        identify(caller, AMINA)
        caller.press("1")
    turns = {}
    all_at_once([lambda c=c: turns.update({c.call_sid: c.press("1")}) for c in callers])
    [registration] = registrations(shared_app)
    heard = sorted(turn.heard_text() for turn in turns.values())
    assert registration_numbers.is_valid(registration.number)
    assert sum("déjà finalisée" in text for text in heard) == 1  # the second is told it is already done


class AlternatingTransport:
    """Send each request of a call to the next of several app instances, as a load balancer may."""

    def __init__(self, apps, base_url="http://localhost"):
        self.transports = itertools.cycle([FlaskTransport(app, base_url) for app in apps])

    def send(self, method, url, params, headers):
        return next(self.transports).send(method, url, params, headers)


def test_a_call_whose_webhooks_alternate_between_two_server_processes_completes(
    shared_app, settings, each_empty_database
):
    other_process = create_app({**settings, "DATABASE_URL": each_empty_database})
    import_liaison_list(runtime_of(shared_app), PEOPLE_CSV.splitlines(keepends=True))
    caller = SimulatedCaller(
        AlternatingTransport([shared_app, other_process]),
        base_url="http://localhost",
        auth_token=settings["TWILIO_AUTH_TOKEN"],
        account_sid=settings["TWILIO_ACCOUNT_SID"],
    )
    choose(caller, "fr", "1")
    identify(caller, AMINA)
    caller.press("1")
    turn = caller.press("1")
    [registration] = registrations(shared_app)
    assert registration.mobile == AMINA.mobile and turn.gather is not None
    caller.wait()
    assert caller.ended
    runtime_of(other_process).store.dispose()
