"""Check that a webhook really comes from Twilio (X-Twilio-Signature)."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Callable
from typing import ParamSpec

from flask import abort, request
from flask.typing import ResponseReturnValue
from twilio.request_validator import RequestValidator
from werkzeug.datastructures import MultiDict

from ivr.settings import public_base_url
from ivr.web.extension import current_runtime

log = logging.getLogger(__name__)
P = ParamSpec("P")


def public_url() -> str:
    """Return the URL Twilio called: PUBLIC_BASE_URL replaces scheme and host behind a proxy."""
    base = public_base_url(current_runtime().settings)
    if not base:
        return request.url
    path = request.full_path if request.query_string else request.path
    return base + path


def repeated_with_different_values(params: MultiDict[str, str]) -> list[str]:
    """Return the names of the parameters given more than once with different values."""
    return sorted(name for name in params if len(set(params.getlist(name))) > 1)


def signed_for(validator: RequestValidator, url: str, params: MultiDict[str, str], signature: str) -> bool:
    """Tell whether a signature is Twilio's for this URL and these parameters.

    The URL as called is tried first: one HMAC for the usual request, where the SDK's validate() computes two
    (the URL with and without its port) and is asked only when the first does not match.
    """
    expected = validator.compute_signature(url, params)
    return hmac.compare_digest(expected.encode(), signature.encode()) or validator.validate(url, params, signature)


def require_twilio_signature(view: Callable[P, ResponseReturnValue]) -> Callable[P, ResponseReturnValue]:
    """Refuse with 403 any request whose signature does not match TWILIO_AUTH_TOKEN.

    Every value of every parameter is signed, as Twilio signs them. A signed request that still
    gives one parameter two different values (Twilio never does) is refused with 400, so that no
    view has to choose which one to believe.
    """

    @functools.wraps(view)
    def checked(*args: P.args, **kwargs: P.kwargs) -> ResponseReturnValue:
        validator = RequestValidator(current_runtime().settings["TWILIO_AUTH_TOKEN"])
        signature = request.headers.get("X-Twilio-Signature", "")
        if not signed_for(validator, public_url(), request.form, signature):
            log.warning("refused a webhook with a bad signature on %s", request.path)
            abort(403)
        repeated = repeated_with_different_values(request.form) + repeated_with_different_values(request.args)
        if repeated:
            log.warning(
                "refused a signed webhook on %s giving %s more than one value",
                request.path,
                ", ".join(name[:40] for name in repeated[:5]),
            )
            abort(400)
        return view(*args, **kwargs)

    return checked
