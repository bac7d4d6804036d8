"""The voice webhook an agent's transfer redirects a live call to."""

from __future__ import annotations

from flask import Blueprint, Response, request

from ivr.callflow.service import RESUME_PATH, resume_call
from ivr.web.extension import current_runtime
from ivr.web.guards import apologise_on_fault, twiml_response
from ivr.web.signatures import require_twilio_signature

bp = Blueprint("agent_voice", __name__)


@bp.post(RESUME_PATH)
@require_twilio_signature
@apologise_on_fault
def resume() -> Response:
    call_sid, seq = request.form.get("CallSid", ""), request.args.get("seq", type=int)
    return twiml_response(resume_call(current_runtime(), call_sid, seq, request_root=request.url_root))
