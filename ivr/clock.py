"""The time as the store keeps it: naive UTC."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Return the current time in UTC, without tzinfo (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)
