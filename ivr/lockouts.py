"""Failed identity checks and the lockouts they lead to, counted in the store across processes."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.db import take_lock
from ivr.models import FailedCheck, Lockout

WINDOW = timedelta(hours=24)
LOCK_FOR = timedelta(hours=24)
LIMITS = {"cin": 5, "caller": 10}
COLUMNS = {"cin": FailedCheck.cin_digits_key, "caller": FailedCheck.from_number}


def is_locked(db: Session, kind: str, key: str, now: datetime) -> bool:
    """Tell whether a CIN digest ("cin") or a calling number ("caller") is locked out now."""
    query = select(Lockout.id).where(Lockout.kind == kind, Lockout.key == key, Lockout.locked_until > now)
    return db.scalars(query.limit(1)).first() is not None


def record_failure(db: Session, cin_digits_key: str, from_number: str, call_sid: str, now: datetime) -> bool:
    """Record a failed check; lock the CIN or the number that reached its limit. Tell if either is locked."""
    for kind, key in (("cin", cin_digits_key), ("caller", from_number)):
        # Concurrent failures for one CIN or number, in any process, are counted in turn.
        take_lock(db, f"lockout:{kind}:{key}")
    db.add(FailedCheck(cin_digits_key=cin_digits_key, from_number=from_number, call_sid=call_sid, at=now))
    db.flush()
    locked = False
    for kind, key in (("cin", cin_digits_key), ("caller", from_number)):
        failures = db.scalar(
            select(func.count()).select_from(FailedCheck).where(COLUMNS[kind] == key, FailedCheck.at > now - WINDOW)
        )
        if failures >= LIMITS[kind]:
            if not is_locked(db, kind, key, now):
                db.add(Lockout(kind=kind, key=key, locked_until=now + LOCK_FOR, created_at=now))
            locked = True
    return locked
