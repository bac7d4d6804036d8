"""The agents' console in French (the default) and Arabic with Flask-Babel: the agent's choice, catalogs, time zone.

An agent chooses with `?lang=fr` or `?lang=ar` on any console page; a cookie keeps the choice. Without one, a
browser that asks for Arabic (Accept-Language) gets Arabic, any other French. Times are shown in Casablanca time.
The catalogs are ivr/web/translations/<language>/LC_MESSAGES/messages.po; their .mo files are compiled from
them when the app starts (and never committed), so a catalog is never stale.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, has_request_context, request
from flask_babel import Babel
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

LANGUAGES = ("fr", "ar")  # the agents' languages; the first is the default
DEFAULT = LANGUAGES[0]
# Moroccan locales: Moroccan month names and Latin digits in Arabic as in French (Babel's "ar" writes ١٢).
LOCALES = {"fr": "fr_MA", "ar": "ar_MA"}
RIGHT_TO_LEFT = {"ar"}
TIMEZONE = "Africa/Casablanca"
COOKIE = "agent_lang"
COOKIE_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def init_babel(app: Flask) -> None:
    """Give the app Flask-Babel with the console's catalogs (compiled now if need be), locale and time zone."""
    compile_catalogs()
    Babel(
        app,
        default_locale=LOCALES[DEFAULT],
        default_timezone=TIMEZONE,
        locale_selector=lambda: LOCALES[chosen_language()],
        timezone_selector=lambda: TIMEZONE,
        default_translation_directories=str(TRANSLATIONS),
    )


def chosen_language() -> str:
    """Return the agent's language: asked in the URL, else kept in the cookie, else the browser's, else French."""
    if not has_request_context():
        return DEFAULT
    for asked in (request.args.get("lang"), request.cookies.get(COOKIE)):
        if asked in LANGUAGES:
            return str(asked)
    return request.accept_languages.best_match(LANGUAGES) or DEFAULT


def text_direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def keep_choice(response: Response) -> Response:
    """Keep a language asked in the URL in the cookie, for the agent's next pages."""
    asked = request.args.get("lang")
    if asked in LANGUAGES and request.cookies.get(COOKIE) != asked:
        response.set_cookie(
            COOKIE, str(asked), max_age=COOKIE_AGE, httponly=True, samesite="Lax", secure=request.is_secure
        )
    return response


def compile_catalogs(directory: Path = TRANSLATIONS) -> list[Path]:
    """Compile each language's messages.po into its messages.mo when the .mo is missing or older; return those made.

    Each .mo is written beside the catalog under a temporary name and renamed, so that workers starting together
    never read half a file. A folder the app may not write to keeps its .mo files (scripts/setup made them).
    """
    made = []
    for po in sorted(directory.glob("*/LC_MESSAGES/messages.po")):
        mo = po.with_suffix(".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parts[-3])
        partial = mo.with_name(f".messages.{os.getpid()}.mo")
        try:
            with partial.open("wb") as target:
                write_mo(target, catalog)
            os.replace(partial, mo)
        except OSError as error:
            log.warning("the console's %s catalog could not be compiled (%s)", po.parts[-3], error)
            continue
        made.append(mo)
    return made
