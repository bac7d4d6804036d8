"""The TwiML reader turns a voice document into the verbs Twilio would execute."""

import re

import pytest
from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

from ivr.simulator import twiml_reader
from ivr.simulator.twiml_reader import TwimlError


def test_a_document_built_with_voice_response_reads_into_typed_verbs():
    response = VoiceResponse()
    gather = Gather(action="/menu", num_digits=1, timeout=3, finish_on_key="*", action_on_empty_result=True)
    gather.say("Bienvenue", language="fr-FR", voice="Polly.Lea")
    gather.play("https://cdn.example/ar/welcome.mp3", loop=2)
    gather.pause(length=2)
    response.append(gather)
    response.redirect("/again", method="GET")
    response.dial("+212520194040", action="/advisor", timeout=20, caller_id="+212520447100")
    response.enqueue("advisors")
    response.hangup()
    response.reject(reason="busy")

    assert twiml_reader.parse(str(response)) == [
        twiml_reader.Gather(
            action="/menu",
            num_digits=1,
            finish_on_key="*",
            timeout=3,
            action_on_empty_result=True,
            children=(
                twiml_reader.Say("Bienvenue", "fr-FR", "Polly.Lea"),
                twiml_reader.Play("https://cdn.example/ar/welcome.mp3", loop=2),
                twiml_reader.Pause(2),
            ),
        ),
        twiml_reader.Redirect("/again", "GET"),
        twiml_reader.Dial("+212520194040", action="/advisor", timeout=20, caller_id="+212520447100"),
        twiml_reader.Enqueue("advisors"),
        twiml_reader.Hangup(),
        twiml_reader.Reject("busy"),
    ]


def test_a_bare_gather_has_twilios_defaults():
    response = VoiceResponse()
    response.gather()

    (gather,) = twiml_reader.parse(str(response))

    assert gather == twiml_reader.Gather(
        action=None,
        method="POST",
        num_digits=None,
        finish_on_key="#",
        timeout=5,
        action_on_empty_result=False,
        input="dtmf",
        children=(),
    )


def test_an_empty_finish_on_key_means_no_finish_key():
    (gather,) = twiml_reader.parse('<Response><Gather finishOnKey=""/></Response>')

    assert gather.finish_on_key == ""


def test_a_say_holding_ssml_reads_as_its_words():
    document = (
        '<Response><Say language="fr-FR">Votre numéro <break time="1s"/> est <say-as>123</say-as></Say></Response>'
    )

    verbs = twiml_reader.parse(document)

    assert verbs == [twiml_reader.Say("Votre numéro est 123", "fr-FR")]


def test_a_dial_takes_its_number_from_a_number_noun():
    response = VoiceResponse()
    dial = Dial(action="/advisor")
    dial.number("+212520194040")
    response.append(dial)

    assert twiml_reader.parse(str(response)) == [twiml_reader.Dial("+212520194040", action="/advisor")]


def test_arabic_text_survives_the_reading_from_utf8_bytes():
    response = VoiceResponse()
    response.say("مرحبا بكم", language="ar-AE")

    assert twiml_reader.parse(str(response).encode("utf-8")) == [twiml_reader.Say("مرحبا بكم", "ar-AE")]


def test_an_empty_response_has_no_verbs():
    assert twiml_reader.parse("<Response/>") == []


@pytest.mark.parametrize(
    "body, complaint",
    [
        ("an application error has occurred", "not XML"),
        ("", "not XML"),
        ('{"say": "hello"}', "not XML"),
        ("<html><body>Bienvenue</body></html>", "root element is <html>"),
        ("<Response><Sms>hello</Sms></Response>", "unsupported verb <Sms>"),
        ("<Response><Record/></Response>", "unsupported verb <Record>"),
        ("<Response><Gather><Dial>+212520194040</Dial></Gather></Response>", "<Gather> cannot hold <Dial>"),
        ('<Response><Gather numDigits="one"/></Response>', "not a whole number"),
        ('<Response><Gather numDigits="0"/></Response>', "below 1"),
        ('<Response><Gather finishOnKey="##"/></Response>', "not one key"),
        ('<Response><Gather actionOnEmptyResult="yes"/></Response>', "neither true nor false"),
        ('<Response><Redirect method="PUT">/x</Redirect></Response>', "neither GET nor POST"),
        ("<Response><Redirect/></Response>", "<Redirect> has no URL"),
        ("<Response><Play/></Response>", "<Play> has no URL"),
        ("<Response><Dial/></Response>", "<Dial> has nothing to dial"),
        ("<Response><Hangup><Say>bye</Say></Hangup></Response>", "<Hangup> cannot hold <Say>"),
    ],
)
def test_a_document_twilio_could_not_execute_is_refused_with_the_reason(body, complaint):
    with pytest.raises(TwimlError, match=re.escape(complaint)):
        twiml_reader.parse(body)
