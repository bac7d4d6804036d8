"""What every entry point hands the service layer: settings, store, clock, flows and prompts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from ivr.clock import utc_now
from ivr.db import Store


@dataclass
class Runtime:
    """The services' dependencies, built once per process by the app factory."""

    settings: dict[str, Any] = field(repr=False)
    store: Store = field(repr=False)
    secret: bytes = field(repr=False)
    clock: Callable[[], datetime] = utc_now
    catalog: Any = field(default=None, repr=False)
    flows: Any = field(default=None, repr=False)
    categories: Any = field(default=None, repr=False)
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        """Return the current UTC time (naive), from the injected clock."""
        return self.clock()
