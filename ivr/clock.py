"""The time as the store keeps it: naive UTC."""
from datetime import datetime, timezone


def utc_now() -> datetime:
    """Return the current time in UTC, without tzinfo (as stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
