"""Helpers of the SMS tests: a hand-moved clock, registrations inserted by hand."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select

from ivr.runtime import Runtime
from ivr.sms.outbox import request_credentials
from ivr.store.db import Store
from ivr.store.models import PreRegistration, Registration, SmsOutbox
from tests.fakes import FakeClock, reference_data

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "delivery-test-token"
START = datetime(2021, 12, 1, 9, 0, 0)


def settings_for(api_base_url: str) -> dict:
    return {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": "CNSS",
        "TWILIO_API_BASE_URL": api_base_url,
        "PUBLIC_BASE_URL": "",
    }


def make_runtime(database_url: str, api_base_url: str) -> Runtime:
    """Build a runtime directly, on a fresh schema, as a worker process would."""
    store = Store(database_url)
    store.upgrade_schema()
    return Runtime(
        settings=settings_for(api_base_url), store=store, secret=b"k" * 32, **reference_data(), clock=FakeClock(START)
    )


def add_registration(runtime: Runtime, number: str = "123456789", mobile: str = "+212612345678") -> int:
    """Insert a completed registration by hand and return its id."""
    with runtime.store.transaction() as session:
        pre = PreRegistration(
            cin_key=f"cin-{number}",
            cin_digits_key=f"digits-{number}",
            birth_date_key="born",
            last_name="Alaoui",
            first_name="Sara",
            category="medecin",
            mobile=mobile,
            source="test",
            imported_at=START,
            updated_at=START,
        )
        session.add(pre)
        session.flush()
        registration = Registration(
            pre_registration_id=pre.id,
            number=number,
            mobile=mobile,
            language="fr",
            completed_at=START,
            completed_by_call="CA1",
        )
        session.add(registration)
        session.flush()
        return registration.id


def ask(runtime: Runtime, registration_id: int, key: str, language: str = "fr") -> str:
    """Request a credentials SMS the way a call step does, in its own transaction."""
    with runtime.store.transaction() as session:
        registration = session.get(Registration, registration_id)
        return request_credentials(session, registration.id, registration.mobile, language, key, runtime.now())


def sent_row(runtime: Runtime, sid: str = "SM" + "f" * 32) -> str:
    """Queue an SMS and mark it sent by hand with a known MessageSid; return the sid."""
    ask(runtime, add_registration(runtime), "CA1:1")
    with runtime.store.transaction() as session:
        row = session.scalars(select(SmsOutbox)).one()
        row.status, row.message_sid, row.sent_at = "sent", sid, START
    return sid


def password_in(body: str) -> str:
    """Find the password in an SMS body (10 letters and digits, with a digit and a capital)."""
    for token in re.findall(r"(?<![A-Za-z0-9])[A-Za-z0-9]{10}(?![A-Za-z0-9])", body):
        if re.search(r"[0-9]", token) and re.search(r"[A-Z]", token):
            return token
    raise AssertionError("no password in the SMS")


def rows(runtime: Runtime, model) -> list:
    """Return every row of a table, oldest first."""
    with runtime.store.transaction() as session:
        return session.scalars(select(model).order_by(model.id)).all()
