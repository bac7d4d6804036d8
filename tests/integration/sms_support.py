"""Helpers of the SMS tests: a hand-moved clock, registrations inserted by hand, throwaway databases."""
from __future__ import annotations

import os
import re
import secrets
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Iterator

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from ivr.db import Store
from ivr.models import PreRegistration, Registration, SmsOutbox
from ivr.runtime import Runtime
from ivr.sms import request_credentials

ACCOUNT_SID = "AC" + "2" * 32
AUTH_TOKEN = "delivery-test-token"
START = datetime(2021, 12, 1, 9, 0, 0)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def settings_for(api_base_url: str) -> dict:
    return {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "TWILIO_SMS_FROM": "CNSS",
            "TWILIO_API_BASE_URL": api_base_url, "PUBLIC_BASE_URL": ""}


def make_runtime(database_url: str, api_base_url: str) -> Runtime:
    """Build a runtime directly, on a fresh schema, as a worker process would."""
    store = Store(database_url)
    store.create_schema()
    return Runtime(settings=settings_for(api_base_url), store=store, secret=b"k" * 32, clock=Clock(START))


# The PostgreSQL server of this project's machines (trust auth); TEST_POSTGRES_URL points elsewhere.
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def postgres_database() -> Iterator[str]:
    """Create a throwaway database on TEST_POSTGRES_URL's server and yield its URL (skip without one)."""
    server_url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    if not server_url:
        pytest.skip("TEST_POSTGRES_URL is empty: PostgreSQL tests are switched off")
    name = "ivr_sms_" + secrets.token_hex(4)
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except OperationalError as error:
        admin.dispose()
        pytest.skip(f"PostgreSQL of TEST_POSTGRES_URL unreachable: {error.orig}")
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


def add_registration(runtime: Runtime, number: str = "123456789", mobile: str = "+212612345678") -> int:
    """Insert a completed registration by hand and return its id."""
    with runtime.store.transaction() as session:
        pre = PreRegistration(cin_key=f"cin-{number}", cin_digits_key=f"digits-{number}",
                              birth_date_key="born", last_name="Alaoui", first_name="Sara", category="medecin",
                              mobile=mobile, source="test", imported_at=START, updated_at=START)
        session.add(pre)
        session.flush()
        registration = Registration(pre_registration_id=pre.id, number=number, mobile=mobile, language="fr",
                                    completed_at=START, completed_by_call="CA1")
        session.add(registration)
        session.flush()
        return registration.id


def ask(runtime: Runtime, registration_id: int, key: str, language: str = "fr") -> str:
    """Request a credentials SMS the way a call step does, in its own transaction."""
    with runtime.store.transaction() as session:
        registration = session.get(Registration, registration_id)
        return request_credentials(session, registration, language, key, runtime.now())


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
