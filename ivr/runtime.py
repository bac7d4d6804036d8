"""What every entry point hands the service layer: settings, store, clock, flows and prompts."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from ivr.clock import utc_now
from ivr.db import Store

if TYPE_CHECKING:
    from ivr.categories import CategoryTable
    from ivr.flowbook import FlowBook
    from ivr.prompts import Catalog


@dataclass
class Runtime:
    """The services' dependencies, built once per process by the app factory."""

    settings: dict[str, Any] = field(repr=False)
    store: Store = field(repr=False)
    secret: bytes = field(repr=False)
    clock: Callable[[], datetime] = utc_now
    catalog: "Catalog" = field(default=None, repr=False)
    flows: "FlowBook" = field(default=None, repr=False)
    categories: "CategoryTable" = field(default=None, repr=False)
    extras: dict[str, Any] = field(default_factory=dict)

    def now(self) -> datetime:
        """Return the current UTC time (naive), from the injected clock."""
        return self.clock()
