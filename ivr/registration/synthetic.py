"""Deterministic synthetic people for load runs: person i always has the same CIN, birth date and mobile.

Their CINs are "SY9" + 6 digits: the typed digits (9000000 + i, 7 digits) cannot be those of the demo
people (6 digits) and the prefix says at a glance that the person is made up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

MAX_PEOPLE = 1_000_000
CATEGORIES = ("cpu", "commercant_comptable", "medecin", "pharmacien", "auto_entrepreneur")
FIRST_BIRTH_DATE = date(1950, 1, 1)
BIRTH_DATE_SPAN_DAYS = 18_000  # up to mid-1999
SOURCE = "Synthetic load test"
HEADER = ("cin", "last_name", "first_name", "birth_date", "category", "mobile", "source")


@dataclass(frozen=True)
class SyntheticPerson:
    """One made-up person of the load tests."""

    index: int
    cin: str
    born: date
    mobile: str
    category: str

    @property
    def cin_digits(self) -> str:
        return self.cin[2:]


def person(index: int) -> SyntheticPerson:
    """Return synthetic person number index (0 <= index < MAX_PEOPLE)."""
    if not 0 <= index < MAX_PEOPLE:
        raise ValueError(f"synthetic people are numbered 0 to {MAX_PEOPLE - 1}")
    # A multiplier coprime with the span spreads consecutive people over the whole range of dates.
    born = FIRST_BIRTH_DATE + timedelta(days=(index * 7919) % BIRTH_DATE_SPAN_DAYS)
    return SyntheticPerson(
        index=index,
        cin=f"SY{9_000_000 + index}",
        born=born,
        mobile=f"+2126{90_000_000 + index % 10_000_000:08d}",
        category=CATEGORIES[index % len(CATEGORIES)],
    )


def csv_lines(start: int, count: int) -> Iterator[str]:
    """Yield a liaison list (header, then people start .. start+count-1) for the importer."""
    yield _row(HEADER)
    for index in range(start, start + count):
        found = person(index)
        yield _row(
            (
                found.cin,
                "SYNTHETIQUE",
                f"Personne {index}",
                found.born.isoformat(),
                found.category,
                found.mobile,
                SOURCE,
            )
        )


def _row(values: Iterable[object]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()
