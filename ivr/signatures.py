"""Check that a webhook really comes from Twilio (X-Twilio-Signature)."""
from __future__ import annotations

import functools
import logging

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger(__name__)


def public_url() -> str:
    """Return the URL Twilio called: PUBLIC_BASE_URL replaces scheme and host behind a proxy."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    if not base:
        return request.url
    path = request.full_path if request.query_string else request.path
    return base + path


def require_twilio_signature(view):
    """Refuse with 403 any request whose signature does not match TWILIO_AUTH_TOKEN."""

    @functools.wraps(view)
    def checked(*args, **kwargs):
        validator = RequestValidator(current_app.config["TWILIO_AUTH_TOKEN"])
        signature = request.headers.get("X-Twilio-Signature", "")
        if not validator.validate(public_url(), request.form.to_dict(), signature):
            log.warning("refused a webhook with a bad signature on %s", request.path)
            abort(403)
        return view(*args, **kwargs)

    return checked
