"""A caller's pre-registration and registration as call steps read them: Core rows, statements built once.

A step needs a few columns of one or two rows; the ORM's objects are for the agents, the importer and the
reports. The rows answer to the same attribute names as the models (`person.mobile`, `registration.number`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Table, bindparam, insert, select

from ivr.store.models import PreRegistration, Registration

PEOPLE: Table = PreRegistration.__table__  # type: ignore[assignment]  # declared models' tables are Tables
REGISTRATIONS: Table = Registration.__table__  # type: ignore[assignment]

_PERSON = select(PEOPLE).where(PEOPLE.c.id == bindparam("person"))
_PERSON_LOCKED = _PERSON.with_for_update()
_WITH_CIN_DIGITS = select(PEOPLE).where(PEOPLE.c.cin_digits_key == bindparam("cin_digits_key"))
_REGISTRATION_ID = select(REGISTRATIONS.c.id).where(REGISTRATIONS.c.pre_registration_id == bindparam("person"))
_REGISTRATION = select(REGISTRATIONS).where(REGISTRATIONS.c.pre_registration_id == bindparam("person"))
_COMPLETE = insert(REGISTRATIONS).returning(*REGISTRATIONS.c)


def person(conn: Connection, person_id: int | None, lock: bool = False) -> Row[Any]:
    """Return a pre-registration (locked until the transaction ends, when asked)."""
    return conn.execute(_PERSON_LOCKED if lock else _PERSON, {"person": person_id}).one()


def people_with_cin_digits(conn: Connection, cin_digits_key: str) -> list[Row[Any]]:
    """Return the pre-registrations whose CIN digits have this digest."""
    return list(conn.execute(_WITH_CIN_DIGITS, {"cin_digits_key": cin_digits_key}))


def registration_id(conn: Connection, person_id: int | None) -> int | None:
    """Return the id of a person's registration, or None while it is not complete."""
    return conn.scalar(_REGISTRATION_ID, {"person": person_id})


def registration_of(conn: Connection, person_id: int | None) -> Row[Any]:
    """Return a person's completed registration."""
    return conn.execute(_REGISTRATION, {"person": person_id}).one()


def complete(conn: Connection, values: dict[str, Any]) -> Row[Any]:
    """Insert a registration and return it as stored."""
    return conn.execute(_COMPLETE, values).one()
