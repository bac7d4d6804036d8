"""The pre-registered people as a tester lists them: who, which category, whether registered; masked.

The store keeps no CIN and no birth date in clear (only keyed digests), so none can be shown, not even in part;
nor is a digest shown. A mobile shows its last four digits only.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ivr.registration.categories import CategoryTable
from ivr.registration.mobiles import last_four
from ivr.store.db import Store
from ivr.store.models import PreRegistration, Registration

MASK = "••••"


@dataclass(frozen=True)
class PersonLine:
    """One pre-registered person as `registrations list` shows them."""

    name: str
    category: str  # the code of data/categories.yaml
    category_label: str  # its French label
    mobile: str  # masked: "•••• 5678", or "none"
    registered: bool
    number: str | None  # the registration number, once registered


@dataclass(frozen=True)
class PeopleCount:
    """How many people are pre-registered, and how many of them registered."""

    total: int
    registered: int

    @property
    def pending(self) -> int:
        return self.total - self.registered


def masked_mobile(e164: str | None) -> str:
    """Return a mobile with all but its last four digits hidden, or "none"."""
    return f"{MASK} {last_four(e164)}" if e164 else "none"


def people(
    store: Store, categories: CategoryTable, limit: int = 50, registered: bool | None = None
) -> list[PersonLine]:
    """Return at most `limit` pre-registered people by name: all, only the registered, or only those pending."""
    query = (
        select(PreRegistration, Registration)
        .outerjoin(Registration, Registration.pre_registration_id == PreRegistration.id)
        .order_by(PreRegistration.last_name, PreRegistration.first_name, PreRegistration.id)
        .limit(limit)
    )
    if registered is not None:
        query = query.where(Registration.id.is_not(None) if registered else Registration.id.is_(None))
    with store.transaction() as db:
        rows = db.execute(query).all()
        return [
            PersonLine(
                name=f"{person.first_name} {person.last_name}",
                category=person.category,
                category_label=label(categories, person.category),
                mobile=masked_mobile(registration.mobile if registration is not None else person.mobile),
                registered=registration is not None,
                number=registration.number if registration is not None else None,
            )
            for person, registration in rows
        ]


def count(store: Store) -> PeopleCount:
    """Return how many people are pre-registered, and how many registered."""
    with store.transaction() as db:
        total = db.scalar(select(func.count()).select_from(PreRegistration)) or 0
        done = db.scalar(select(func.count()).select_from(Registration)) or 0
        return PeopleCount(total, done)


def label(categories: CategoryTable, code: str) -> str:
    """Return a category's French label, or its code when the table does not know it."""
    category = categories.categories.get(code)
    return category.label["fr"] if category is not None else code
