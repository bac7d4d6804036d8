"""Turn a call of the audit trail into a scenario, its sensitive inputs replaced by a demo person's."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from ivr.callflow.engine import ANSWERED_DIAL_STATUSES
from ivr.flows.loader import FlowBook
from ivr.registration.mobiles import mobile_from_keypad
from ivr.runtime import Runtime
from ivr.store.models import CallEvent, CallSession

REDACTED = "‹redacted›"
WITH_MOBILE, WITHOUT_MOBILE = "ZZ100101", "ZZ100102"  # demo people: Amina (mobile on file), Youssef (none)
EXPORT_FROM = "+212600000199"  # a real caller's number stays in the audit trail, not in a replay file
# A mobile the caller typed is theirs too: the export types this one, or a wrong shape where theirs was refused.
EXPORT_MOBILE, EXPORT_MOBILE_KEYS, WRONG_MOBILE_KEYS = "+212600000198", "0600000198", "061234"
MOBILE_ENTRY = "completion.ask_mobile"
WRONG_BIRTH_DATE = "01011950"  # no demo person's
WRONG_SHAPE = {"identity.ask_cin": "12#", "identity.ask_birth_date": "99999999"}
SENSITIVE_ENTRIES = ("identity.ask_cin", "identity.ask_birth_date")
UNANSWERED = {"busy": "busy"}  # every other unanswered dial status plays as no-answer


class ExportError(Exception):
    """The call cannot be exported (unknown, or a step the exporter cannot replay)."""


@dataclass
class _Export:
    flows: FlowBook  # to find a menu's keys
    steps: list[str] = field(default_factory=list)
    given: dict = field(default_factory=dict)
    person: str = WITH_MOBILE
    clock: str | None = None
    failures: int = 0


def export_call(rt: Runtime, call_sid: str) -> str:
    """Return the scenario (YAML text) of a recorded call."""
    with rt.store.transaction() as db:
        call = db.scalars(select(CallSession).where(CallSession.call_sid == call_sid)).first()
        if call is None:
            raise ExportError(f"no call {call_sid} in the audit trail")
        events = list(db.scalars(select(CallEvent).where(CallEvent.call_session_id == call.id).order_by(CallEvent.id)))
        slots, started_at, from_number = dict(call.slots or {}), call.started_at, call.from_number
    steps = [e for e in events if e.kind == "step"]
    if not steps:
        raise ExportError(f"call {call_sid} has no recorded step")
    export = _Export(flows=rt.flows)
    if (slots.get("languages") or ["ar"])[0] != "ar":
        export.given["last_language"] = slots["languages"][0]
    asked, last = None, steps[0]
    for event in events:
        if event.kind == "agent":
            # An agent's redirect comes from outside the call: no caller step can replay it.
            export.steps.append(f"# Here an agent moved the call to {event.state}: the export stops.")
            export.steps.append("- hangup")
            break
        if event.kind == "status":
            export.steps.append("- expect_end" if last.detail.get("then") == "hangup" else "- hangup")
            break
        if event.kind != "step":
            continue
        if asked is not None:
            _caller_action(export, asked, event.detail)
        _server_answer(export, event.detail, slots, started_at)
        asked, last = event.state, event
    return _yaml(export, call_sid, started_at, "anonymous" if from_number == "anonymous" else EXPORT_FROM)


def _caller_action(export: _Export, asked: str, detail: dict) -> None:
    """Add what the caller did to reach this step."""
    actions = detail.get("actions", {})
    if "dial_status" in detail:
        status = detail["dial_status"]
        export.steps.append(
            "- advisor: answers"
            if status in ANSWERED_DIAL_STATUSES
            else f"- advisor: {UNANSWERED.get(status, 'no-answer')}"
        )
        return
    typed = detail.get("input", "")
    if typed == "":
        export.steps.append("- wait")
        return
    if typed.startswith(REDACTED):
        typed = _replacement(export, asked, detail, actions)
    elif asked == MOBILE_ENTRY:
        typed = _mobile_replacement(typed)  # an audit trail of before mobiles were redacted
    export.steps.append(f"- press: {json.dumps(typed)}")


def _mobile_replacement(typed: str) -> str:
    """Return test keys for a typed mobile: valid where the caller's was, of a wrong shape where it was not."""
    digits = typed.rstrip("#")
    if sum(key.isdigit() for key in digits) <= 4:
        return typed  # a star, 0 for the advisor, a few keys: nothing that tells who called
    finish = "#" if typed.endswith("#") else ""
    return (EXPORT_MOBILE_KEYS if mobile_from_keypad(digits) else WRONG_MOBILE_KEYS) + finish


def _replacement(export: _Export, asked: str, detail: dict, actions: dict) -> str:
    """Return test data's keys for a redacted input, taking the path the recorded ones took."""
    if not detail.get("path") and not detail.get("miss"):
        return "*"  # keys with a star repeat the question: nothing else leaves the path empty
    if asked == MOBILE_ENTRY:
        return WRONG_MOBILE_KEYS if detail.get("miss") == "invalid" else EXPORT_MOBILE_KEYS
    if asked not in SENSITIVE_ENTRIES:
        if detail.get("miss") == "invalid":
            return _invalid_key(export.flows[asked].keys)  # a menu's keys are redacted when several
        raise ExportError(f"a redacted input at {asked}: no test value is known for it")
    if detail.get("miss") == "invalid":
        return WRONG_SHAPE[asked]
    if asked == "identity.ask_cin":
        if actions.get("cin_lockout") == "locked":
            export.given["locked_out"] = "cin"
        return "{cin_digits}#"
    verdict = actions.get("verify_identity")
    if verdict == "verified":
        return "{birth_date}"
    if verdict == "locked":
        # The recorded CIN had failed before this call; the test person's must have failed as often.
        export.given["failed_checks"] = {"cin": max(0, 4 - export.failures)}
    export.failures += 1
    return WRONG_BIRTH_DATE


def _invalid_key(keys: dict) -> str:
    """Return a key that is no choice of a menu (nor a key every question reserves)."""
    for key in "987654321":
        if key not in keys:
            return key
    raise ExportError("a redacted input at a menu that takes every key: no invalid key is known for it")


def _server_answer(export: _Export, detail: dict, slots: dict, started_at: datetime) -> None:
    """Add what the caller must hear: the prompts said, a transfer, an SMS; note the state that mattered."""
    actions = detail.get("actions", {})
    if actions.get("caller_lockout") == "locked":
        export.given["locked_out"] = "caller"
    if actions.get("route_verified_caller") in ("already_complete", "resend"):
        export.given["registered"] = True
    if actions.get("request_credentials") == "limit_reached":
        export.given.update(registered=True, credentials_sent=3)
    if actions.get("mobile_on_file") == "none":
        export.person = WITHOUT_MOBILE
    if "advisor_hours" in actions:
        export.clock = started_at.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    export.steps.extend(f"- expect: {key}" for key in detail.get("said", []))
    if detail.get("transfer"):
        export.steps.append(f"- expect_transfer: {{reason: {detail['transfer']}}}")
    if actions.get("request_credentials") == "queued":
        typed = slots.get("typed_mobile")
        export.steps.append(f"- expect_sms: {{to: {json.dumps(EXPORT_MOBILE)}}}" if typed else "- expect_sms")


def _yaml(export: _Export, call_sid: str, started_at: datetime, from_number: str) -> str:
    lines = [
        f"# Exported from the audit trail of call {call_sid}: the keys typed and the prompts said, step by step.",
        "# CIN and birth date were never stored: they are the demo person's, or wrong ones where the check failed.",
        f"name: {json.dumps(f'Recorded call {call_sid} of {started_at:%Y-%m-%d %H:%M} UTC')}",
        f"caller: {{from: {json.dumps(from_number)}, person: {export.person}}}",
    ]
    if export.given:
        lines.append("given: " + json.dumps(export.given).replace('"', ""))
    if export.clock:
        lines.append(f"clock: {json.dumps(export.clock)}")
    lines.append("steps:")
    lines.extend(f"  {step}" for step in export.steps)
    return "\n".join(lines) + "\n"
