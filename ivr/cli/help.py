"""The command line's help: what the application is, every command's description whole, and the demo-token
warning only where a server starts."""

from __future__ import annotations

import logging

import click
from flask import Flask
from flask.cli import FlaskGroup, run_command

from ivr.settings import demo_values_warning

log = logging.getLogger(__name__)

APPLICATION = (
    "The CNSS registration voice server (05 20 44 71 00): self-employed workers pre-registered for the AMO "
    "complete their registration by phone; Twilio posts each step of a call to this app's webhooks. "
    "Its commands serve operators (registrations, prompts, flows, db, sms), testers (call, replay, calls), "
    "agents' accounts (agents) and supervisors (report); `run` serves it for development, scripts/serve "
    "in production. README.md says where to start."
)


def describe_the_application() -> None:
    """Say what the application is at the end of `flask --app app --help`.

    Click prints the flask command's own text before it imports the app (to list its commands): only the
    text after the commands, the epilog, can still be ours.
    """
    context = click.get_current_context(silent=True)
    root = context.find_root().command if context else None
    if isinstance(root, FlaskGroup):
        root.epilog = APPLICATION


def whole_descriptions(group: click.Group) -> None:
    """Give every command under group that has no short help the first sentence of its help, whole.

    Click would otherwise cut it to fit the list of commands ("Export a recorded call (its CallSid, or
    its...").
    """
    for command in group.commands.values():
        if not command.short_help and command.help:
            command.short_help = first_sentence(command.help)
        if isinstance(command, click.Group):
            whole_descriptions(command)


def first_sentence(text: str) -> str:
    """Return the first sentence of a help text's first paragraph, as click finds it, but never cut."""
    words = text.partition("\n\n")[0].split()
    for i, word in enumerate(words):
        # A period followed by a lowercase word ends an abbreviation ("e.g."), not the sentence.
        if word.endswith(".") and (i == len(words) - 1 or not words[i + 1][0].islower()):
            return " ".join(words[: i + 1])
    return " ".join(words)


def warn_if_serving_demo_values(app: Flask) -> None:
    """Warn about the demo token when `flask run` is loading the app to serve it (gunicorn warns in
    gunicorn.conf.py); other commands and --help stay quiet."""
    context = click.get_current_context(silent=True)
    if context is None or context.command is not run_command:
        return
    warning = demo_values_warning(app.config)
    if warning:
        log.warning(warning)
