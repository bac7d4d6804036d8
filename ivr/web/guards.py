"""What a webhook answers Twilio when something fails inside: never a 500."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from flask import Flask, Response, abort, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from ivr.callflow import service
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)
# A Twilio webhook is a few KB, an agent's form (token, CSRF token, CIN) less: no request needs more.
MAX_BODY_BYTES = 64 * 1024
P = ParamSpec("P")
View = Callable[P, ResponseReturnValue]


def twiml_response(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


def guarded(answer_on_fault: Callable[[], ResponseReturnValue]) -> Callable[[View[P]], View[P]]:
    """Log any fault of a webhook and answer Twilio with answer_on_fault() instead of a 500."""

    def decorate(view: View[P]) -> View[P]:
        @functools.wraps(view)
        def run(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
            try:
                return view(*args, **kwargs)
            except HTTPException:
                raise
            except Exception:
                log.exception(
                    "webhook %s failed (CallSid %s, MessageSid %s)",
                    request.path,
                    request.form.get("CallSid"),
                    request.form.get("MessageSid"),
                )
                return answer_on_fault()

        return run

    return decorate


# A voice step: the caller hears an apology and is offered the advisor.
apologise_on_fault = guarded(
    lambda: twiml_response(service.fault_answer(current_runtime(), request_root=request.url_root))
)
# A status callback: Twilio does not retry it and needs no body; the fault is in the log.
acknowledge_on_fault = guarded(lambda: ("", 204))


def limit_request_bodies(app: Flask) -> None:
    """Refuse with 413 any body above MAX_BODY_BYTES: announced, before a byte of it is read."""
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES

    @app.before_request
    def refuse_a_large_body() -> None:
        # First of the hooks, on every route (even one that never reads its body): nothing else to wait for.
        limit = request.max_content_length or MAX_BODY_BYTES
        if request.content_length is not None:
            if request.content_length > limit:
                log.warning("refused a %d-byte body on %s", request.content_length, request.path)
                abort(413)
        elif "chunked" in request.headers.get("Transfer-Encoding", "").lower():
            # Werkzeug reads a body of unknown length up to the limit and silently drops the rest:
            # keep what it read for the view, and refuse the body if anything is left.
            request.get_data(cache=True)
            if request.environ["wsgi.input"].read(1):
                log.warning("refused a chunked body of more than %d bytes on %s", limit, request.path)
                abort(413)
