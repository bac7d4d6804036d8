"""Failed identity checks and the lockouts they lead to, counted in the store across processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, func, or_, select
from sqlalchemy.orm import Session

from ivr.store.locks import take_lock
from ivr.store.models import FailedCheck, Lockout

WINDOW = timedelta(hours=24)
LOCK_FOR = timedelta(hours=24)
LIMITS = {"cin": 5, "caller": 10}
COLUMNS = {"cin": FailedCheck.cin_digits_key, "caller": FailedCheck.from_number}
# Asked at every identity step: built once.
_LOCKED = (
    select(Lockout.id)
    .where(Lockout.kind == bindparam("kind"), Lockout.key == bindparam("key"), Lockout.locked_until > bindparam("now"))
    .limit(1)
)
_EITHER_LOCKED = (
    select(Lockout.id)
    .where(
        or_(
            and_(Lockout.kind == "cin", Lockout.key == bindparam("cin")),
            and_(Lockout.kind == "caller", Lockout.key == bindparam("caller")),
        ),
        Lockout.locked_until > bindparam("now"),
    )
    .limit(1)
)


def is_locked(db: Session | Connection, kind: str, key: str, now: datetime) -> bool:
    """Tell whether a CIN digest ("cin") or a calling number ("caller") is locked out now."""
    return db.execute(_LOCKED, {"kind": kind, "key": key, "now": now}).first() is not None


def hold(db: Session | Connection, cin_digits_key: str, from_number: str) -> None:
    """Take the CIN's then the number's lock until the transaction ends.

    Always in this one order, so that two calls never wait for each other. On PostgreSQL the
    statements that follow see every failure and lockout committed before the locks were granted.
    """
    take_lock(db, f"lockout:cin:{cin_digits_key}")
    take_lock(db, f"lockout:caller:{from_number}")


def hold_unless_locked(db: Session | Connection, cin_digits_key: str, from_number: str, now: datetime) -> bool:
    """Take both locks, then tell whether the CIN or the number is locked out as things stand now.

    A birth date is compared only after this answered False, in the same transaction: a call
    parked at the birth-date question cannot compare past a lockout made meanwhile by other calls.
    """
    hold(db, cin_digits_key, from_number)
    either = {"cin": cin_digits_key, "caller": from_number, "now": now}
    return db.execute(_EITHER_LOCKED, either).first() is not None


def record_failure(db: Session, cin_digits_key: str, from_number: str, call_sid: str, now: datetime) -> bool:
    """Record a failed check; lock the CIN or the number that reached its limit. Tell if either is locked."""
    hold(db, cin_digits_key, from_number)  # again is harmless: PostgreSQL stacks a transaction's own locks
    db.add(FailedCheck(cin_digits_key=cin_digits_key, from_number=from_number, call_sid=call_sid, at=now))
    db.flush()
    locked = False
    for kind, key in (("cin", cin_digits_key), ("caller", from_number)):
        failures = db.execute(
            select(func.count()).select_from(FailedCheck).where(COLUMNS[kind] == key, FailedCheck.at > now - WINDOW)
        ).scalar_one()
        if failures >= LIMITS[kind]:
            if not is_locked(db, kind, key, now):
                db.add(Lockout(kind=kind, key=key, locked_until=now + LOCK_FOR, created_at=now))
            locked = True
    return locked
