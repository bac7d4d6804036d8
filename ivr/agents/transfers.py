"""An agent sends a live call back into the flows: prepare its session, then redirect it through Twilio.

Only a call waiting for or with an advisor can be sent on: a self-service call is no agent's to take,
and a second transfer of one call (two agents, or a stale page) finds it gone and is refused.
Both happen in one transaction, which holds the call's row lock: if Twilio refuses the redirect,
the session is left as it was; if Twilio fetches the new URL at once, that webhook waits for the
commit and finds the session prepared.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException

from ivr.agents.accounts import AgentError, AgentIdentity, audit, record
from ivr.agents.context import UnknownCall, in_queue
from ivr.audio.offered import offered_languages
from ivr.callflow.calls import AmbiguousReference, NoSuchCall, call_named
from ivr.callflow.service import RESUME_PATH, RESUME_SLOT, lock_call
from ivr.flows.loader import FlowBook
from ivr.registration import people
from ivr.runtime import Runtime
from ivr.sensitive import Sensitive
from ivr.settings import public_base_url
from ivr.speech.catalog import LANGUAGES
from ivr.store.models import CallEvent, PreRegistration, Registration
from ivr.twilio_rest import close_client, make_client

log = logging.getLogger(__name__)
CALL_NOT_IN_PROGRESS = 21220  # Twilio's error for redirecting a call that has ended
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


class CallFinished(AgentError):
    code = "call_finished"


class NotWithAdvisor(AgentError):
    code = "not_with_advisor"


class UnknownTarget(AgentError):
    code = "unknown_target"


class BadTransfer(AgentError):
    code = "bad_request"


class UnknownPerson(AgentError):
    code = "unknown_person"


class TwilioFailure(AgentError):
    code = "twilio_failed"


class InternalFailure(AgentError):
    """What the agents' history records of a transfer that failed unexpectedly (the error itself is re-raised)."""

    code = "internal_error"


class NotConfigured(AgentError):
    code = "not_configured"


@dataclass(frozen=True)
class TransferRequest:
    """Where an agent sends a call: a flow or flow.state, the language, and who they identified (if anyone)."""

    target: str
    language: str
    cin: Sensitive | None = None


@dataclass(frozen=True)
class Transfer:
    """A done transfer, as the agent is told."""

    call_sid: str
    state: str
    language: str
    identity_verified: bool
    verified_by_agent: bool
    url: str


def transfer_request(
    target: object, language: object, cin: object = None, languages: Sequence[str] = LANGUAGES
) -> TransferRequest:
    """Check an agent's form or JSON fields and return them as a request; the CIN is marked sensitive.

    The language is one of those offered to callers (a language the studio alone recorded, once complete)."""
    if not isinstance(target, str) or not target.strip():
        raise BadTransfer("target is required: a flow or flow.state")
    if not isinstance(language, str) or language.strip() not in languages:
        raise BadTransfer(f"language is required: one of {', '.join(languages)}")
    if cin is not None and not isinstance(cin, str):
        raise BadTransfer("cin, when given, is the CIN's text")
    cin = cin.strip() if cin else ""
    return TransferRequest(target.strip()[:100], language.strip(), Sensitive(cin, "cin") if cin else None)


def entry_points(flows: FlowBook) -> list[str]:
    """Return the states an agent may send a call to (each flow's `agent_targets`), by name."""
    return sorted(flows.agent_targets)


def target_names(flows: FlowBook, language: str = "en") -> dict[str, str]:
    """Return what the console says of each state an agent may send a call to, in one of the agents' languages."""
    return {name: getattr(target, language) for name, target in sorted(flows.agent_targets.items())}


def resolve_target(flows: FlowBook, target: str) -> str:
    """Return the state a target names (a flow's name stands for the first of its `agent_targets`)."""
    allowed = entry_points(flows)
    name = target if "." in target else flows.flow_targets.get(target, target)
    if name not in allowed:
        raise UnknownTarget(f"{target!r} is not a flow or state a call can be sent to; one of: {', '.join(allowed)}")
    return name


def transfer_call(
    rt: Runtime, agent: AgentIdentity, call_sid: str, target: object, language: object, cin: object, request_root: str
) -> Transfer:
    """Prepare a call's session at the asked state and redirect the live call there; the call is named by its
    CallSid or its reference. Done or refused, the outcome goes to the agent's history with the target."""
    detail = {"target": str(target)[:100], "language": str(language)[:10], "agent_identified_person": bool(cin)}
    try:
        call_sid = named_call_sid(rt, call_sid)
        request = transfer_request(target, language, cin, offered_languages(rt))
        webhook_base = redirect_base(rt, request_root)
        with rt.store.transaction() as db:
            done = _transfer(rt, db, agent, call_sid, request, webhook_base)
            record(db, rt, agent.id, "transfer", "redirected", call_sid, {**detail, "state": done.state})
            _redirect(rt, call_sid, done.url)
            return done
    except AgentError as error:
        refused(rt, agent, call_sid, error, detail)
        raise
    except Exception:
        try:
            refused(rt, agent, call_sid, InternalFailure("the transfer failed unexpectedly"), detail)
        except Exception:
            log.exception("transfer of call %s: its failure could not be recorded in the agent's history", call_sid)
        raise


def refused(
    rt: Runtime, agent: AgentIdentity, call_sid: str, error: AgentError, detail: dict[str, object] | None = None
) -> AgentError:
    """Record a refused transfer in the agent's history: the error's code as its outcome, the target as asked
    (and the state it names, when it names one), Twilio's status and error code when Twilio refused. Return the
    error, for the caller to raise."""
    detail = {**(detail or {}), **error.details}
    target = str(detail.get("target", ""))
    if target in rt.flows.agent_targets or target in rt.flows.flow_targets:
        detail["state"] = resolve_target(rt.flows, target)
    audit(rt, agent, "transfer", error.code, call_sid[:64], detail)
    return error


def named_call_sid(rt: Runtime, key: str) -> str:
    """Return the CallSid a CallSid or a call's reference names (an unknown one as given: the transfer refuses it)."""
    try:
        with rt.store.transaction() as db:
            return call_named(db, key, rt.now()).call_sid
    except NoSuchCall:
        return key
    except AmbiguousReference as error:
        raise UnknownCall(str(error)) from None


def _transfer(
    rt: Runtime, db: Session, agent: AgentIdentity, call_sid: str, request: TransferRequest, webhook_base: str
) -> Transfer:
    state = resolve_target(rt.flows, request.target)
    call = lock_call(db, call_sid)
    if call is None:
        raise UnknownCall(f"no call {call_sid}")
    if call.status != "active":
        raise CallFinished(f"call {call_sid} has ended")
    if (call.flow, call.state) != in_queue(rt.flows):
        raise NotWithAdvisor(
            f"call {call_sid} is not with the advisors (it is at {call.flow}.{call.state}):"
            " it may have been transferred already"
        )
    person_id = identified_person(rt, db, request.cin) if request.cin else None
    check_file(db, rt.flows, state, person_id or (call.pre_registration_id if call.identity_verified else None))
    previous = f"{call.flow}.{call.state}"
    if person_id is not None:
        call.pre_registration_id, call.identity_verified = person_id, True
    call.language = request.language
    call.flow, call.state = state.split(".", 1)
    # The agent gives the caller a fresh start in this call; the lockouts across calls still count.
    call.misses, call.failed_checks = 0, 0
    seq, call.seq, call.updated_at = call.seq, call.seq + 1, rt.now()
    call.slots = {**(call.slots or {}), RESUME_SLOT: call.seq}
    db.add(
        CallEvent(
            call_session_id=call.id,
            seq=seq,
            at=call.updated_at,
            kind="agent",
            state=state,
            detail={
                "agent": agent.name,
                "agent_id": agent.id,
                "from_state": previous,
                "language": request.language,
                "identity": ("verified by agent " + agent.name)
                if person_id is not None
                else "verified by the caller"
                if call.identity_verified
                else "not verified",
            },
        )
    )
    url = f"{webhook_base.rstrip('/')}{RESUME_PATH}?seq={call.seq}"
    return Transfer(call_sid, state, request.language, call.identity_verified, person_id is not None, url)


def redirect_base(rt: Runtime, request_root: str) -> str:
    """Return where Twilio reaches the resume webhook: PUBLIC_BASE_URL, or the agent's request's own base
    when that is this machine (a demo)."""
    if public_base_url(rt.settings):
        return public_base_url(rt.settings)
    # The Host header is the sender's to choose: trusted, it would send a live call to another server.
    if urlsplit(request_root).hostname in LOCAL_HOSTS:
        return public_base_url(rt.settings, request_root)
    raise NotConfigured("transfers need PUBLIC_BASE_URL, the public address Twilio reaches this server at")


def identified_person(rt: Runtime, db: Session, cin: Sensitive) -> int:
    """Return the pre-registration of the CIN an agent typed, found by its digest as the importer stores it."""
    canonical = people.canonical_cin(cin.reveal())
    if canonical is None:
        raise BadTransfer("the CIN is not a CIN's shape (1 or 2 letters, then 3 to 7 digits)")
    person_id = db.scalar(
        select(PreRegistration.id).where(PreRegistration.cin_key == people.cin_key(rt.secret, canonical))
    )
    if person_id is None:
        raise UnknownPerson("no pre-registration has this CIN")
    return person_id


def check_file(db: Session, flows: FlowBook, state: str, person_id: int | None) -> None:
    """Refuse a state that works on the caller's file (its flow's or its own `requires`) when nobody was
    identified, or not registered yet."""
    requires = flows[state].requires
    if requires and person_id is None:
        raise BadTransfer(f"{state} needs an identified caller: give the CIN you checked")
    if (
        "registration" in requires
        and db.scalar(select(Registration.id).where(Registration.pre_registration_id == person_id)) is None
    ):
        # Where an identified caller without a registration may go: each such flow's own target.
        completing = sorted(name for name in flows.flow_targets.values() if flows[name].requires == {"person"})
        raise BadTransfer(f"{state} needs a completed registration: send the call to {' or '.join(completing)} first")


def _redirect(rt: Runtime, call_sid: str, url: str) -> None:
    """Update the live call's URL through Twilio's REST API."""
    client = make_client(rt.settings)
    try:
        client.calls(call_sid).update(url=url, method="POST")
    except TwilioRestException as error:
        said = {"twilio_status": error.status, "twilio_error": error.code}
        if error.code == CALL_NOT_IN_PROGRESS:
            raise CallFinished(f"Twilio says call {call_sid} is no longer in progress", **said) from None
        raise TwilioFailure(f"Twilio refused the redirect: HTTP {error.status}, error {error.code}", **said) from None
    except (requests.RequestException, TwilioException) as error:
        raise TwilioFailure(f"Twilio could not be reached ({type(error).__name__})") from None
    finally:
        close_client(client)
