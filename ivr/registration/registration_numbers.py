"""Registration numbers: 8 digits from a counter and a Luhn check digit, assigned once."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.store.models import NumberCounter

COUNTER = "registration_number"
FIRST = 10_000_000
LAST = 99_999_999


def luhn_digit(digits: str) -> str:
    """Return the Luhn check digit of a string of digits."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def is_valid(number: str) -> bool:
    """Tell whether a registration number has 9 digits and a right check digit."""
    return len(number) == 9 and number.isdigit() and luhn_digit(number[:8]) == number[8]


_TAKE = (
    update(NumberCounter)
    .where(NumberCounter.name == COUNTER)
    .values(next_value=NumberCounter.next_value + 1)
    .returning(NumberCounter.next_value - 1)
)


def ensure_counter(db: Session | Connection) -> None:
    """Create the counter row if it is missing (idempotent, race-safe)."""
    if db.scalar(select(NumberCounter.name).where(NumberCounter.name == COUNTER)) is None:
        try:
            with db.begin_nested():
                db.execute(insert(NumberCounter).values(name=COUNTER, next_value=FIRST))
        except IntegrityError:
            pass


def allocate(db: Session | Connection) -> str:
    """Take the next registration number; the counter row's lock orders concurrent completions."""
    taken = _take(db)
    if taken is None:  # the store's first registration: no counter row yet
        ensure_counter(db)
        taken = _take(db)
        assert taken is not None  # ensure_counter made the row, or another transaction did
    if taken > LAST:
        raise RuntimeError("registration numbers exhausted")
    base = f"{taken:08d}"
    return base + luhn_digit(base)


def _take(db: Session | Connection) -> int | None:
    """Increment the counter and return the value taken, or None when the counter row is missing."""
    return db.scalar(_TAKE)
