"""Check the prompt catalog against itself and its users: every key in every language, the same
placeholders in each translation, no key that no flow, action or code says, and the vocalised Arabic the
synthesiser reads carrying the plain text's letters and placeholders for every spoken key."""

from __future__ import annotations

from pathlib import Path

from ivr import hours
from ivr.flows.loader import FlowBook
from ivr.flows.registry import ACTIONS
from ivr.flows.sources import read_source, shown_path
from ivr.sms.outbox import CREDENTIALS_PROMPT
from ivr.speech.catalog import LANGUAGES, META_FILE, VOCALISED_FOLDER, Catalog, VocalisedProblem, placeholders
from ivr.speech.values import MINUTE_KEYS, OTHER_MINUTES_KEY

# Keys said by code rather than named in flows/*.yaml, by who says them.
SAID_BY_CODE = frozenset(
    {
        *(f"digit.{d}" for d in range(10)),
        "digit_separator",  # ivr/speech/say_text.py: digits one by one
        *(f"month.{m}" for m in range(1, 13)),
        "month_year",  # ivr/speech/say_text.py: months
        "date.first_month_year",
        "date.day_month_year",  # ivr/speech/say_text.py: dates
        *(f"day.{day}" for day in hours.DAYS),
        *(f"hour.{h}" for h in range(24)),  # opening hours (ivr/speech/values.py)
        *(f"period.{p}" for p in ("morning", "noon", "evening")),
        *MINUTE_KEYS.values(),
        OTHER_MINUTES_KEY,
        "hours.days",
        "hours.one_day",
        "hours.range",
        "hours.separator",
        "hours.closed_now",
        "hours.closed_holiday",
        "hours.closed_today",  # ivr/callflow/actions/guidance.py: why closed
        "error.apology",
        "advisor.connecting",
        "common.goodbye",
        "advisor.closed",  # the fault answer (ivr/callflow/service.py)
        CREDENTIALS_PROMPT,  # the SMS (ivr/sms/outbox.py)
    }
)


def used_keys(book: FlowBook) -> set[str]:
    """Return every key the flows, the actions and the code may say or text."""
    flow_keys = {key for state in book.states.values() for key in state.prompt_keys()}
    action_keys = {key for action in ACTIONS.values() for key in action.prompts}
    return flow_keys | action_keys | SAID_BY_CODE


def problems(catalog: Catalog, book: FlowBook, prompts_dir: Path | None = None) -> list[str]:
    """Return every problem of the catalog, or an empty list; with the catalog's folder, each problem starts with
    the `file:line` of its key (in the first language that has it)."""
    found = []
    every_key = set().union(*(catalog.texts[language] for language in LANGUAGES))
    for language in LANGUAGES:
        found += [f"{key}: missing in {language}" for key in sorted(every_key - set(catalog.texts[language]))]
    for key in sorted(every_key):
        shapes = {
            language: placeholders(catalog.texts[language][key])
            for language in LANGUAGES
            if key in catalog.texts[language]
        }
        if len({frozenset(names) for names in shapes.values()}) > 1:
            described = ", ".join(f"{language} {sorted(names)}" for language, names in shapes.items())
            found.append(f"{key}: placeholders differ ({described})")
    found += [f"{key}: no flow, action or code uses it" for key in sorted(every_key - used_keys(book))]
    found += [f"{key}: said, but not in the catalog" for key in sorted(used_keys(book) - every_key)]
    if prompts_dir is None:
        return found + [str(problem) for problem in catalog.vocalised_problems()] + menu_key_problems(catalog, book)
    found += menu_key_problems(catalog, book, prompts_dir)
    lines, nowhere = key_lines(prompts_dir), f"{shown_path(prompts_dir)}:1"  # a key said by code, written nowhere
    found = [f"{lines.get(problem.split(': ', 1)[0], nowhere)}: {problem}" for problem in found]
    return found + [vocalised_problem(prompts_dir, problem) for problem in catalog.vocalised_problems()]


def menu_key_problems(catalog: Catalog, book: FlowBook, prompts_dir: Path | None = None) -> list[str]:
    """Return each recorded language whose menu key a question offering recorded languages already takes, or that
    no question offers (its callers could never choose it)."""
    offering = [state for state in book.states.values() if state.more_languages is not None]
    found = []
    for code, language in catalog.recorded.items():
        where = f"{shown_path(prompts_dir / code / META_FILE)}:1: " if prompts_dir else f"{code}/{META_FILE}: "
        taken = [state.name for state in offering if language.menu_key in state.keys]
        if taken:
            found.append(f"{where}menu_key {language.menu_key} is already a key of {', '.join(taken)}")
        if not offering:
            found.append(f"{where}{code} is recorded alone, but no question offers it (more_languages)")
    return found


def vocalised_problem(prompts_dir: Path, problem: VocalisedProblem) -> str:
    """Name a vocalised text's problem by its file in prompts_dir, and its line where the key is written there."""
    path = prompts_dir / problem.language / VOCALISED_FOLDER / problem.file
    where = shown_path(path)
    if path.is_file():
        source, _ = read_source(path)
        if isinstance(source.data, dict) and problem.key in source.data:
            where = source.at((problem.key,))
    return f"{where}: {problem.key}: {problem.problem}"


def key_lines(prompts_dir: Path) -> dict[str, str]:
    """Return where each key of a catalog folder is written (`file:line`), in the first language that has it."""
    lines: dict[str, str] = {}
    for language in LANGUAGES:
        for path in sorted((prompts_dir / language).glob("*.yaml")):
            source, _ = read_source(path)
            for key in source.data if isinstance(source.data, dict) else ():
                lines.setdefault(str(key), source.at((key,)))
    return lines


def unused_keys(catalog: Catalog, book: FlowBook) -> list[str]:
    """Return the catalog keys that nothing says or texts."""
    return sorted(set(catalog.texts[LANGUAGES[0]]) - used_keys(book))
