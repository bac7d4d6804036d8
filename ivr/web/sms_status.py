"""Twilio's SMS delivery reports (the status callback of each credentials SMS)."""

from __future__ import annotations

from flask import Blueprint, request

from ivr.sms.outbox import record_status
from ivr.web.extension import current_runtime
from ivr.web.guards import acknowledge_on_fault
from ivr.web.signatures import require_twilio_signature

sms_webhooks = Blueprint("sms_webhooks", __name__)


@sms_webhooks.post("/sms/status")
@require_twilio_signature
@acknowledge_on_fault
def sms_status() -> tuple[str, int]:
    """Record a delivery report; Twilio needs no more than an empty answer."""
    message_sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus", "")
    if not message_sid or not status:
        return "MessageSid and MessageStatus are required", 400
    record_status(current_runtime(), message_sid, status, request.form.get("ErrorCode") or None)
    return "", 204
