"""Voice webhooks: parse Twilio's parameters, call the call services, answer TwiML."""
from __future__ import annotations

import functools
import logging

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ivr import calls
from ivr.signatures import require_twilio_signature

log = logging.getLogger(__name__)
bp = Blueprint("voice", __name__, url_prefix="/voice")


def twiml_response(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


def runtime():
    return current_app.extensions["ivr"]


def apologise_on_fault(view):
    """Answer any fault with valid TwiML (an apology, the advisor), never a 500."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except HTTPException:
            raise
        except Exception:
            log.exception("voice webhook %s failed (CallSid %s)", request.path, request.form.get("CallSid"))
            return twiml_response(calls.fault_answer(runtime()))

    return guarded


@bp.post("/incoming")
@require_twilio_signature
@apologise_on_fault
def incoming():
    form = request.form
    return twiml_response(calls.start_call(runtime(), form.get("CallSid", ""), form.get("From", ""), form.get("To", "")))


@bp.post("/step")
@require_twilio_signature
@apologise_on_fault
def step():
    form = request.form
    event = calls.CallerEvent(digits=form.get("Digits"), dial_status=form.get("DialCallStatus"))
    return twiml_response(calls.continue_call(runtime(), form.get("CallSid", ""), request.args.get("seq", type=int), event))


@bp.post("/status")
@require_twilio_signature
def status():
    calls.end_call(runtime(), request.form.get("CallSid", ""), request.form.get("CallStatus", ""))
    return "", 204
