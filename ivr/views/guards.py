"""What a webhook answers Twilio when something fails inside: never a 500."""
from __future__ import annotations

import functools
import logging

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException

from ivr import calls

log = logging.getLogger(__name__)


def twiml_response(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


def guarded(answer_on_fault):
    """Log any fault of a webhook and answer Twilio with answer_on_fault() instead of a 500."""

    def decorate(view):
        @functools.wraps(view)
        def run(*args, **kwargs):
            try:
                return view(*args, **kwargs)
            except HTTPException:
                raise
            except Exception:
                log.exception("webhook %s failed (CallSid %s, MessageSid %s)", request.path,
                              request.form.get("CallSid"), request.form.get("MessageSid"))
                return answer_on_fault()

        return run

    return decorate


# A voice step: the caller hears an apology and is offered the advisor.
apologise_on_fault = guarded(lambda: twiml_response(calls.fault_answer(current_app.extensions["ivr"])))
# A status callback: Twilio does not retry it and needs no body; the fault is in the log.
acknowledge_on_fault = guarded(lambda: ("", 204))
