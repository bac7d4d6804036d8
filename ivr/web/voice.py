"""Voice webhooks: parse Twilio's parameters, call the call services, answer TwiML."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ivr.callflow import service
from ivr.web.extension import current_runtime
from ivr.web.guards import acknowledge_on_fault, apologise_on_fault, twiml_response
from ivr.web.signatures import require_twilio_signature

bp = Blueprint("voice", __name__, url_prefix="/voice")


@bp.post("/incoming")
@require_twilio_signature
@apologise_on_fault
def incoming() -> Response:
    form = request.form
    return twiml_response(
        service.start_call(
            current_runtime(),
            form.get("CallSid", ""),
            form.get("From", ""),
            form.get("To", ""),
            request_root=request.url_root,
        )
    )


@bp.post("/step")
@require_twilio_signature
@apologise_on_fault
def step() -> Response:
    form = request.form
    event = service.CallerEvent(digits=form.get("Digits"), dial_status=form.get("DialCallStatus"))
    seq = request.args.get("seq", type=int)
    return twiml_response(
        service.continue_call(current_runtime(), form.get("CallSid", ""), seq, event, request_root=request.url_root)
    )


@bp.post("/status")
@require_twilio_signature
@acknowledge_on_fault
def status() -> tuple[str, int]:
    service.end_call(current_runtime(), request.form.get("CallSid", ""), request.form.get("CallStatus", ""))
    return "", 204
