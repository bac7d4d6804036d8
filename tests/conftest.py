"""Shared fixtures: an app on a fresh SQLite store, a fixed clock, Twilio's API stand-in, callers."""

from __future__ import annotations

from datetime import datetime

import pytest

from ivr.factory import create_app
from ivr.registration.importer import import_liaison_list
from ivr.simulator.caller import SimulatedCaller
from ivr.simulator.twilio_stand_in import TwilioApiStandIn
from ivr.sms import outbox
from ivr.web.extension import runtime_of
from tests.databases import each_empty_database, migrated_template, store_url  # noqa: F401 (fixtures)
from tests.fakes import FakeClock
from tests.serving import serving

ACCOUNT_SID = "AC" + "1" * 32
AUTH_TOKEN = "test-auth-token"
# A Wednesday, 11:00 in Casablanca: advisors answer.
OPEN_HOURS = datetime(2026, 11, 25, 10, 0)

# Invented people. CINs and birth dates are chosen so that no other stored value contains them.
PEOPLE_CSV = """cin,last_name,first_name,birth_date,category,mobile,source
AB734591,FICTIF,Amina,1975-03-14,medecin,06 61 23 45 78,Conseil de l'ordre (test)
CD582937,EXEMPLE,Youssef,1982-11-02,cpu,,DGI (test)
EF691842,ESSAI,Salma,1988-06-15,auto_entrepreneur,+212 7 71 98 76 54,Auto-entrepreneur (test)
GH473829,MAQUETTE,Mehdi,1968-07-30,commercant_comptable,0662334455,Chambre de commerce (test)
"""


class Person:
    """A test person: what they type on the keypad, and what is on file."""

    def __init__(self, cin_digits: str, birth_ddmmyyyy: str, category: str, mobile: str | None):
        self.cin_digits, self.birth, self.category, self.mobile = cin_digits, birth_ddmmyyyy, category, mobile


AMINA = Person("734591", "14031975", "medecin", "+212661234578")
YOUSSEF = Person("582937", "02111982", "cpu", None)
SALMA = Person("691842", "15061988", "auto_entrepreneur", "+212771987654")
MEHDI = Person("473829", "30071968", "commercant_comptable", "+212662334455")


@pytest.fixture
def clock():
    return FakeClock(OPEN_HOURS)


@pytest.fixture
def twilio_api():
    with TwilioApiStandIn(ACCOUNT_SID, AUTH_TOKEN) as stand_in:
        yield stand_in


@pytest.fixture
def settings(store_url, clock, twilio_api):  # noqa: F811 (store_url is the fixture imported above)
    return {
        "TESTING": True,
        "DATABASE_URL": store_url,
        "IVR_SECRET_KEY": "test-secret-" + "k" * 52,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_BASE_URL": twilio_api.base_url,
        "IVR_SMS_SENDER": "off",
        "CLOCK": clock,
    }


@pytest.fixture
def app(settings):
    app = create_app(settings)
    yield app
    sender = runtime_of(app).extras.get("sms_sender")
    if sender is not None:  # before the test's database goes away
        sender.stop()
    runtime_of(app).store.dispose()


@pytest.fixture
def rt(app):
    return runtime_of(app)


@pytest.fixture
def people(rt):
    report = import_liaison_list(rt, PEOPLE_CSV.splitlines(keepends=True))
    assert report.errors == [] and report.imported == 4
    return {"amina": AMINA, "youssef": YOUSSEF, "salma": SALMA, "mehdi": MEHDI}


@pytest.fixture
def served_app(app):
    """Serve the app over HTTP on 127.0.0.1; return its base URL."""
    with serving(app) as base_url:
        yield base_url


@pytest.fixture
def phone(app):
    """Return a factory of simulated callers of the app, by calling number."""

    def call(from_number: str = "+212600111222") -> SimulatedCaller:
        return SimulatedCaller.in_process(app, from_number=from_number)

    return call


@pytest.fixture
def deliver_sms(rt, twilio_api):
    """Run the SMS sender once and return every SMS the stand-in received so far."""

    def deliver() -> list[dict]:
        outbox.send_pending(rt, rt.catalog)
        return twilio_api.messages_to()

    return deliver
