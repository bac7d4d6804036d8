"""The agents' JSON API: read the calls sent to advisors, transfer a live call into a flow (Bearer token).

Answers are never cached (they hold callers' context); an unexpected failure is a JSON 500 that names
no internals. Refused tokens are logged and recorded by client address, which too many turn away (429).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec

from flask import Blueprint, g, jsonify, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ivr.agents import transfers
from ivr.agents.accounts import AgentDisabled, AgentError, AgentIdentity, BadToken
from ivr.agents.context import UnknownCall, advisor_calls, call_context
from ivr.agents.refusals import TooManyRefusals, authenticate_from
from ivr.agents.sessions import SessionEnded
from ivr.agents.transfers import (
    BadTransfer,
    CallFinished,
    NotConfigured,
    NotWithAdvisor,
    TwilioFailure,
    UnknownPerson,
    UnknownTarget,
)
from ivr.web.clients import client_address, request_route
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)
P = ParamSpec("P")
bp = Blueprint("agent_api", __name__, url_prefix="/agent")

HTTP_STATUS = {
    BadToken: 401,
    AgentDisabled: 403,
    UnknownCall: 404,
    UnknownPerson: 404,
    UnknownTarget: 400,
    BadTransfer: 400,
    CallFinished: 409,
    NotWithAdvisor: 409,
    TwilioFailure: 502,
    SessionEnded: 401,
    NotConfigured: 503,
    TooManyRefusals: 429,
}
PRIVATE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache", "X-Content-Type-Options": "nosniff"}


def http_status(error: AgentError) -> int:
    return HTTP_STATUS.get(type(error), 400)


def error_answer(error: AgentError) -> Response:
    response = jsonify(error=error.code, message=str(error))
    response.status_code = http_status(error)
    if isinstance(error, BadToken):
        response.headers["WWW-Authenticate"] = 'Bearer realm="agents"'
    if isinstance(error, TooManyRefusals):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.after_request
def protect(response: Response) -> Response:
    """Forbid caching and content sniffing of every API answer."""
    response.headers.update(PRIVATE_HEADERS)
    return response


@bp.errorhandler(Exception)
def unexpected(error: Exception) -> ResponseReturnValue:
    """Answer an HTTP error or an unexpected failure in JSON, without the failure's details."""
    if isinstance(error, HTTPException):
        return jsonify(error="http_error", message=error.name), error.code or 500
    log.error("agent API: %s %s failed", request.method, request.path, exc_info=error)
    return jsonify(error="internal_error", message="The server failed to do this; check the call and retry."), 500


def bearer_agent(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Let only an active agent's `Authorization: Bearer <token>` through; the agent is in g.agent."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        try:
            g.agent = _agent_of_request()
            return view(*args, **kwargs)
        except AgentError as error:
            return error_answer(error)

    return checked


def _agent_of_request() -> AgentIdentity:
    """Return the agent of the request's bearer token, if the client's address may still try tokens."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    try:
        return authenticate_from(current_runtime(), token, client_address(), request_route())
    except BadToken:
        if not token:
            raise BadToken("an agent token is required: Authorization: Bearer <token>") from None
        raise


@bp.get("/calls")
@bearer_agent
def list_calls() -> Response:
    return jsonify(calls=advisor_calls(current_runtime(), g.agent))


@bp.get("/calls/<call_sid>")
@bearer_agent
def show_call(call_sid: str) -> Response:
    """One call's context, named by its CallSid or its reference ("K7Q-4MZ", a call of the last 7 days)."""
    return jsonify(call_context(current_runtime(), g.agent, call_sid))


@bp.post("/calls/<call_sid>/transfer")
@bearer_agent
def transfer(call_sid: str) -> Response:
    """Send a call waiting for an advisor (named by its CallSid or its reference) into a flow."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        expected = BadTransfer('a JSON object is expected: {"target": ..., "language": ..., "cin": ...}')
        raise transfers.refused(current_runtime(), g.agent, call_sid, expected, {"target": ""})
    done = transfers.transfer_call(
        current_runtime(),
        g.agent,
        call_sid,
        body.get("target"),
        body.get("language"),
        body.get("cin"),
        request.url_root,
    )
    return jsonify(
        call_sid=done.call_sid,
        state=done.state,
        language=done.language,
        identity_verified=done.identity_verified,
        verified_by_agent=done.verified_by_agent,
        agent=g.agent.name,
    )
