"""The agents' console: server-rendered pages, a login with the agent's token, CSRF-checked forms.

Every answer forbids caching (pages show callers' context) and framing (clickjacking). The session
cookie is Secure whenever the request came over HTTPS; refused tokens count against the client's
address as the API's do.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from typing import Any, ParamSpec

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from ivr.agents import accounts, sessions, transfers
from ivr.agents.accounts import AgentError
from ivr.agents.context import advisor_calls
from ivr.agents.refusals import TooManyRefusals, authenticate_from
from ivr.runtime import Runtime
from ivr.settings import public_base_url
from ivr.web.agent_api import PRIVATE_HEADERS, http_status
from ivr.web.clients import client_address, request_route
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)
P = ParamSpec("P")
bp = Blueprint("agent_console", __name__, url_prefix="/agent")

LANGUAGE_NAMES = {"ar": "Arabic (العربية)", "fr": "French (français)"}
CONSOLE_HEADERS = {
    **PRIVATE_HEADERS,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
}


class SecureOverHttps(SecureCookieSessionInterface):
    """Flask's signed session cookie, marked Secure on any request that came over HTTPS.

    request.is_secure is true behind a TLS-ending proxy too: gunicorn believes its X-Forwarded-Proto
    when it is a trusted proxy (FORWARDED_ALLOW_IPS).
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


def configure_sessions(app: Flask, runtime: Runtime) -> None:
    """Sign the console's session cookie with a key derived from the app's secret (unless one is set);
    the cookie is not sent cross-site, and only over HTTPS when the request came over it or the public URL is."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = hmac.new(runtime.secret, b"agent console sessions", hashlib.sha256).hexdigest()
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    if public_base_url(runtime.settings).startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
    app.session_interface = SecureOverHttps()


def csrf_token() -> str:
    """Return this session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def check_csrf() -> None:
    """Refuse any console POST whose form does not carry this session's CSRF token."""
    if request.method != "POST":
        return None
    sent, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        log.warning("agent console: refused a POST to %s without a valid CSRF token", request.path)
        abort(400, "This form has expired or did not come from the console: reload the page and try again.")
    return None


@bp.after_request
def protect(response: Response) -> Response:
    """Forbid caching, framing and content sniffing of every console answer."""
    response.headers.update(CONSOLE_HEADERS)
    return response


@bp.app_context_processor
def console_helpers() -> dict[str, Any]:
    return {
        "csrf_token": csrf_token,
        "language_names": LANGUAGE_NAMES,
        "target_names": transfers.target_names(current_runtime().flows),
    }


def signed_in(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Let only a live session of an agent who is still active through; the agent is in g.agent."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        key = session.get("console")
        try:
            g.agent = sessions.resume_session(current_runtime(), key)
        except AgentError as error:
            session.clear()
            if request.method == "POST":
                abort(http_status(error), str(error))
            if key:
                flash(str(error), "error")
            return redirect(url_for("agent_console.login"))
        return view(*args, **kwargs)

    return checked


@bp.get("/")
def home() -> Response:
    return redirect(url_for("agent_console.console"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("agent/login.html")
    try:
        agent = authenticate_from(
            current_runtime(), request.form.get("token", "").strip(), client_address(), request_route()
        )
    except TooManyRefusals as error:
        message = f"Too many wrong tokens were sent from your address: try again in {error.wait}."
        return render_template("agent/login.html", error=message), 429, {"Retry-After": str(error.retry_after)}
    except AgentError:
        return render_template("agent/login.html", error="Unknown token, or this agent is disabled."), 401
    sessions.end_session(current_runtime(), session.get("console"), "replaced")
    session.clear()  # a new session (and CSRF token) for the signed-in agent
    session["console"] = sessions.start_session(current_runtime(), agent)
    return redirect(url_for("agent_console.console"), 303)


@bp.post("/logout")
def logout() -> Response:
    sessions.end_session(current_runtime(), session.get("console"))
    session.clear()
    return redirect(url_for("agent_console.login"), 303)


@bp.get("/console")
@signed_in
def console() -> str:
    return render_template(
        "agent/calls.html",
        agent=g.agent,
        calls=advisor_calls(current_runtime(), g.agent),
        targets=transfers.entry_points(current_runtime().flows),
        recent=accounts.recent_actions(current_runtime(), g.agent),
    )


@bp.post("/console/calls/<call_sid>/transfer")
@signed_in
def transfer(call_sid: str) -> Response:
    form = request.form
    try:
        done = transfers.transfer_call(
            current_runtime(),
            g.agent,
            call_sid,
            form.get("target"),
            form.get("language"),
            form.get("cin") or None,
            request.url_root,
        )
    except AgentError as error:
        flash(f"Call {call_sid} was not transferred: {error}", "error")
    else:
        who = (
            "identity verified by you"
            if done.verified_by_agent
            else ("identity verified" if done.identity_verified else "identity not verified")
        )
        flash(f"Call {call_sid} sent to {done.state} in {LANGUAGE_NAMES[done.language]} ({who}).", "done")
    return redirect(url_for("agent_console.console"), 303)
