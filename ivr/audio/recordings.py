"""Studio recordings in the audio library: which prompt (or stretch of a prompt) each recorded file speaks.

An operator imports a studio's files (`flask --app app prompts import-recordings DIR`, ivr/audio/studio.py):
each is normalised to telephone audio and stored in the audio library under a name derived from its content
(16 hex digits, like a rendered piece, so /audio/ serves and composes it as any other). This index says which
recording speaks what, per language, in `recordings.json` beside the audio files:

- a prompt without placeholders is one recording, keyed by the prompt's key (`menu.choose`);
- a prompt with placeholders is recorded as its stretches of text between the values, keyed `KEY/N` from 1
  (`credentials.sent/1`, `credentials.sent/2`...), and its values are composed from recorded words where there
  are some (`digit.0` ... `digit.9` are prompts of the catalog like any other).

In play mode a prompt with a recording plays it; one without plays the synthesis (ivr/audio/player.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

INDEX_FILE = "recordings.json"
RETIRED_FILE = "recordings-retired.json"  # the takes an import replaced, by when: deleted an hour later
RETIRED_GRACE = 3600.0
READABLE = 0o644  # as the audio files: the importing user writes it, every process of the server reads it


def stretch_key(key: str, number: int) -> str:
    """Return the recording key of a prompt's stretch number (from 1) between its values."""
    return f"{key}/{number}"


@dataclass
class Recordings:
    """The recordings of a library, by language and recording key (the name of a file of the library)."""

    by_language: dict[str, dict[str, str]] = field(default_factory=dict)

    def name(self, language: str, key: str) -> str | None:
        """Return the library name of a recording, or None when that prompt or stretch is not recorded."""
        return self.by_language.get(language, {}).get(key)

    def keys(self, language: str) -> set[str]:
        return set(self.by_language.get(language, {}))

    def names(self) -> set[str]:
        """Return the library names every language's recordings use."""
        return {name for keys in self.by_language.values() for name in keys.values()}


def load(directory: Path) -> Recordings:
    """Read the recordings index of an audio library (none recorded when it has no index)."""
    path = Path(directory) / INDEX_FILE
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Recordings()
    return Recordings({str(lang): {str(k): str(v) for k, v in keys.items()} for lang, keys in raw.items()})


def save(directory: Path, recordings: Recordings) -> None:
    """Write the index at once (a temporary file renamed over it): a reader sees the old or the new one whole."""
    _write_json(Path(directory), INDEX_FILE, recordings.by_language)


def retire(directory: Path, before: Recordings, after: Recordings, now: float, grace: float = RETIRED_GRACE) -> int:
    """Note the files an import took out of the index, and delete those taken out over `grace` seconds ago that
    no key uses again; return how many were deleted.

    Not at once: a call may have been given a URL of the old take a moment ago (an answer's <Play>, or a
    repeat), and the audio it names is put together when Twilio asks for it.
    """
    directory = Path(directory)
    in_use = after.names()
    try:
        noted = {str(k): float(v) for k, v in json.loads((directory / RETIRED_FILE).read_text("utf-8")).items()}
    except FileNotFoundError:
        noted = {}
    # A take a key uses again is no longer retired; the others wait out their grace.
    retired = {name: since for name, since in noted.items() if name not in in_use}
    retired.update({name: now for name in before.names() - in_use if name not in retired})
    due = [name for name, since in retired.items() if now - since >= grace]
    for name in due:
        (directory / f"{name}.wav").unlink(missing_ok=True)
    kept = {name: since for name, since in retired.items() if name not in due}
    if kept != noted:
        _write_json(directory, RETIRED_FILE, kept)
    return len(due)


def _write_json(directory: Path, file_name: str, data: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=".recordings-", suffix=".part")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    os.chmod(temporary, READABLE)  # mkstemp made it its owner's alone
    os.replace(temporary, directory / file_name)
