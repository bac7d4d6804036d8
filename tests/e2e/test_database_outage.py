"""The health check, and a server that starts while PostgreSQL is unreachable."""

import pytest
from sqlalchemy import event, func, select

from ivr.factory import create_app
from ivr.registration import registration_numbers
from ivr.registration.importer import import_liaison_list
from ivr.simulator.caller import SimulatedCaller
from ivr.store.models import CallEvent, NumberCounter, Registration, SmsOutbox
from ivr.web.extension import runtime_of
from tests.conftest import AMINA, PEOPLE_CSV
from tests.postgres import postgres_database
from tests.waiting import wait_until

from .conftest import Voice, choose, complete, identify
from .servers import TcpProxy


def test_the_health_check_says_ok_while_the_database_answers(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200 and response.get_json() == {"database": "ok"}


@pytest.mark.postgres
def test_a_server_started_while_postgresql_is_unreachable_apologises_then_works_once_it_is_back(settings):
    with postgres_database() as url:
        proxy = TcpProxy(url)  # not started yet: nothing listens where the server looks for PostgreSQL
        app = create_app({**settings, "DATABASE_URL": proxy.database_url(url)})
        rt, voice = runtime_of(app), Voice(runtime_of(app))
        try:
            health = app.test_client().get("/health")
            assert health.status_code == 503 and health.get_json() == {"database": "unreachable"}
            turn = SimulatedCaller.in_process(app).dial()
            assert turn.status == 200 and voice.text("error.apology", "fr") in [u.text for u in turn.heard]
            assert turn.dial is not None and turn.dial.number == app.config["ADVISOR_NUMBER"]

            proxy.start()
            wait_for_health(app)
            assert import_liaison_list(rt, PEOPLE_CSV.splitlines(keepends=True)).imported == 4
            turn = complete(SimulatedCaller.in_process(app, from_number=AMINA.mobile), AMINA)
            assert "Votre numéro d'immatriculation est" in turn.heard_text()
        finally:
            rt.store.dispose()
            proxy.close()


def wait_for_health(app) -> None:
    """Wait until the app's health check says ok: PostgreSQL is reachable again."""
    wait_until(lambda: app.test_client().get("/health").status_code == 200, "the health check to say ok")


@pytest.mark.postgres
def test_a_completion_cut_from_the_database_half_way_writes_nothing_and_its_number_goes_to_the_next_caller(settings):
    with postgres_database() as url, TcpProxy(url) as proxy:
        app = create_app({**settings, "DATABASE_URL": proxy.database_url(url)})
        rt, voice = runtime_of(app), Voice(runtime_of(app))
        try:
            import_liaison_list(rt, PEOPLE_CSV.splitlines(keepends=True))
            caller = SimulatedCaller.in_process(app, from_number=AMINA.mobile)
            choose(caller, "fr", "1")
            identify(caller, AMINA)
            caller.press("1")
            before = voice.session(caller)

            @event.listens_for(rt.store.engine, "before_cursor_execute")
            def cut_before_the_registration_row(_conn, _cursor, statement, *_args):
                # The number is taken already, in the same transaction: the database goes away now.
                if statement.startswith("INSERT INTO registrations"):
                    proxy.cut()

            turn = caller.press("1")
            event.remove(rt.store.engine, "before_cursor_execute", cut_before_the_registration_row)
            assert voice.text("error.apology", "fr") in [u.text for u in turn.heard]

            proxy.restore()
            wait_for_health(app)
            after = voice.session(caller)
            assert (after.seq, after.flow, after.state) == (before.seq, before.flow, before.state)
            with rt.store.transaction() as db:
                assert db.scalar(select(func.count()).select_from(Registration)) == 0
                assert db.scalar(select(func.count()).select_from(SmsOutbox)) == 0
                assert (
                    db.scalar(
                        select(func.count())
                        .select_from(CallEvent)
                        .where(CallEvent.call_session_id == after.id, CallEvent.seq == after.seq)
                    )
                    == 0
                )
                assert db.scalar(select(NumberCounter.next_value)) in (None, registration_numbers.FIRST)

            complete(SimulatedCaller.in_process(app, from_number=AMINA.mobile), AMINA)
            with rt.store.transaction() as db:
                [number] = db.scalars(select(Registration.number)).all()
            assert number == f"{registration_numbers.FIRST:08d}" + registration_numbers.luhn_digit(
                f"{registration_numbers.FIRST:08d}"
            )
        finally:
            rt.store.dispose()
