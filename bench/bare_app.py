"""The floor of the call-step benchmark: Flask routes answering a fixed <Gather> built with the twilio library.

Served by the same gunicorn settings as the voice server (`gunicorn -c gunicorn.conf.py bench.bare_app:app`);
no signature check, no database, no flows: what any webhook costs before the server does its own work.
"""

from __future__ import annotations

from flask import Flask, Response
from twilio.twiml.voice_response import Gather, VoiceResponse

app = Flask(__name__)


def fixed_gather() -> str:
    """Build the TwiML of one question, as the voice server does for each step."""
    response = VoiceResponse()
    gather = Gather(
        input="dtmf", action="/voice/step", method="POST", timeout=6, finish_on_key="#", action_on_empty_result=True
    )
    gather.say("Tapez 1 pour confirmer.", language="fr-FR", voice="Polly.Lea")
    response.append(gather)
    response.redirect("/voice/step", method="POST")
    return str(response)


@app.post("/voice/incoming")
@app.post("/voice/step")
def step() -> Response:
    return Response(fixed_gather(), mimetype="text/xml")


@app.post("/voice/status")
def status():
    return "", 204
