"""What the agents' console says, in the agent's language: refusals with what to do, outcomes, languages, times
(in Casablanca), waiting times, and a call's context in words."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time, get_datetime_format
from flask_babel import get_locale, lazy_gettext
from flask_babel import gettext as _

from ivr.agents import sessions
from ivr.agents.accounts import AgentError
from ivr.agents.refusals import TooManyRefusals
from ivr.web import console_locale
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)

_l = lazy_gettext
# What the agent reads of each refusal (AgentError.code): what happened, and what to do now.
ERRORS = {
    "unknown_call": _l("This call is not known here. Go back to the queue and open the call from there."),
    "call_finished": _l("The caller has hung up: the call can no longer be sent on. Take the next call in the queue."),
    "not_with_advisor": _l(
        "This call is no longer waiting for an advisor: it has been sent on already, perhaps by a colleague."
        " Take the next call in the queue."
    ),
    "unknown_target": _l("Choose where to send the call from the list, then confirm."),
    "unknown_person": _l(
        "No pre-registration has the CIN you typed. Check it with the caller and type it again,"
        " or leave it empty and send the call to the identity check."
    ),
    "twilio_failed": _l(
        "The telephone service did not accept the transfer: the caller is still on the line."
        " Try again in a moment; if it fails again, tell your supervisor."
    ),
    "not_configured": _l(
        "Transfers are not set up on this server (its public address is missing). Tell your supervisor."
    ),
    "internal_error": _l(
        "Something went wrong on the server: the call was not sent. Try again; if it fails again, tell your supervisor."
    ),
    "too_many_refused_tokens": _l("Too many wrong tokens were sent from your address: wait before trying again."),
    "session_ended": _l("Your session has ended: sign in again."),
    "agent_disabled": _l("Your agent account is disabled. Ask your supervisor."),
    "bad_token": _l("Unknown token, or this agent is disabled."),
}
# The transfers the service refuses as a bad request, told apart by what its message says.
BAD_TRANSFERS = {
    "needs an identified caller": _l(
        "Where you chose needs an identified caller: type the CIN you checked with the caller,"
        " or send the call to the identity check first."
    ),
    "needs a completed registration": _l(
        "Where you chose needs a completed registration: send the call to complete the registration first."
    ),
    "CIN's shape": _l(
        "The CIN you typed does not look like a CIN (1 or 2 letters, then 3 to 7 digits): check it and type it again."
    ),
    "language is required": _l("Choose the language the caller will hear."),
    "target is required": _l("Choose where to send the call, then confirm."),
}
SESSION_ENDS = {
    sessions.ENDED["idle"]: _l("Your session ended after 30 minutes without activity: sign in again."),
    sessions.ENDED["max_length"]: _l("Your session ended 10 hours after you signed in: sign in again."),
}


def error_words(error: AgentError) -> str:
    """Return what the agent reads of a refusal, in their language."""
    if error.code == "bad_request":
        for said, words in BAD_TRANSFERS.items():
            if said in str(error):
                return str(words)
        log.warning("agent console: no words for the refusal %r", str(error))
        return _("The call could not be sent: check your choices and try again.")
    if error.code == "session_ended" and str(error) in SESSION_ENDS:
        return str(SESSION_ENDS[str(error)])
    if error.code == "too_many_refused_tokens" and isinstance(error, TooManyRefusals):
        minutes = max(1, -(-error.retry_after // 60))
        return _("Too many wrong tokens were sent from your address: try again in %(minutes)s min.", minutes=minutes)
    words = ERRORS.get(error.code)
    if words is None:
        log.warning("agent console: no words for the refusal code %s", error.code)
        return _("This could not be done. Try again; if it fails again, tell your supervisor.")
    return str(words)


def language_name(code: str | None) -> str:
    """Return a caller's language in the agent's words."""
    names = {"fr": _("French"), "ar": _("Arabic")}
    if code and code not in names:  # a language the studio alone recorded: its name as declared, and its code
        recorded = current_runtime().catalog.recorded.get(code)
        return f"{recorded.name} ({code})" if recorded else code
    return names.get(code or "", _("not chosen"))


def when(moment: datetime | str | None) -> str:
    """Return a UTC moment (a naive datetime or an ISO string ending in Z) as Casablanca's date and time."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.removesuffix("Z"))
    if moment is None:
        return ""
    # zoneinfo's (tzdata's) Casablanca: pytz, which Flask-Babel would convert with, stays on UTC there after 2025.
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(console_locale.TIMEZONE))
    locale = get_locale()
    day = format_skeleton("MMMd", local, locale=locale)  # "25 nov." or "25 نونبر"
    return str(get_datetime_format("short", locale=locale)).format(format_time(local, "HH:mm", locale=locale), day)


def waited(call: Mapping[str, Any]) -> int:
    """Return how many seconds a call has waited for the advisors, by the app's clock."""
    since = call.get("waiting_since") or call.get("transferred_at")
    if not since:
        return 0
    start = datetime.fromisoformat(str(since).removesuffix("Z"))
    return max(0, int((current_runtime().now() - start).total_seconds()))


def in_words(call: dict[str, Any], language: str) -> dict[str, Any]:
    """Add to a call's context what the console shows of it in the agent's language (the words of flows/ and of
    data/categories.yaml that the context carries; the key itself for one they do not know)."""
    person = call.get("person")
    return {
        **call,
        "why": (call.get("reason_words") or {}).get(language) or call.get("transfer_reason"),
        "stood": (call.get("stood_words") or {}).get(language) or call.get("state_reached"),
        "category_words": ((person.get("category_words") or {}).get(language) or person.get("category"))
        if person
        else None,
        "waited_seconds": waited(call),
    }


def outcome_words(code: str) -> str:
    """Return a refused transfer's outcome in a few words."""
    short = {
        "unknown_call": _("not sent: unknown call"),
        "call_finished": _("not sent: the caller had hung up"),
        "not_with_advisor": _("not sent: already sent on"),
        "unknown_target": _("not sent: unknown destination"),
        "bad_request": _("not sent: incomplete or refused choice"),
        "unknown_person": _("not sent: unknown CIN"),
        "twilio_failed": _("not sent: telephone service failure"),
        "not_configured": _("not sent: server not set up"),
        "internal_error": _("not sent: server error"),
    }
    return short.get(code, _("not sent"))
