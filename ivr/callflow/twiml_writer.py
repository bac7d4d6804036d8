"""The one place TwiML is built: a Reply of the engine becomes a Twilio voice document."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

from twilio.twiml.voice_response import Gather, VoiceResponse

from ivr.callflow.engine import Prompt, Reply
from ivr.speech.catalog import Catalog
from ivr.speech.values import prompt_text

if TYPE_CHECKING:
    from ivr.audio.player import Player

DIAL_TIMEOUT = 30
# Said replies are the same XML for every caller at that point of a flow but for the step in the action URL:
# each process builds one once per catalog and fills the URL in. Spoken values (a number, a date) are part of
# the key, and the cache is emptied when full, so callers' own values cannot make it grow without end.
CACHED_REPLIES = 4096
_ACTION = "__ACTION_URL__"
_rendered: weakref.WeakKeyDictionary[Catalog, dict[object, str]] = weakref.WeakKeyDictionary()


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
            written = catalog.written(language)  # a language recorded alone, unplayable here, is said written
            voice = catalog.voices[written]
            text = prompt_text(catalog, written, prompt.key, prompt.params)
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
    if player is not None:  # which prompts have audio changes as it is rendered: built each time
        return _build(reply, catalog, languages, action_url, advisor_number, player)
    try:
        key = (
            tuple((p.key, tuple(p.params.items())) for p in reply.prompts),
            tuple(languages),
            reply.listen,
            reply.dial,
        )
        hash(key)
    except TypeError:  # a value that cannot be a key is said as it is
        return _build(reply, catalog, languages, action_url, advisor_number, None)
    cache = _rendered.setdefault(catalog, {})
    xml = cache.get((key, advisor_number))
    if xml is None:
        if len(cache) >= CACHED_REPLIES:
            cache.clear()
        xml = cache[(key, advisor_number)] = _build(reply, catalog, languages, _ACTION, advisor_number, None)
    return xml.replace(_ACTION, escape(action_url, {'"': "&quot;"}))


def _build(
    reply: Reply,
    catalog: Catalog,
    languages: list[str],
    action_url: str,
    advisor_number: str,
    player: Player | None,
) -> str:
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
