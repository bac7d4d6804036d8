"""The one place TwiML is built: a Reply of the engine becomes a Twilio voice document."""

from __future__ import annotations

from typing import TYPE_CHECKING

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.callflow.engine import Prompt, Reply
from ivr.speech.catalog import Catalog
from ivr.speech.values import prompt_text

if TYPE_CHECKING:
    from ivr.audio.player import Player

DIAL_TIMEOUT = 30


def say_all(
    target: VoiceResponse | Gather, catalog: Catalog, languages: list[str], prompts: list[Prompt], player: Player | None
) -> None:
    """Add a <Play> (or, without its audio, a <Say>) per prompt and language (all while none is chosen)."""
    for prompt in prompts:
        for language in languages:
            url = player.url(language, prompt.key, prompt.params) if player else None
            if url:
                target.play(url)
                continue
            voice = catalog.voices[language]
            text = prompt_text(catalog, language, prompt.key, prompt.params)
            target.say(text, language=voice.language, voice=voice.voice)


def render(
    reply: Reply,
    catalog: Catalog,
    languages: list[str],
    action_url: str,
    advisor_number: str,
    player: Player | None = None,
) -> str:
    """Return the TwiML of a reply; every wait ends at action_url, so no call ends in silence."""
    response = VoiceResponse()
    if reply.listen:
        listen = reply.listen
        gather = Gather(
            input="dtmf",
            action=action_url,
            method="POST",
            timeout=listen.timeout,
            finish_on_key=listen.finish_on_key,
            action_on_empty_result=True,
            **({"num_digits": listen.num_digits} if listen.num_digits else {}),
        )
        say_all(gather, catalog, languages, reply.prompts, player)  # inside <Gather>: the caller may type ahead
        response.append(gather)
        response.redirect(action_url, method="POST")  # reached only if Twilio skips the empty action
    elif reply.dial:
        say_all(response, catalog, languages, reply.prompts, player)
        response.dial(advisor_number, action=action_url, method="POST", timeout=DIAL_TIMEOUT)
    else:
        say_all(response, catalog, languages, reply.prompts, player)
        response.hangup()
    return str(response)


def fault(
    catalog: Catalog,
    languages: list[str],
    advisor_number: str,
    closed: list[Prompt] | None,
    player: Player | None = None,
) -> str:
    """Return the apology for a fault: the advisor when open, the opening hours when closed."""
    response = VoiceResponse()
    say_all(response, catalog, languages, [Prompt("error.apology")], player)
    if closed is None:
        say_all(response, catalog, languages, [Prompt("advisor.connecting")], player)
        response.dial(advisor_number, timeout=DIAL_TIMEOUT)  # no action: the call goes on below
        say_all(response, catalog, languages, [Prompt("common.goodbye")], player)
    else:
        say_all(response, catalog, languages, closed, player)
    response.hangup()
    return str(response)
