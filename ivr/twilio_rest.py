"""Twilio's REST client, pointed at TWILIO_API_BASE_URL (Twilio's, or a local stand-in in tests)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

DEFAULT_API_BASE_URL = "https://api.twilio.com"
REQUEST_TIMEOUT_SECONDS = 10.0


def is_twilio_host(host: str) -> bool:
    """Tell whether a host name is one of Twilio's own."""
    host = host.lower()
    return host == "twilio.com" or host.endswith(".twilio.com")


class BaseUrlClient(Client):
    """A Twilio client that sends every request to one base URL instead of *.twilio.com."""

    def __init__(self, username: str, password: str, api_base_url: str, http_client: TwilioHttpClient):
        super().__init__(username, password, http_client=http_client)
        self.api_base = urlsplit(api_base_url.rstrip("/"))

    def get_hostname(self, uri: str) -> str:
        """Swap the scheme and host of a Twilio URL for the base URL's (keeping the path)."""
        if is_twilio_host(self.api_base.hostname or ""):
            return super().get_hostname(uri)
        parts = urlsplit(uri)
        if not is_twilio_host(parts.hostname or ""):
            return uri
        path = self.api_base.path + parts.path
        return urlunsplit((self.api_base.scheme, self.api_base.netloc, path, parts.query, parts.fragment))


def make_client(settings: Mapping[str, Any]) -> Client:
    """Build a Twilio REST client from the settings, with a request timeout."""
    return BaseUrlClient(
        settings["TWILIO_ACCOUNT_SID"],
        settings["TWILIO_AUTH_TOKEN"],
        settings.get("TWILIO_API_BASE_URL") or DEFAULT_API_BASE_URL,
        TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS),
    )


def forget_last_exchange(client: Client) -> None:
    """Drop the copy of the last request and response the SDK keeps (they hold the SMS body)."""
    client.http_client._test_only_last_request = None
    client.http_client._test_only_last_response = None


def send_sms(client: Client, to: str, from_: str, body: str, status_callback: str | None = None) -> str:
    """Send one SMS and return its MessageSid; the SDK keeps no copy of the body afterwards."""
    options = {"status_callback": status_callback} if status_callback else {}
    try:
        return client.messages.create(to=to, from_=from_, body=body, **options).sid
    finally:
        forget_last_exchange(client)


def close_client(client: Client) -> None:
    """Close the client's pooled HTTP connections."""
    session = getattr(client.http_client, "session", None)
    if session is not None:
        session.close()
