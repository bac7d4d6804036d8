"""Rendered prompts, as Twilio fetches them for <Play>: content-addressed, so cached for a year."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, request

from ivr.audio.library import COMPOSITION, compose
from ivr.web.extension import current_runtime

audio = Blueprint("audio", __name__, url_prefix="/audio")
A_YEAR = 365 * 24 * 3600


@audio.before_app_request
def warm_up_the_engine() -> None:
    # Not in the app factory: a server may fork after building the app, and the worker must be its own.
    library = current_runtime().extras.get("audio")
    if library is not None:
        library.warm_up()


@audio.get("/<name>.wav")
def play(name: str) -> Response:
    # Only hex names and pauses joined by "-": no path ever reaches the file system.
    if not COMPOSITION.fullmatch(name):
        abort(404)
    headers = {"Cache-Control": f"public, max-age={A_YEAR}, immutable", "ETag": f'"{name}"'}
    if request.if_none_match.contains(name):  # the same name is always the same sound
        return Response(status=304, headers=headers)
    data = compose(Path(current_runtime().settings["IVR_AUDIO_DIR"]), name)
    if data is None:
        abort(404)
    return Response(data, mimetype="audio/wav", headers=headers)
