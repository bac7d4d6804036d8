"""Settings read from the environment, with safe defaults for a local run."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from ivr import hours

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_DIR / "data"

DEMO_ACCOUNT_SID = "AC" + "0" * 32
DEMO_AUTH_TOKEN = "demo-auth-token-not-for-production"

DEFAULTS: dict[str, object] = {
    "DATABASE_URL": f"sqlite:///{DATA_DIR / 'ivr.sqlite3'}",
    "TWILIO_ACCOUNT_SID": DEMO_ACCOUNT_SID,
    "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN,
    "TWILIO_SMS_FROM": "CNSS",
    "TWILIO_API_BASE_URL": "https://api.twilio.com",
    "ADVISOR_NUMBER": "+212520194040",
    # Days (mon..sun) and local hours when advisors answer, in IVR_TIMEZONE; several ranges separated by ";"
    # ("mon-fri 08:30-16:30; sat 09:00-12:00"). Closed on Morocco's public holidays.
    "ADVISOR_HOURS": "mon-fri 08:30-16:30",
    # Other dates advisors do not answer, e.g. "2026-12-31,2027-01-02" (local dates, comma-separated).
    "ADVISOR_CLOSED_DATES": "",
    "IVR_TIMEZONE": "Africa/Casablanca",
    "PUBLIC_BASE_URL": "",
    "IVR_PROMPT_MODE": "say",
    # Where `flask prompts render` writes the prompts' audio, and /audio/ serves it from (play mode).
    "IVR_AUDIO_DIR": str(DATA_DIR / "audio"),
    # Key for the digests of CINs and birth dates: the same for every process of one deployment.
    "IVR_SECRET_KEY": "",
    # "thread": a sender thread in each web process drains the SMS outbox; "off": something else does.
    "IVR_SMS_SENDER": "thread",
    "IVR_MAX_STEPS_PER_CALL": 120,
}


def from_environment(environ: os._Environ | dict = os.environ) -> dict[str, object]:
    """Return the settings, environment over defaults."""
    settings = dict(DEFAULTS)
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


def check(settings: dict) -> None:
    """Refuse settings that would fail mid-call; warn about demo values."""
    hours.parse(str(settings["ADVISOR_HOURS"]), str(settings["IVR_TIMEZONE"]), str(settings["ADVISOR_CLOSED_DATES"]))
    if settings["IVR_PROMPT_MODE"] not in ("say", "play"):
        raise ValueError(f"IVR_PROMPT_MODE must be 'say' or 'play', not {settings['IVR_PROMPT_MODE']!r}")
    if settings["TWILIO_AUTH_TOKEN"] == DEMO_AUTH_TOKEN and not settings.get("TESTING"):
        log.warning("TWILIO_AUTH_TOKEN is the demo value: set the account's token before taking real calls")
