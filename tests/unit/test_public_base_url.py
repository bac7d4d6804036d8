"""The one public base of the URLs Twilio is given: PUBLIC_BASE_URL, else the request's own root, else none."""

import pytest

from ivr.settings import DEFAULTS, from_environment, public_base_url
from ivr.sms.outbox import status_callback_url


@pytest.mark.parametrize(
    "configured, request_root, expected",
    [
        ("https://ivr.example.ma", "", "https://ivr.example.ma"),
        ("https://ivr.example.ma/", "", "https://ivr.example.ma"),
        ("https://ivr.example.ma/cnss/", "", "https://ivr.example.ma/cnss"),
        ("https://ivr.example.ma", "http://10.0.0.5:8000/", "https://ivr.example.ma"),
        ("", "http://localhost/", "http://localhost"),
        ("", "http://localhost/cnss/", "http://localhost/cnss"),
        ("", "", ""),
    ],
)
def test_the_public_base_url_wins_over_the_request_root_and_never_ends_with_a_slash(configured, request_root, expected):
    assert public_base_url({**DEFAULTS, "PUBLIC_BASE_URL": configured}, request_root) == expected


def test_without_a_public_base_url_or_a_request_root_urls_stay_relative():
    assert public_base_url(from_environment({})) == ""
    assert public_base_url({}) == ""


def test_the_public_base_url_is_read_from_the_environment():
    settings = from_environment({"PUBLIC_BASE_URL": "https://ivr.example.ma/"})
    assert public_base_url(settings, "http://localhost/") == "https://ivr.example.ma"


def test_sms_delivery_reports_are_asked_for_only_at_a_public_base_url():
    assert status_callback_url({"PUBLIC_BASE_URL": "https://ivr.example.ma/"}) == "https://ivr.example.ma/sms/status"
    assert status_callback_url({"PUBLIC_BASE_URL": ""}) is None
