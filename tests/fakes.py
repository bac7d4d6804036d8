"""Fakes shared by the tests."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)
