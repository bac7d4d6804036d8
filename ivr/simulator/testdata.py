"""The people a scenario may play: the demo list's (by CIN) and the synthetic ones, with what they type."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from ivr.registration import synthetic
from ivr.registration.mobiles import parse_moroccan_mobile
from ivr.settings import DATA_DIR

DEMO_LIST = DATA_DIR / "demo" / "liaison.csv"
SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class TestPerson:
    """A person of the test data, as a scenario uses them."""

    __test__ = False  # not a pytest test class

    cin: str
    born: date
    mobile: str | None
    category: str

    @property
    def cin_digits(self) -> str:
        return re.sub(r"[^0-9]", "", self.cin).lstrip("0")

    @property
    def birth_date(self) -> str:
        """Return the birth date as typed: DDMMYYYY."""
        return self.born.strftime("%d%m%Y")

    def values(self) -> dict[str, str]:
        """Return the {placeholders} a scenario's keys may use for this person."""
        return {"cin_digits": self.cin_digits, "birth_date": self.birth_date}


@lru_cache(maxsize=4)
def demo_people(path: Path = DEMO_LIST) -> dict[str, TestPerson]:
    """Return the demo list's people by CIN."""
    with path.open(encoding="utf-8", newline="") as lines:
        return {
            row["cin"]: TestPerson(
                row["cin"],
                date.fromisoformat(row["birth_date"]),
                parse_moroccan_mobile(row["mobile"]) if row["mobile"] else None,
                row["category"],
            )
            for row in csv.DictReader(lines)
        }


def synthetic_person(index: int) -> TestPerson:
    """Return synthetic person number index as a scenario person."""
    found = synthetic.person(index)
    return TestPerson(found.cin, found.born, found.mobile, found.category)


def resolve(reference: str | None, synthetic_index: int = 0) -> TestPerson | None:
    """Return the person a scenario names: a demo CIN, or `synthetic` (person synthetic_index)."""
    if reference is None:
        return None
    if reference == SYNTHETIC:
        return synthetic_person(synthetic_index)
    return demo_people()[reference]


def known(reference: str) -> bool:
    """Tell whether a scenario may name this person."""
    return reference == SYNTHETIC or reference in demo_people()
