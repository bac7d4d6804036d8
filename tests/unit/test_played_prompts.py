"""A <Play> URL of the audio library is recognised as the prompt it plays."""

import shutil

import pytest

from ivr.simulator.played import play_lookup
from ivr.speech.catalog import Catalog
from ivr.speech.values import DigitString

pytestmark = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng is not installed: the audio library cannot name pieces here"
)


@pytest.fixture(scope="module")
def named():
    from ivr.audio.library import AudioLibrary
    from ivr.audio.pieces import prompt_pieces
    from ivr.audio.synthesis import voice_settings

    catalog = Catalog.load()
    library = AudioLibrary(".", voice_settings(), synthesizer=None)

    def url(language, key, **params):
        pieces = prompt_pieces(catalog.for_synthesis(), language, key, params)  # as the player names them
        return f"http://x/audio/{library.composition(language, pieces)}.wav"

    return play_lookup(catalog, library), url


@pytest.mark.parametrize(
    "language, key, params",
    [
        ("fr", "menu.choose", {}),
        ("ar", "menu.choose", {}),
        ("fr", "menu.no_input", {}),
        ("fr", "credentials.sent", {"number": DigitString("100000009"), "last_four": DigitString("0101")}),
        ("ar", "completion.confirm_typed_mobile", {"last_four": DigitString("5678")}),
    ],
)
def test_a_played_prompt_is_named_by_its_key_and_language(named, language, key, params):
    lookup, url = named
    assert lookup(url(language, key, **params)) == (key, language)


def test_a_url_outside_the_library_has_no_key(named):
    lookup, _ = named
    assert lookup("http://x/audio/0123456789abcdef.wav") is None
    assert lookup("http://x/elsewhere/hello.mp3") is None
