"""Fakes shared by the tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from ivr.flows.loader import FlowBook
from ivr.registration.categories import load_categories
from ivr.speech.catalog import Catalog


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def reference_data() -> dict:
    """Return the shipped prompts, flows and categories, as a runtime holds them."""
    return {"catalog": Catalog.load(), "flows": FlowBook.load(), "categories": load_categories()}
