"""The TwiML of a reply: built once per process for said replies, with each step's own action URL."""

from __future__ import annotations

import pytest

from ivr.callflow import twiml_writer
from ivr.callflow.engine import Listen, Prompt, Reply
from ivr.simulator.twiml_reader import Gather, Hangup, Redirect, Say, parse
from ivr.speech.catalog import Catalog
from ivr.speech.values import DigitString

ADVISOR = "+212522000000"
MENU = Reply([Prompt("menu.choose")], listen=Listen(num_digits=1, finish_on_key="", timeout=6))


@pytest.fixture
def catalog():
    return Catalog.load()


def rendered(catalog, reply, url, languages=("fr",), player=None):
    return parse(twiml_writer.render(reply, catalog, list(languages), url, ADVISOR, player=player))


def test_a_said_reply_built_twice_gets_each_steps_action_url(catalog):
    first, second = rendered(catalog, MENU, "/voice/step?seq=3"), rendered(catalog, MENU, "/voice/step?seq=9")
    assert [type(verb) for verb in first] == [Gather, Redirect]
    assert (first[0].action, first[1].url) == ("/voice/step?seq=3", "/voice/step?seq=3")
    assert (second[0].action, second[1].url) == ("/voice/step?seq=9", "/voice/step?seq=9")
    assert first[0].children == second[0].children


def test_an_action_url_with_characters_xml_escapes_arrives_whole(catalog):
    url = 'https://ivr.example.org/voice/step?seq=4&x="<a>"'
    gather, redirect = rendered(catalog, MENU, url)
    assert gather.action == url and redirect.url == url


def test_spoken_values_are_part_of_what_a_reply_is_kept_by(catalog):
    said = Reply([Prompt("credentials.sent", {"number": DigitString("123456789"), "last_four": DigitString("1234")})])
    other = Reply([Prompt("credentials.sent", {"number": DigitString("987654321"), "last_four": DigitString("1234")})])
    texts = [verb.text for verb in rendered(catalog, said, "/x") if isinstance(verb, Say)]
    other_texts = [verb.text for verb in rendered(catalog, other, "/x") if isinstance(verb, Say)]
    assert texts != other_texts and isinstance(rendered(catalog, said, "/x")[-1], Hangup)


def test_the_kept_replies_stay_under_their_bound(catalog, monkeypatch):
    monkeypatch.setattr(twiml_writer, "CACHED_REPLIES", 3)
    for n in range(10):
        rendered(
            catalog,
            Reply([Prompt("credentials.sent", {"number": DigitString(f"{n:09d}"), "last_four": DigitString("1234")})]),
            "/x",
        )
    assert len(twiml_writer._rendered[catalog]) <= 3


def test_a_reply_with_a_player_is_built_each_time(catalog):
    class CountingPlayer:
        calls = 0

        def url(self, language, key, params):
            CountingPlayer.calls += 1
            return None  # no audio yet: said

    player = CountingPlayer()
    rendered(catalog, MENU, "/x", player=player)
    rendered(catalog, MENU, "/x", player=player)
    assert CountingPlayer.calls == 2
