"""Voice webhooks: parse Twilio's parameters, call the call services, answer TwiML."""

from __future__ import annotations

from flask import Blueprint, request

from ivr.callflow import service
from ivr.runtime import current_runtime
from ivr.web.guards import acknowledge_on_fault, apologise_on_fault, twiml_response
from ivr.web.signatures import require_twilio_signature

bp = Blueprint("voice", __name__, url_prefix="/voice")


@bp.post("/incoming")
@require_twilio_signature
@apologise_on_fault
def incoming():
    form = request.form
    return twiml_response(
        service.start_call(current_runtime(), form.get("CallSid", ""), form.get("From", ""), form.get("To", ""))
    )


@bp.post("/step")
@require_twilio_signature
@apologise_on_fault
def step():
    form = request.form
    event = service.CallerEvent(digits=form.get("Digits"), dial_status=form.get("DialCallStatus"))
    return twiml_response(
        service.continue_call(current_runtime(), form.get("CallSid", ""), request.args.get("seq", type=int), event)
    )


@bp.post("/status")
@require_twilio_signature
@acknowledge_on_fault
def status():
    service.end_call(current_runtime(), request.form.get("CallSid", ""), request.form.get("CallStatus", ""))
    return "", 204
