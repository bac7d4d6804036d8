"""The advisors' opening hours: ranges of days and local times, closed on public holidays and on dates an
operator adds (ADVISOR_HOURS "mon-fri 08:30-16:30; sat 09:00-12:00", ADVISOR_CLOSED_DATES "2026-12-31",
ADVISOR_PUBLIC_HOLIDAYS "MA", or "none" for a call centre that answers on public holidays too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOLIDAYS_COUNTRY = "MA"
NO_PUBLIC_HOLIDAYS = "none"
END_OF_DAY = time.max  # a range closing at "24:00" covers the last minute of the day too
RANGE = re.compile(r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))? +(?P<opens>\d\d:\d\d)-(?P<closes>\d\d:\d\d)$")
EXAMPLE = "'mon-fri 08:30-16:30; sat 09:00-12:00'"


@dataclass(frozen=True)
class Range:
    """Days (first to last, Monday = 0) and the local times advisors answer on each of them."""

    first_day: int
    last_day: int
    opens: time
    closes: time

    def covers(self, local: datetime) -> bool:
        return self.first_day <= local.weekday() <= self.last_day and self.opens <= local.time() < self.closes


@dataclass(frozen=True, eq=False)
class OpeningHours:
    """When advisors answer: ranges of days and hours, except on public holidays and closed dates."""

    ranges: tuple[Range, ...]
    zone: ZoneInfo
    closed_dates: frozenset[date] = frozenset()
    public_holidays: holidays.HolidayBase | None = None

    def local(self, utc_now: datetime) -> datetime:
        return utc_now.replace(tzinfo=UTC).astimezone(self.zone)

    def is_closed_day(self, utc_now: datetime) -> bool:
        """Tell whether the local day of a (naive UTC) moment is a public holiday or a closed date."""
        today = self.local(utc_now).date()
        return today in self.closed_dates or (self.public_holidays is not None and today in self.public_holidays)

    def is_open(self, utc_now: datetime) -> bool:
        """Tell whether advisors answer at a (naive UTC) moment."""
        local = self.local(utc_now)
        return not self.is_closed_day(utc_now) and any(found.covers(local) for found in self.ranges)


def parse_range(text: str, whole: str) -> Range:
    """Parse one range ("mon-fri 08:30-16:30" or "sat 09:00-12:00"); raise ValueError when malformed."""
    match = RANGE.match(text.strip())
    if not match or match["first"] not in DAYS or (match["last"] or match["first"]) not in DAYS:
        raise ValueError(f"ADVISOR_HOURS must look like {EXAMPLE}: {text.strip()!r} in {whole!r} is not a range")
    first, last = DAYS.index(match["first"]), DAYS.index(match["last"] or match["first"])
    opens = clock_time(match["opens"], whole)
    closes = END_OF_DAY if match["closes"] == "24:00" else clock_time(match["closes"], whole)
    if first > last or opens >= closes:
        raise ValueError(f"ADVISOR_HOURS {whole!r}: {text.strip()!r} is an empty range (days or times backwards)")
    return Range(first, last, opens, closes)


def clock_time(text: str, whole: str) -> time:
    hour, minute = int(text[:2]), int(text[3:])
    if hour > 23 or minute > 59:
        raise ValueError(f"ADVISOR_HOURS {whole!r}: {text} is not a time of day")
    return time(hour, minute)


def parse_closed_dates(text: str) -> frozenset[date]:
    """Parse ADVISOR_CLOSED_DATES ("2026-12-31,2027-01-02", may be empty); raise ValueError when malformed."""
    found = set()
    for item in filter(None, (part.strip() for part in text.split(","))):
        try:
            found.add(date.fromisoformat(item))
        except ValueError:
            raise ValueError(
                f"ADVISOR_CLOSED_DATES must be dates like 2026-12-31, separated by commas: {item!r} is not one"
            ) from None
    return frozenset(found)


def public_holidays(country: str) -> holidays.HolidayBase | None:
    """Return the public holidays of ADVISOR_PUBLIC_HOLIDAYS (a country code; "none": no public holiday closes)."""
    if country.strip().lower() == NO_PUBLIC_HOLIDAYS:
        return None
    try:
        return holidays.country_holidays(country.strip().upper())
    except NotImplementedError:
        raise ValueError(
            f"ADVISOR_PUBLIC_HOLIDAYS must be a country code such as {HOLIDAYS_COUNTRY}, or {NO_PUBLIC_HOLIDAYS},"
            f" not {country!r}"
        ) from None


@lru_cache(maxsize=16)  # every advisor request asks; building the holiday calendar takes ~20 ms
def parse(text: str, zone: str, closed_dates: str = "", holidays_country: str = HOLIDAYS_COUNTRY) -> OpeningHours:
    """Parse ADVISOR_HOURS (ranges separated by ';', a range may close at 24:00), ADVISOR_CLOSED_DATES and
    ADVISOR_PUBLIC_HOLIDAYS; raise ValueError when malformed."""
    parts = [part for part in text.lower().split(";") if part.strip()]
    if not parts:
        raise ValueError(f"ADVISOR_HOURS must look like {EXAMPLE}, not {text!r}")
    try:
        local_zone = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"IVR_TIMEZONE must be a time zone such as Africa/Casablanca, not {zone!r}") from None
    return OpeningHours(
        ranges=tuple(parse_range(part, text) for part in parts),
        zone=local_zone,
        closed_dates=parse_closed_dates(closed_dates),
        public_holidays=public_holidays(holidays_country),
    )
