"""Make a demo store fresh again: empty it, or put synthetic people back to their pre-registered state.

Emptying refuses a store that holds people of any list other than the demo and synthetic ones: that is a
campaign's store, not a demo's, whatever database it is on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, Delete, and_, delete, func, or_, select
from sqlalchemy.orm import Session

from ivr.registration import people, synthetic
from ivr.sensitive import Sensitive
from ivr.store import agent_models  # noqa: F401  (its tables join Base's metadata, to be emptied too)
from ivr.store.db import Store
from ivr.store.models import (
    Base,
    Credential,
    Dispute,
    FailedCheck,
    Lockout,
    PreRegistration,
    Registration,
    SmsOutbox,
)

BATCH = 500  # synthetic people whose rows one statement removes


class NotADemoStore(Exception):
    """The store holds people of other lists: emptying it would wipe a campaign's data."""

    def __init__(self, sources: list[str]):
        super().__init__(f"it holds people of {len(sources)} other list(s): {', '.join(sources[:3])}")
        self.sources = sources


def other_sources(store: Store, demo_sources: Iterable[str]) -> list[str]:
    """Return the sources of the stored people that are neither the demo list's nor the synthetic people's."""
    known = {*demo_sources, synthetic.SOURCE}
    with store.transaction() as db:
        stored = db.scalars(select(PreRegistration.source).distinct().order_by(PreRegistration.source)).all()
    return [source for source in stored if source not in known]


def empty(store: Store, demo_sources: Iterable[str]) -> int:
    """Delete every row of every table (people, calls, SMS, lockouts, agents, reports); return the rows deleted.

    The schema and its migration stay. Registration numbers start again from the first.
    """
    others = other_sources(store, demo_sources)
    if others:
        raise NotADemoStore(others)
    deleted = 0
    with store.transaction() as db:
        for table in reversed(Base.metadata.sorted_tables):  # children before their parents
            deleted += _deleted(db, delete(table))
    return deleted


@dataclass
class Freshened:
    """What putting synthetic people back to their pre-registered state removed."""

    registrations: int = 0
    failed_checks: int = 0
    lockouts: int = 0


def freshen_synthetic(store: Store, secret: bytes, start: int, count: int) -> Freshened:
    """Put synthetic people start .. start+count-1 back to their pre-registered state.

    Their registrations go (with their passwords and SMS: the SMS limit starts again), and their category
    disputes, failed identity checks and lockouts, by CIN and by their mobile, which load runs call from.
    Their calls stay in the audit trail and the reports.
    """
    done = Freshened()
    for indexes in _batches(range(start, start + count)):
        found = [synthetic.person(index) for index in indexes]
        cin_keys = [people.cin_key(secret, _cin(person.cin)) for person in found]
        digits_keys = [people.cin_digits_key(secret, people.cin_digits(_cin(person.cin))) for person in found]
        mobiles = [person.mobile for person in found]
        with store.transaction() as db:
            listed = select(PreRegistration.id).where(PreRegistration.cin_key.in_(cin_keys))
            registered = select(Registration.id).where(Registration.pre_registration_id.in_(listed))
            _deleted(db, delete(Credential).where(Credential.registration_id.in_(registered)))
            _deleted(db, delete(SmsOutbox).where(SmsOutbox.registration_id.in_(registered)))
            done.registrations += _deleted(db, delete(Registration).where(Registration.id.in_(registered)))
            _deleted(db, delete(Dispute).where(Dispute.pre_registration_id.in_(listed)))
            checks = delete(FailedCheck).where(
                or_(FailedCheck.cin_digits_key.in_(digits_keys), FailedCheck.from_number.in_(mobiles))
            )
            done.failed_checks += _deleted(db, checks)
            lockouts = delete(Lockout).where(
                or_(
                    and_(Lockout.kind == "cin", Lockout.key.in_(digits_keys)),
                    and_(Lockout.kind == "caller", Lockout.key.in_(mobiles)),
                )
            )
            done.lockouts += _deleted(db, lockouts)
    return done


def registered_synthetic(store: Store, secret: bytes, start: int, count: int) -> int:
    """Count how many of synthetic people start .. start+count-1 have completed a registration."""
    total = 0
    for indexes in _batches(range(start, start + count)):
        cin_keys = [people.cin_key(secret, _cin(synthetic.person(index).cin)) for index in indexes]
        with store.transaction() as db:
            listed = select(PreRegistration.id).where(PreRegistration.cin_key.in_(cin_keys))
            counted = select(func.count()).select_from(Registration).where(Registration.pre_registration_id.in_(listed))
            total += db.scalar(counted) or 0
    return total


def _deleted(db: Session, statement: Delete) -> int:
    """Run a DELETE and return how many rows it removed."""
    # Session.execute is typed as returning any Result; a DELETE's is a CursorResult, which has rowcount.
    result = cast("CursorResult[Any]", db.execute(statement.execution_options(synchronize_session=False)))
    return result.rowcount


def _cin(text: str) -> Sensitive:
    cin = people.canonical_cin(text)
    if cin is None:  # synthetic CINs are made in the CIN's shape
        raise ValueError("a synthetic CIN is not in the shape of a CIN")
    return cin


def _batches(indexes: range) -> Iterator[range]:
    for first in range(indexes.start, indexes.stop, BATCH):
        yield range(first, min(first + BATCH, indexes.stop))
