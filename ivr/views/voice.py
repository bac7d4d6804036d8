"""Voice webhooks: parse Twilio's parameters, call the call services, answer TwiML."""
from __future__ import annotations

from flask import Blueprint, current_app, request

from ivr import calls
from ivr.signatures import require_twilio_signature
from ivr.views.guards import acknowledge_on_fault, apologise_on_fault, twiml_response

bp = Blueprint("voice", __name__, url_prefix="/voice")


def runtime():
    return current_app.extensions["ivr"]


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
@acknowledge_on_fault
def status():
    calls.end_call(runtime(), request.form.get("CallSid", ""), request.form.get("CallStatus", ""))
    return "", 204
