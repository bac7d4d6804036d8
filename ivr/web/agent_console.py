"""The agents' console: server-rendered pages in French or Arabic, a login with the agent's token, CSRF-checked forms.

The queue is a fragment the page polls every second (htmx, served from /static/agent/): it answers 204 while
nothing but the waiting times changed, so the page is not redrawn under the agent's keyboard, and the times
tick in a small static script. Each call opens its own page with the transfer form, which nothing polls.
A transfer is asked, then confirmed on a page that names the target in words, then done.

Every answer forbids caching (pages show callers' context) and framing (clickjacking), and runs no inline
script or style. The session cookie is Secure whenever the request came over HTTPS; refused tokens count
against the client's address as the API's do.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping
from datetime import datetime
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
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ivr.agents import accounts, sessions, transfers
from ivr.agents.accounts import AgentError
from ivr.agents.context import advisor_calls, call_context
from ivr.agents.refusals import TooManyRefusals, authenticate_from
from ivr.audio.offered import offered_languages
from ivr.callflow.calls import call_reference
from ivr.runtime import Runtime
from ivr.settings import public_base_url
from ivr.web import console_locale
from ivr.web.agent_api import PRIVATE_HEADERS, http_status
from ivr.web.clients import client_address, request_route
from ivr.web.console_words import ERRORS, error_words, in_words, language_name, outcome_words, waited, when
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)
P = ParamSpec("P")
bp = Blueprint("agent_console", __name__, url_prefix="/agent")

CONSOLE_HEADERS = {
    **PRIVATE_HEADERS,
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self';"
        " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
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
        abort(400, _("This form has expired or did not come from the console: reload the page and try again."))
    return None


@bp.after_request
def protect(response: Response) -> Response:
    """Forbid caching, framing and content sniffing of every console answer; keep a language asked in the URL."""
    response.headers.update(CONSOLE_HEADERS)
    return console_locale.keep_choice(response)


@bp.errorhandler(HTTPException)
def error_page(error: HTTPException) -> ResponseReturnValue:
    """Answer a refused console request with a page in the agent's language (the words the view gave, if any)."""
    given = error.description if error.description != type(error).description else None
    message = given or _("This page could not be shown. Go back to the queue and try again.")
    return render_template("agent/error.html", message=message), error.code or 500


@bp.app_context_processor
def console_helpers() -> dict[str, Any]:
    language = console_locale.chosen_language()
    return {
        "csrf_token": csrf_token,
        "lang": language,
        "direction": console_locale.text_direction(language),
        "agent_languages": console_locale.LANGUAGES,
        "language_name": language_name,
        "switch_url": switch_url,
        "when": when,
        "waited": waited,
        "target_names": transfers.target_names(current_runtime().flows, language),
        "is_supervisor": is_supervisor,
    }


def is_supervisor() -> bool:
    """Tell whether the signed-in account may open the supervisors' pages (asked only where a page shows the link)."""
    agent = g.get("agent")
    return agent is not None and accounts.role_of(current_runtime(), agent) == accounts.SUPERVISOR


def switch_url(language: str) -> str:
    """Return this page in another language (the console for a page that answered a form)."""
    if request.method != "GET" or request.endpoint is None or request.endpoint.endswith(".queue"):
        return url_for("agent_console.console", lang=language)
    return url_for(request.endpoint, **(request.view_args or {}), lang=language)


def queue_signature(calls: list[dict[str, Any]]) -> str:
    """Return what identifies what the queue shows but the waiting times: the page is redrawn when it changes."""
    shown = [{key: value for key, value in call.items() if key != "waited_seconds"} for call in calls]
    return hashlib.sha256(json.dumps(shown, sort_keys=True, default=str).encode()).hexdigest()[:16]


def signed_in(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Let only a live session of an agent who is still active through; the agent is in g.agent."""

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        key, polled = session.get("console"), bool(request.headers.get("HX-Request"))
        try:
            g.agent = sessions.resume_session(current_runtime(), key)
            idle_behind_polls(key, polled)
        except AgentError as error:
            session.clear()
            if request.method == "POST":
                abort(http_status(error), error_words(error))
            if key:
                flash(error_words(error), "error")
            if polled:  # the whole page goes to the login
                return Response(status=204, headers={"HX-Redirect": url_for("agent_console.login")})
            return redirect(url_for("agent_console.login"))
        return view(*args, **kwargs)

    return checked


def idle_behind_polls(key: str | None, polled: bool) -> None:
    """End a session whose console only polled the queue for 30 minutes: polls are requests, not the agent's activity.

    The store's session sees every request (a poll too); the cookie keeps when the agent last did something
    (opened a page, sent a form), and a poll past the idle limit after it ends the session as idle.
    """
    now = current_runtime().now()
    if not polled or "acted_at" not in session:
        session["acted_at"] = now.isoformat()
        return
    if now - datetime.fromisoformat(session["acted_at"]) >= sessions.IDLE_LIMIT:
        sessions.end_session(current_runtime(), key, "idle")
        raise sessions.SessionEnded(sessions.ENDED["idle"])


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
        return (
            render_template("agent/login.html", error=error_words(error)),
            429,
            {"Retry-After": str(error.retry_after)},
        )
    except AgentError:
        return render_template("agent/login.html", error=str(ERRORS["bad_token"])), 401
    sessions.end_session(current_runtime(), session.get("console"), "replaced")
    session.clear()  # a new session (and CSRF token) for the signed-in agent
    session["console"] = sessions.start_session(current_runtime(), agent)
    return redirect(url_for("agent_console.console"), 303)


@bp.post("/logout")
def logout() -> Response:
    sessions.end_session(current_runtime(), session.get("console"))
    session.clear()
    return redirect(url_for("agent_console.login"), 303)


def queue_calls() -> list[dict[str, Any]]:
    language = console_locale.chosen_language()
    return [in_words(call, language) for call in advisor_calls(current_runtime(), g.agent)]


@bp.get("/console")
@signed_in
def console() -> str:
    calls = queue_calls()
    return render_template(
        "agent/console.html",
        agent=g.agent,
        calls=calls,
        signature=queue_signature(calls),
        recent=history(),
    )


@bp.get("/console/queue")
@signed_in
def queue() -> ResponseReturnValue:
    """The queue alone, for the console's poll: 204 (nothing to redraw) while only the waiting times changed."""
    calls = queue_calls()
    signature = queue_signature(calls)
    if request.args.get("seen") == signature:
        return Response(status=204)
    return render_template("agent/_queue.html", calls=calls, signature=signature, polled=True)


def history() -> list[dict[str, Any]]:
    """Return the agent's latest transfers as the console shows them: when, which call, the outcome in words."""
    names = transfers.target_names(current_runtime().flows, console_locale.chosen_language())
    shown = []
    for action in accounts.recent_actions(current_runtime(), g.agent):
        detail = action.detail or {}
        target = detail.get("state") or detail.get("target") or ""
        done = action.outcome == "redirected"
        shown.append(
            {
                "at": action.at,
                "call": call_reference(action.call_sid) if action.call_sid else "",
                "done": done,
                "outcome": _("sent") if done else outcome_words(action.outcome),
                "target": names.get(target) or names.get(transfers_target(target)) or target,
                "language": language_name(detail.get("language")) if detail.get("language") else "",
            }
        )
    return shown


def transfers_target(target: str) -> str:
    """Return the state a target names, or the target itself when it names none."""
    try:
        return transfers.resolve_target(current_runtime().flows, target)
    except AgentError:
        return target


@bp.get("/console/calls/<call_sid>")
@signed_in
def call_page(call_sid: str) -> ResponseReturnValue:
    return show_call(call_sid, {})


def show_call(
    call_sid: str, chosen: Mapping[str, str], error: str | None = None, status: int = 200
) -> ResponseReturnValue:
    """Render one call's page with its transfer form, the agent's choices kept."""
    try:
        call = in_words(call_context(current_runtime(), g.agent, call_sid), console_locale.chosen_language())
    except AgentError as refused:
        flash(error_words(refused), "error")
        return redirect(url_for("agent_console.console"), 303)
    return (
        render_template(
            "agent/call.html",
            agent=g.agent,
            call=call,
            targets=transfers.entry_points(current_runtime().flows),
            caller_languages=offered_languages(current_runtime()),
            chosen={"language": call.get("language") or "", **chosen},
            error=error,
        ),
        status,
    )


@bp.post("/console/calls/<call_sid>/transfer")
@signed_in
def transfer(call_sid: str) -> ResponseReturnValue:
    """Ask (the confirmation page), change (the call's page, choices kept) or, once confirmed, do a transfer."""
    form = request.form
    chosen = {"target": form.get("target", ""), "language": form.get("language", ""), "cin": form.get("cin", "")}
    if form.get("change"):
        return show_call(call_sid, chosen)
    chosen["target"] = transfers_target(chosen["target"].strip())  # a flow's name stands for its first target
    if chosen["target"] not in transfers.entry_points(current_runtime().flows):
        return show_call(call_sid, chosen, _("Choose where to send the call, then confirm."), 400)
    if chosen["language"] not in offered_languages(current_runtime()):
        return show_call(call_sid, chosen, _("Choose the language the caller will hear."), 400)
    if form.get("confirmed") != "yes":
        try:
            call = in_words(call_context(current_runtime(), g.agent, call_sid), console_locale.chosen_language())
        except AgentError as refused:
            flash(error_words(refused), "error")
            return redirect(url_for("agent_console.console"), 303)
        return render_template("agent/confirm.html", agent=g.agent, call=call, chosen=chosen)
    try:
        done = transfers.transfer_call(
            current_runtime(),
            g.agent,
            call_sid,
            chosen["target"],
            chosen["language"],
            chosen["cin"] or None,
            request.url_root,
        )
    except AgentError as error:
        if error.code == "unknown_call":
            flash(error_words(error), "error")
            return redirect(url_for("agent_console.console"), 303)
        return show_call(call_sid, chosen, error_words(error), http_status(error))
    except Exception:  # the service recorded it as internal_error; the agent keeps their page and choices
        log.exception("agent console: the transfer of %s failed unexpectedly", call_sid)
        return show_call(call_sid, chosen, str(ERRORS["internal_error"]), 500)
    if done.verified_by_agent:
        who = _("identity verified by you")
    elif done.identity_verified:
        who = _("identity verified")
    else:
        who = _("identity not verified")
    flash(
        _(
            "Call %(call)s sent to “%(target)s”, in %(language)s (%(who)s).",
            call=request.form.get("reference") or call_sid,
            target=transfers.target_names(current_runtime().flows, console_locale.chosen_language()).get(
                done.state, done.state
            ),
            language=language_name(done.language),
            who=who,
        ),
        "done",
    )
    return redirect(url_for("agent_console.console"), 303)
