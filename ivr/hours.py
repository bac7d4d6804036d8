"""The advisors' opening hours (ADVISOR_HOURS, e.g. "mon-fri 08:30-16:30", local time)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timezone
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PATTERN = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)-(mon|tue|wed|thu|fri|sat|sun) (\d\d):(\d\d)-(\d\d):(\d\d)$")


@dataclass(frozen=True)
class OpeningHours:
    """Days (first to last, Monday = 0) and the local times advisors answer."""

    first_day: int
    last_day: int
    opens: time
    closes: time
    zone: ZoneInfo

    def is_open(self, utc_now: datetime) -> bool:
        """Tell whether advisors answer at a (naive UTC) moment."""
        local = utc_now.replace(tzinfo=timezone.utc).astimezone(self.zone)
        return self.first_day <= local.weekday() <= self.last_day and self.opens <= local.time() < self.closes


def parse(text: str, zone: str) -> OpeningHours:
    """Parse ADVISOR_HOURS; raise ValueError on a malformed value."""
    match = PATTERN.match(text.strip().lower())
    if not match:
        raise ValueError(f"ADVISOR_HOURS must look like 'mon-fri 08:30-16:30', not {text!r}")
    first, last, oh, om, ch, cm = match.groups()
    hours = OpeningHours(DAYS.index(first), DAYS.index(last), time(int(oh), int(om)), time(int(ch), int(cm)), ZoneInfo(zone))
    if hours.first_day > hours.last_day or hours.opens >= hours.closes:
        raise ValueError(f"ADVISOR_HOURS {text!r} is an empty range")
    return hours
