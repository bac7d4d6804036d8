"""CLI: call the voice server as a simulated caller, from the console."""

from __future__ import annotations

import queue
import sys
import threading
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.audio.library import AudioLibrary
from ivr.cli.caller_sms import SmsWatch
from ivr.simulator.caller import (
    DEFAULT_FROM,
    DEFAULT_TO,
    CallerError,
    CallLoopError,
    SimulatedCaller,
    Turn,
    Utterance,
    WebhookError,
)
from ivr.simulator.export import ExportError, export_call
from ivr.simulator.listening import ListeningError, write_call_audio
from ivr.simulator.played import play_lookup
from ivr.simulator.recognise import Recogniser
from ivr.simulator.stand_in_call import CallHungUp, CallUpdate, StandInCall
from ivr.speech.catalog import Catalog
from ivr.web.extension import EXTENSION_KEY, current_runtime

GATHER_HELP = "keys (0-9 * #), empty line = wait, h = hang up"
DIAL_HELP = "a = the advisor answers, n = no answer, h = hang up"
QUEUE_HELP = "h = hang up"
ADVISOR_HELP = "with the advisor until an agent transfers the call: e = the advisor hangs up, h = hang up"
TRANSFER_POLL = 0.25  # seconds between two looks at the stand-in for an agent's transfer


@click.command("call")
@click.option("--from", "from_number", default=DEFAULT_FROM, show_default=True, help="The calling number.")
@click.option("--to", "to_number", default=DEFAULT_TO, show_default=True, help="The number called.")
@click.option("--url", "base_url", help="Base URL of a running server (default: this app, in-process).")
@click.option("--auth-token", help="Token to sign requests with (default: the app's TWILIO_AUTH_TOKEN).")
@click.option(
    "--twilio-url",
    "--sms-url",
    "sms_url",
    help="Base URL of a Twilio API stand-in: show the caller's SMS it receives, tell it of the call, follow agents'"
    " transfers.",
)
@click.option(
    "--sms-to",
    multiple=True,
    help="Show the SMS to this number too (besides the calling number and a mobile typed during the call).",
)
@click.option(
    "--all-sms",
    is_flag=True,
    help="Show every SMS the stand-in receives during the call, other callers' too (they carry their passwords).",
)
@click.option(
    "--audio",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write what the caller heard to this WAV file when the call ends.",
)
@click.option(
    "--record",
    "scenario",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the call, when it ends, as a scenario that `replay FILE` plays again: the keys typed and the"
    " prompts heard, step by step (from the audit trail of this command's DATABASE_URL). The CIN, birth date"
    " and mobile typed are not written: the scenario types a test person's, and calls from a test number.",
)
@with_appcontext
def call(
    from_number: str,
    to_number: str,
    base_url: str | None,
    auth_token: str | None,
    sms_url: str | None,
    sms_to: tuple[str, ...],
    all_sms: bool,
    audio: Path | None,
    scenario: Path | None,
) -> None:
    """Place a simulated call and play it from the keyboard.

    What the caller hears is printed: each <Say> as said, each <Play> beside the prompt recognised in its
    audio. With a Twilio API stand-in (--twilio-url), the caller's own SMS are shown as they arrive: those to
    the calling number or to a mobile typed during the call (--sms-to adds numbers, --all-sms shows every SMS).
    """
    token: str = auth_token or current_app.config["TWILIO_AUTH_TOKEN"]
    runtime = current_app.extensions.get(EXTENSION_KEY)  # None in a voice app not built by ivr's factory
    catalog = runtime.catalog if runtime else None
    if base_url:
        caller = SimulatedCaller.over_http(base_url, auth_token=token, from_number=from_number, to_number=to_number)
        transcript = Transcript(catalog)
    else:
        # The app itself rather than the proxy bound to this context (Flask types current_app as a Flask).
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        caller = SimulatedCaller.in_process(app, auth_token=token, from_number=from_number, to_number=to_number)
        transcript = Transcript(catalog, runtime.extras.get("audio") if runtime else None)
    sms = SmsWatch(sms_url, (from_number, *sms_to), all_sms)
    click.echo(f"Calling {to_number} from {from_number} ({caller.call_sid})")
    placed = StandInCall.place(sms_url, caller) if sms_url else None
    following = Following(caller, placed) if placed else None
    if placed:
        click.echo(f"-- the Twilio stand-in knows the call: an agent's transfer is followed ({sms_url})")
    sms.start()
    try:
        show(caller.dial(), sms, transcript)
        while not caller.ended:
            turn = following.act() if following else act(caller)
            sms.follow(turn)
            show(turn, sms, transcript)
        linger(sms)
    except (WebhookError, CallLoopError) as error:
        if caller.turn is not None:
            show(caller.turn, sms, transcript)
        click.echo(f"!! An application error has occurred: {error}")
        raise SystemExit(1) from None
    finally:
        if placed:
            placed.ended()
        sms.stop()
        if audio:
            record(caller, audio)
        if scenario:
            record_scenario(caller, scenario, base_url)


def record(caller: SimulatedCaller, path: Path) -> None:
    """Write what the caller heard to a WAV file, saying where and how long."""
    try:
        seconds = write_call_audio(caller, Catalog.load(), path)
    except ListeningError as error:
        click.echo(f"!! No audio written: {error}")
        raise SystemExit(1) from None
    click.echo(f"-- what the caller heard: {path} ({seconds:.1f} s)")


def record_scenario(caller: SimulatedCaller, path: Path, base_url: str | None) -> None:
    """Write the call, from the audit trail, as a scenario to replay; say where, or why not."""
    try:
        text = export_call(current_runtime(), caller.call_sid)
    except ExportError as error:
        elsewhere = (
            f" (the server at {base_url} must keep its calls in this command's DATABASE_URL)" if base_url else ""
        )
        click.echo(f"!! No scenario written: {error}{elsewhere}")
        raise SystemExit(1) from None
    path.write_text(text, encoding="utf-8")
    click.echo(f"-- the call as a scenario: {path}; replay it with: flask --app app replay {path}")


class Transcript:
    """Say what the caller hears: each <Say> as said, each <Play> beside the prompt text recognised in its audio
    (its values left as {placeholders}), or why it is not recognised."""

    def __init__(self, catalog: Catalog | None = None, library: AudioLibrary | None = None):
        self.catalog, self.library = catalog, library
        self._recogniser: Recogniser | None = None

    def line(self, utterance: Utterance) -> str:
        """Return one utterance as the console prints it."""
        if utterance.url is None:
            return str(utterance)
        if self._recogniser is None:  # built at the first <Play>: a call in say mode never needs it
            catalog = self.catalog or Catalog.load()
            self._recogniser = Recogniser(catalog, play_lookup(catalog, self.library))
        heard = self._recogniser.play(utterance.url)
        if heard.key is not None:
            return f"{utterance} -> [{heard.language}] {heard.text}"
        why = (
            "no prompt of the catalog is made of these pieces"
            if self._recogniser.play_key
            else "this machine cannot name the audio's pieces (no espeak-ng)"
        )
        return f"{utterance} -> (not recognised: {why})"


def act(caller: SimulatedCaller) -> Turn:
    """Ask what the caller does next until the answer fits the call, and do it."""
    turn = caller.turn
    if turn is None:
        raise CallerError("dial first")
    help_text = GATHER_HELP if turn.gather else DIAL_HELP if turn.dial else QUEUE_HELP
    while True:
        try:
            choice = click.prompt(f"[{help_text}]", default="", show_default=False).strip().lower()
        except click.Abort:
            click.echo()
            return caller.hangup()  # end of input: the caller puts the phone down
        try:
            if choice == "h":
                return caller.hangup()
            if turn.gather:
                return caller.press(choice) if choice else caller.wait()
            if turn.dial and choice in ("a", "n"):
                return caller.advisor_answers() if choice == "a" else caller.advisor_does_not_answer()
        except CallerError as error:
            click.echo(f"?? {error}")
            continue
        click.echo("?? not possible now")


class Following:
    """A console call a Twilio stand-in knows: each wait reads the keyboard and the stand-in at once, so an
    agent's transfer (an update of the call's URL) is carried out whatever the call waits for, as Twilio does.
    The advisor who answers (`a`) stays on the line until an agent transfers the call, the advisor hangs
    up (`e`) or the caller does (`h`)."""

    def __init__(self, caller: SimulatedCaller, placed: StandInCall, interval: float = TRANSFER_POLL):
        self.caller, self.placed, self.interval = caller, placed, interval
        self.with_advisor, self._answered_at = False, 0.0
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader: threading.Thread | None = None

    def act(self) -> Turn:
        """Wait for a line typed or a transfer, whichever comes first, and do it; return the turn it made."""
        turn = self.caller.turn
        if turn is None:
            raise CallerError("dial first")
        while True:
            help_text = (
                ADVISOR_HELP
                if self.with_advisor
                else GATHER_HELP
                if turn.gather
                else DIAL_HELP
                if turn.dial
                else QUEUE_HELP
            )
            click.echo(f"[{help_text}]: ", nl=False)
            got = self._line_or_update()
            if isinstance(got, CallUpdate):
                click.echo(f"\n-- an agent transferred the call: Twilio fetches {got.url}")
                self.with_advisor = False
                return self.caller.redirected(got.url, got.method)
            if isinstance(got, CallHungUp):
                click.echo("\n-- the call was hung up through Twilio's API")
                self.with_advisor = False
                return self.caller.hung_up_through_the_api()
            if got is None:
                click.echo()
                return self.caller.hangup()  # end of input: the caller puts the phone down
            choice = got.strip().lower()
            try:
                if choice == "h":
                    return self.caller.hangup()
                if self.with_advisor and choice == "e":
                    self.with_advisor = False
                    return self.caller.advisor_answers(duration=int(time.monotonic() - self._answered_at))
                if not self.with_advisor and turn.gather:
                    return self.caller.press(choice) if choice else self.caller.wait()
                if not self.with_advisor and turn.dial and choice == "n":
                    return self.caller.advisor_does_not_answer()
                if not self.with_advisor and turn.dial and choice == "a":
                    self.with_advisor, self._answered_at = True, time.monotonic()
                    click.echo("  ... the advisor answered: the caller talks with them")
                    continue
            except CallerError as error:
                click.echo(f"?? {error}")
                continue
            if choice or not self.with_advisor:
                click.echo("?? not possible now")

    def _line_or_update(self) -> str | CallUpdate | CallHungUp | None:
        """Return the next line typed (None at the end of input), or what the API did to the call (a new URL,
        a hang-up) if that comes first; the stand-in is asked every `interval` seconds meanwhile."""
        if self._reader is None:
            self._reader = threading.Thread(target=self._read, name="console-keys", daemon=True)
            self._reader.start()
        while True:
            try:
                return self._lines.get(timeout=self.interval)
            except queue.Empty:
                news = self.placed.news()
                if news is not None:
                    return news

    def _read(self) -> None:
        while line := sys.stdin.readline():  # click's test runner swaps sys.stdin too
            self._lines.put(line.rstrip("\r\n"))
        self._lines.put(None)


def linger(sms: SmsWatch, seconds: float = 3.0) -> None:
    """Keep watching a moment after the call if no SMS came: it is sent just after the step that queued it."""
    if not sms.url or sms.shown:
        return
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not sms.shown:
        sms.show_new()
        time.sleep(0.25)


def show(turn: Turn, sms: SmsWatch, transcript: Transcript) -> None:
    """Print what the caller heard in a turn, the new SMS and how the call stands."""
    for utterance in turn.heard:
        click.echo(f"  {transcript.line(utterance)}")
    sms.show_new()
    if turn.dial:
        click.echo(f"  ... dialling {turn.dial.number}")
    if turn.queue:
        click.echo(f"  ... waiting in the queue {turn.queue.name}")
    if turn.ended:
        click.echo(f"-- call ended ({turn.ended_by})")
