"""Settings read from the environment, with safe defaults for a local run.

This module is the one place settings are defined (DEFAULTS) and read (from_environment). The app's
config is the settings: the runtime holds it (ivr.runtime.Runtime.settings), and the services read it
there, never through Flask's current_app.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias

from ivr import hours

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"

DEMO_ACCOUNT_SID = "AC" + "0" * 32
DEMO_AUTH_TOKEN = "demo-auth-token-not-for-production"

# What the services are handed: the app's config (a Flask Config), or a plain dict in tests and tools.
# Keys are DEFAULTS' (strings, IVR_MAX_STEPS_PER_CALL an int), plus the tests' own (TESTING, CLOCK...).
Settings: TypeAlias = Mapping[str, Any]

DEFAULTS: dict[str, str | int] = {
    "DATABASE_URL": f"sqlite:///{DATA_DIR / 'ivr.sqlite3'}",
    "TWILIO_ACCOUNT_SID": DEMO_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN,
    "TWILIO_SMS_FROM": "CNSS",
    "TWILIO_API_BASE_URL": "https://api.twilio.com",
    "ADVISOR_NUMBER": "+212520194040",
    # Days (mon..sun) and local hours when advisors answer, in IVR_TIMEZONE; several ranges separated by ";"
    # ("mon-fri 08:30-16:30; sat 09:00-12:00"; "mon-sun 00:00-24:00" is always). Closed on public holidays.
    "ADVISOR_HOURS": "mon-fri 08:30-16:30",
    # Whose public holidays close the advisors: a country code (Morocco's by default), or "none".
    "ADVISOR_PUBLIC_HOLIDAYS": "MA",
    # Other dates advisors do not answer, e.g. "2026-12-31,2027-01-02" (local dates, comma-separated).
    "ADVISOR_CLOSED_DATES": "",
    "IVR_TIMEZONE": "Africa/Casablanca",
    # The public address Twilio reaches this server at ("https://ivr.example.ma", with a path if any): see
    # public_base_url. Empty: action URLs stay relative, <Play> URLs are built on the request's own root.
    "PUBLIC_BASE_URL": "",
    "IVR_PROMPT_MODE": "say",
    # The prompt catalog: prompts/<lang>/*.yaml, and the languages recorded alone (prompts/<lang>/_voice.yaml).
    "IVR_PROMPTS_DIR": str(PROJECT_DIR / "prompts"),
    # Where `flask prompts render` writes the prompts' audio, and /audio/ serves it from (play mode).
    "IVR_AUDIO_DIR": str(DATA_DIR / "audio"),
    # Key for the digests of CINs and birth dates: the same for every process of one deployment.
    "IVR_SECRET_KEY": "",
    # "thread": a sender thread in each web process drains the SMS outbox; "off": something else does.
    "IVR_SMS_SENDER": "thread",
    "IVR_MAX_STEPS_PER_CALL": 120,
    # The proxies whose X-Forwarded-For (and, for gunicorn, X-Forwarded-Proto) are believed; gunicorn.conf.py
    # reads the same variable.
    "FORWARDED_ALLOW_IPS": "127.0.0.1",
}


def from_environment(environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    """Return the settings, environment over defaults."""
    settings: dict[str, Any] = dict(DEFAULTS)
    for name, default in DEFAULTS.items():
        if name in environ and environ[name] != "":
            settings[name] = type(default)(environ[name]) if isinstance(default, int) else environ[name]
    return settings


def local_secret_key(path: Path = DATA_DIR / "secret.key") -> str:
    """Return the local secret key, creating it on first use (single-machine default only)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        draft.touch(mode=0o600)
        draft.write_text(secrets.token_hex(32))
        try:
            os.link(draft, path)  # atomic: of server processes starting together, the first key wins
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def public_base_url(settings: Settings, request_root: str = "") -> str:
    """Return the base of the URLs Twilio is given, without a trailing slash.

    PUBLIC_BASE_URL when set; else request_root, the root of the request being answered (a web view's
    Flask `request.url_root`), which the caller passes only where a URL must be absolute (<Play>); else ''
    (URLs relative to the request Twilio made).
    """
    return str(settings.get("PUBLIC_BASE_URL") or request_root).rstrip("/")


def check(settings: Settings) -> None:
    """Refuse settings that would fail mid-call."""
    hours.parse(
        str(settings["ADVISOR_HOURS"]),
        str(settings["IVR_TIMEZONE"]),
        str(settings["ADVISOR_CLOSED_DATES"]),
        str(settings.get("ADVISOR_PUBLIC_HOLIDAYS", hours.HOLIDAYS_COUNTRY)),
    )
    if settings["IVR_PROMPT_MODE"] not in ("say", "play"):
        raise ValueError(f"IVR_PROMPT_MODE must be 'say' or 'play', not {settings['IVR_PROMPT_MODE']!r}")


def demo_values_warning(settings: Settings) -> str | None:
    """Return the warning a server starting on the demo token must print, or None."""
    if settings["TWILIO_AUTH_TOKEN"] == DEMO_AUTH_TOKEN and not settings.get("TESTING"):
        return "TWILIO_AUTH_TOKEN is the demo value: set the account's token before taking real calls"
    return None
