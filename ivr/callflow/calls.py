"""Calls as people find them: a short reference read out instead of the CallSid, and the recent calls.

A call's reference is derived from its CallSid alone (6 characters of an alphabet without 0/O, 1/I/L, shown
3-3: "K7Q-4MZ"), so the console, the agents' API, `calls list` and the audit trail all show the same one. It is
stored with the call as it starts, indexed with the start time, and a reference names a call started within
REFERENCE_WINDOW: it is for the calls at hand, and its 31^6 values may repeat across many months of calls.
Nothing here shows a CIN, a birth date or a whole phone number.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.runtime import Runtime
from ivr.store.models import CallEvent, CallSession

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out and typed without doubt
REFERENCE_LENGTH = 6
REFERENCE_WINDOW = timedelta(days=7)
_REFERENCE_TYPED = re.compile(r"^[A-Za-z0-9]{3}[- ]?[A-Za-z0-9]{3}$")
_SINCE = re.compile(r"^(?P<count>\d+)\s*(?P<unit>[mhd])$")
SINCE_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
MASK = "••••"


class CallLookupError(Exception):
    """A CallSid or reference that names no call, or a reference that names several."""


class NoSuchCall(CallLookupError):
    """No call has this CallSid, nor a call of the last days this reference."""


class AmbiguousReference(CallLookupError):
    """Several calls of the last days have this reference: the CallSid says which."""


def call_reference(call_sid: str) -> str:
    """Return a call's short reference, the same wherever it is shown ("K7Q-4MZ")."""
    value = int.from_bytes(hashlib.sha256(call_sid.encode()).digest()[:8], "big")
    letters = []
    for _ in range(REFERENCE_LENGTH):
        value, index = divmod(value, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[index])
    half = REFERENCE_LENGTH // 2
    return "".join(letters[:half]) + "-" + "".join(letters[half:])


def as_reference(text: str) -> str | None:
    """Return the reference a person typed ("k7q4mz", "K7Q 4MZ") in its shown form, or None if it cannot be one."""
    text = text.strip()
    if not _REFERENCE_TYPED.match(text):
        return None
    letters = re.sub(r"[- ]", "", text).upper()
    if any(letter not in REFERENCE_ALPHABET for letter in letters):
        return None
    return f"{letters[:3]}-{letters[3:]}"


def calls_named(db: Session, key: str, now: datetime, window: timedelta = REFERENCE_WINDOW) -> list[CallSession]:
    """Return the call a CallSid names, or the calls started within the window whose reference this is (newest
    first)."""
    by_sid = db.scalars(select(CallSession).where(CallSession.call_sid == key)).first()
    if by_sid is not None:
        return [by_sid]
    reference = as_reference(key)
    if reference is None:
        return []
    query = (
        select(CallSession)
        .where(CallSession.reference == reference, CallSession.started_at >= now - window)
        .order_by(CallSession.started_at.desc(), CallSession.id.desc())
    )
    return list(db.scalars(query))


def call_named(db: Session, key: str, now: datetime) -> CallSession:
    """Return the one call a CallSid or a reference names; CallLookupError says why there is none."""
    found = calls_named(db, key, now)
    if not found:
        known = "CallSid or reference (K7Q-4MZ) of a call of the last 7 days"
        raise NoSuchCall(f"no call {key[:64]}: give the {known}")
    if len(found) > 1:
        raise AmbiguousReference(
            f"reference {as_reference(key)} names {len(found)} calls of the last 7 days: give the CallSid"
            f" ({', '.join(call.call_sid for call in found)})"
        )
    return found[0]


def call_sid_of(rt: Runtime, key: str) -> str:
    """Return the CallSid a CallSid or a reference names (CallLookupError when none or several)."""
    with rt.store.transaction() as db:
        return call_named(db, key, rt.now()).call_sid


def mask_number(number: str | None) -> str:
    """Return a calling number with all but its last four digits hidden; a long SIP address (kept as a digest)
    or a number without four digits shows nothing of itself."""
    if not number or number.startswith("~"):
        return MASK
    digits = re.sub(r"[^0-9]", "", number)
    return f"{MASK} {digits[-4:]}" if len(digits) >= 4 else MASK


def local_zone(rt: Runtime) -> ZoneInfo:
    """Return the time zone calls are shown in (IVR_TIMEZONE: Africa/Casablanca)."""
    return ZoneInfo(str(rt.settings["IVR_TIMEZONE"]))


def local_time(moment: datetime, zone: ZoneInfo) -> datetime:
    """Return a stored time (naive UTC) in a time zone."""
    return moment.replace(tzinfo=UTC).astimezone(zone)


def since_time(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    """Return, as stored (naive UTC), the start a `--since` gives: "30m", "2h", "1d", or a local date or time
    ("2026-12-01", "2026-12-01 09:30"). ValueError says what is expected."""
    text = text.strip()
    found = _SINCE.match(text)
    if found:
        return now - timedelta(**{SINCE_UNITS[found["unit"]]: int(found["count"])})
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: give 30m, 2h, 1d, or a local date or time (2026-12-01, 2026-12-01 09:30)"
        ) from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=zone)
    return local.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class CallLine:
    """One call as `calls list` shows it."""

    reference: str
    call_sid: str
    started_at: datetime  # local (IVR_TIMEZONE)
    language: str | None
    standing: str  # in progress at a state, with the advisors, or ended (and why it reached the advisors)
    caller: str  # masked


def recent_calls(rt: Runtime, limit: int = 20, since: datetime | None = None) -> list[CallLine]:
    """Return the latest calls (newest first), at most `limit`, started at or after `since` (naive UTC)."""
    zone = local_zone(rt)
    with rt.store.transaction() as db:
        query = select(CallSession).order_by(CallSession.started_at.desc(), CallSession.id.desc()).limit(limit)
        if since is not None:
            query = query.where(CallSession.started_at >= since)
        calls = list(db.scalars(query))
        sent_to = agents_targets(db, [call.id for call in calls])
        return [
            CallLine(
                reference=call_reference(call.call_sid),
                call_sid=call.call_sid,
                started_at=local_time(call.started_at, zone),
                language=call.language,
                standing=standing(rt, call, sent_to.get(call.id)),
                caller=mask_number(call.from_number),
            )
            for call in calls
        ]


def agents_targets(db: Session, call_ids: Sequence[int]) -> dict[int, str]:
    """Return, for each call an agent sent on, the state the last agent sent it to."""
    if not call_ids:
        return {}
    events = db.execute(
        select(CallEvent.call_session_id, CallEvent.state)
        .where(CallEvent.call_session_id.in_(call_ids), CallEvent.kind == "agent")
        .order_by(CallEvent.id)
    )
    return {row.call_session_id: row.state for row in events}


def standing(rt: Runtime, call: CallSession, sent_to: str | None) -> str:
    """Say where a call stands for a tester: its state, with the advisors and why, or ended; and an agent's
    transfer."""
    flows, where = rt.flows, f"{call.flow}.{call.state}"
    reason = flows.reason_text(call.transfer_reason) if call.transfer_reason else None
    why = f" from {call.transfer_state} ({reason})" if reason else ""
    if call.status == "active" and where == flows.queue:
        said = f"with the advisors{why}"
    else:
        said = f"{'in progress' if call.status == 'active' else 'ended'} at {where}"
        if reason:
            said += f"; was transferred to the advisors{why}"
    if sent_to:
        said += f"; an agent sent it to {sent_to}"
    return said
