"""Read a TwiML voice document into typed verbs, as Twilio's voice platform would."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

DTMF_KEYS = "0123456789*#"


class TwimlError(ValueError):
    """The document is not TwiML the voice platform can execute."""


@dataclass(frozen=True)
class Say:
    """<Say>: speak a text."""

    text: str
    language: str | None = None
    voice: str | None = None


@dataclass(frozen=True)
class Play:
    """<Play>: play an audio file."""

    url: str
    loop: int = 1


@dataclass(frozen=True)
class Pause:
    """<Pause>: stay silent for a few seconds."""

    length: int = 1


@dataclass(frozen=True)
class Gather:
    """<Gather>: collect keypad digits while its prompts play."""

    action: str | None = None
    method: str = "POST"
    num_digits: int | None = None
    finish_on_key: str = "#"
    timeout: int = 5
    action_on_empty_result: bool = False
    input: str = "dtmf"
    children: tuple[Say | Play | Pause, ...] = ()


@dataclass(frozen=True)
class Redirect:
    """<Redirect>: fetch the next document from another URL."""

    url: str
    method: str = "POST"


@dataclass(frozen=True)
class Dial:
    """<Dial>: connect the caller to another number."""

    number: str
    action: str | None = None
    method: str = "POST"
    timeout: int = 30
    caller_id: str | None = None


@dataclass(frozen=True)
class Enqueue:
    """<Enqueue>: put the caller in a waiting queue."""

    name: str


@dataclass(frozen=True)
class Hangup:
    """<Hangup>: end the call."""


@dataclass(frozen=True)
class Reject:
    """<Reject>: refuse the call without answering it."""

    reason: str = "rejected"


Verb = Say | Play | Pause | Gather | Redirect | Dial | Enqueue | Hangup | Reject


def parse(document: str | bytes) -> list[Verb]:
    """Return the verbs of a TwiML <Response>, in order."""
    try:
        root = ET.fromstring(document)
    except ET.ParseError as error:
        raise TwimlError(f"not XML: {error}") from None
    if root.tag != "Response":
        raise TwimlError(f"the root element is <{root.tag}>, not <Response>")
    return [_verb(element) for element in root]


def _verb(element: ET.Element) -> Verb:
    reader = _READERS.get(element.tag)
    if reader is None:
        raise TwimlError(f"unsupported verb <{element.tag}>")
    return reader(element)


def _text(element: ET.Element) -> str:
    # itertext: a <Say> may hold SSML elements (<break>, <prosody>...) around its words.
    return " ".join("".join(element.itertext()).split())


def _int(element: ET.Element, name: str, default: int, minimum: int = 1) -> int:
    value = _optional_int(element, name, minimum)
    return default if value is None else value


def _optional_int(element: ET.Element, name: str, minimum: int = 1) -> int | None:
    raw = element.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise TwimlError(f"<{element.tag} {name}={raw!r}> is not a whole number") from None
    if value < minimum:
        raise TwimlError(f"<{element.tag} {name}={raw!r}> is below {minimum}")
    return value


def _bool(element: ET.Element, name: str) -> bool:
    raw = element.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise TwimlError(f"<{element.tag} {name}={raw!r}> is neither true nor false")
    return raw == "true"


def _method(element: ET.Element) -> str:
    method = element.get("method", "POST").upper()
    if method not in ("GET", "POST"):
        raise TwimlError(f"<{element.tag} method={method!r}> is neither GET nor POST")
    return method


def _no_children(element: ET.Element) -> None:
    if len(element):
        raise TwimlError(f"<{element.tag}> cannot hold <{element[0].tag}>")


def _say(element: ET.Element) -> Say:
    return Say(_text(element), element.get("language"), element.get("voice"))


def _play(element: ET.Element) -> Play:
    _no_children(element)
    url = _text(element)
    if not url:
        raise TwimlError("<Play> has no URL")
    return Play(url, _int(element, "loop", 1, minimum=0))


def _pause(element: ET.Element) -> Pause:
    _no_children(element)
    return Pause(_int(element, "length", 1, minimum=0))


# What a <Gather> may play while it listens.
_GATHER_READERS: dict[str, Callable[[ET.Element], Say | Play | Pause]] = {"Say": _say, "Play": _play, "Pause": _pause}


def _gather(element: ET.Element) -> Gather:
    finish_on_key = element.get("finishOnKey", "#")
    if finish_on_key not in ("", *DTMF_KEYS):
        raise TwimlError(f"<Gather finishOnKey={finish_on_key!r}> is not one key")
    children = []
    for child in element:
        reader = _GATHER_READERS.get(child.tag)
        if reader is None:
            raise TwimlError(f"<Gather> cannot hold <{child.tag}>")
        children.append(reader(child))
    return Gather(
        action=element.get("action") or None,
        method=_method(element),
        num_digits=_optional_int(element, "numDigits"),
        finish_on_key=finish_on_key,
        timeout=_int(element, "timeout", 5),
        action_on_empty_result=_bool(element, "actionOnEmptyResult"),
        input=element.get("input", "dtmf"),
        children=tuple(children),
    )


def _redirect(element: ET.Element) -> Redirect:
    _no_children(element)
    url = _text(element)
    if not url:
        raise TwimlError("<Redirect> has no URL")
    return Redirect(url, _method(element))


def _dial(element: ET.Element) -> Dial:
    # The number is the text, or the first noun (<Number>, <Client>, <Sip>...) inside.
    number = element.text.strip() if element.text else ""
    if not number and len(element):
        number = _text(element[0])
    if not number:
        raise TwimlError("<Dial> has nothing to dial")
    return Dial(
        number=number,
        action=element.get("action") or None,
        method=_method(element),
        timeout=_int(element, "timeout", 30),
        caller_id=element.get("callerId"),
    )


def _enqueue(element: ET.Element) -> Enqueue:
    name = _text(element)
    if not name:
        raise TwimlError("<Enqueue> has no queue name")
    return Enqueue(name)


def _hangup(element: ET.Element) -> Hangup:
    _no_children(element)
    return Hangup()


def _reject(element: ET.Element) -> Reject:
    _no_children(element)
    return Reject(element.get("reason", "rejected"))


_READERS: dict[str, Callable[[ET.Element], Verb]] = {
    "Say": _say,
    "Play": _play,
    "Pause": _pause,
    "Gather": _gather,
    "Redirect": _redirect,
    "Dial": _dial,
    "Enqueue": _enqueue,
    "Hangup": _hangup,
    "Reject": _reject,
}
