"""What every entry point hands the service layer: settings, store, clock, flows and prompts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ivr.clock import utc_now
from ivr.flows.loader import FlowBook
from ivr.registration.categories import CategoryTable
from ivr.settings import Settings
from ivr.speech.catalog import Catalog
from ivr.store.db import Store


@dataclass
class Runtime:
    """The services' dependencies, built once per process by the app factory."""

    settings: Settings = field(repr=False)  # the app's config: ivr/settings.py defines and reads its keys
    store: Store = field(repr=False)
    secret: bytes = field(repr=False)
    catalog: Catalog = field(repr=False)
    flows: FlowBook = field(repr=False)
    categories: CategoryTable = field(repr=False)
    clock: Callable[[], datetime] = utc_now
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        """Return the current UTC time (naive), from the injected clock."""
        return self.clock()
