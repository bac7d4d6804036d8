"""Scripted calls: load a scenario file (YAML, see scenarios/README.md) and refuse its mistakes by file:line."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import yaml

from ivr.flows.loader import transfer_reasons
from ivr.simulator import testdata
from ivr.speech.catalog import LANGUAGES, Catalog

TOP_LEVEL = {"name", "caller", "given", "clock", "steps"}
BARE_STEPS = {"wait", "hangup", "expect_end", "expect_sms", "expect_transfer"}
STEP_KINDS = BARE_STEPS | {"expect", "press", "advisor"}
ADVISOR_OUTCOMES = ("answers", "no-answer", "busy")
PLACEHOLDERS = ("cin_digits", "birth_date")
KEYS = re.compile(rf"^(?:[0-9*#]|\{{(?:{'|'.join(PLACEHOLDERS)})\}})+$")
GIVEN = {"registered", "credentials_sent", "failed_checks", "locked_out", "last_language"}
LOCKABLE = ("cin", "caller")
DEFAULT_FROM = "+212600000199"


class ScenarioError(Exception):
    """A scenario file cannot be run as written; the message says where (file:line) and why."""


@dataclass(frozen=True)
class Step:
    """One step of a scenario: what the caller does or what they must have heard."""

    kind: str
    value: Any
    line: int

    def describe(self) -> str:
        """Say the step as a tester wrote it."""
        if self.value is None:
            return self.kind
        if isinstance(self.value, dict):
            if set(self.value) == {"key"}:
                return f"{self.kind}: {self.value['key']}"
            shown = ", ".join(f"{name}: {item!r}" for name, item in self.value.items())
            return f"{self.kind}: {{{shown}}}" if shown else self.kind
        return f"{self.kind}: {self.value}"


@dataclass
class Scenario:
    """A scripted call."""

    path: Path
    name: str
    from_number: str = DEFAULT_FROM
    person: str | None = None
    given: dict[str, Any] = field(default_factory=dict)
    clock: datetime | None = None  # naive UTC, like the store's times
    steps: list[Step] = field(default_factory=list)

    def where(self, step: Step) -> str:
        return f"{self.path}:{step.line}"

    @property
    def needs_sandbox(self) -> str | None:
        """Say why this scenario can only run in-process, or None."""
        if self.given:
            return "it sets the state before the call (given)"
        if self.clock:
            return "it sets the clock"
        return None


def load(path: Path | str, catalog: Catalog | None = None) -> Scenario:
    """Read and check a scenario file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ScenarioError(f"{path}: cannot read the file ({error})") from None
    return _Reader(path, catalog).read(text)


def _needs_person(given: dict[str, Any]) -> bool:
    """Tell whether a given state is about the person (their registration, their CIN)."""
    return bool(
        given.get("registered") or given.get("failed_checks", {}).get("cin") or given.get("locked_out") == "cin"
    )


class _Reader:
    def __init__(self, path: Path, catalog: Catalog | None):
        self.path, self.catalog = path, catalog

    def fail(self, node_or_line: yaml.Node | int, message: str) -> NoReturn:
        line = node_or_line if isinstance(node_or_line, int) else node_or_line.start_mark.line + 1
        raise ScenarioError(f"{self.path}:{line}: {message}")

    def read(self, text: str) -> Scenario:
        loader = yaml.SafeLoader(text)
        try:
            try:
                root = loader.get_single_node()
            except yaml.MarkedYAMLError as error:
                mark = error.problem_mark or error.context_mark
                self.fail((mark.line + 1) if mark else 1, f"not valid YAML: {error.problem or error}")
            if not isinstance(root, yaml.MappingNode):
                self.fail(root.start_mark.line + 1 if root else 1, "a scenario is a mapping: name, caller, steps...")
            fields: dict[str, tuple[yaml.Node, Any]] = {}
            for key_node, value_node in root.value:
                key = loader.construct_object(key_node, deep=True)
                if key not in TOP_LEVEL:
                    self.fail(key_node, f"unknown field {key!r} (expected one of {', '.join(sorted(TOP_LEVEL))})")
                fields[key] = (value_node, loader.construct_object(value_node, deep=True))
            return self.scenario(root, fields)
        finally:
            loader.dispose()

    def scenario(self, root: yaml.Node, fields: dict[str, tuple[yaml.Node, Any]]) -> Scenario:
        if "name" not in fields or not isinstance(fields["name"][1], str) or not fields["name"][1].strip():
            self.fail(fields.get("name", (root,))[0], "a scenario needs a name (one line saying what the call does)")
        if "steps" not in fields:
            self.fail(root, "a scenario needs steps")
        scenario = Scenario(self.path, fields["name"][1].strip())
        if "caller" in fields:
            self.caller(scenario, *fields["caller"])
        if "given" in fields:
            scenario.given = self.given(*fields["given"])
        if "clock" in fields:
            scenario.clock = self.clock(*fields["clock"])
        steps_node, _ = fields["steps"]
        if not isinstance(steps_node, yaml.SequenceNode) or not steps_node.value:
            self.fail(steps_node, 'steps is a list of steps (- press: "1", - expect: menu.choose...)')
        scenario.steps = [
            self.step(node, value) for node, value in zip(steps_node.value, fields["steps"][1], strict=True)
        ]
        if _needs_person(scenario.given) and not scenario.person:
            self.fail(fields["given"][0], "this given needs a caller person (whose registration or CIN it sets up)")
        return scenario

    def caller(self, scenario: Scenario, node: yaml.Node, value: Any) -> None:
        if not isinstance(value, dict) or set(value) - {"from", "person"}:
            self.fail(node, "caller takes from (the calling number) and person (a CIN of the demo list, or synthetic)")
        if "from" in value:
            scenario.from_number = str(value["from"])
        if value.get("person") is not None:
            person = str(value["person"])
            if not testdata.known(person):
                self.fail(node, f"person {person!r} is neither a CIN of {testdata.DEMO_LIST.name} nor 'synthetic'")
            scenario.person = person

    def given(self, node: yaml.Node, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict) or set(value) - GIVEN:
            self.fail(node, f"given takes {', '.join(sorted(GIVEN))}")
        checks = {
            "registered": lambda v: isinstance(v, bool),
            "credentials_sent": lambda v: isinstance(v, int) and 0 <= v <= 10,
            "failed_checks": lambda v: (
                isinstance(v, dict)
                and set(v) <= set(LOCKABLE)
                and all(isinstance(n, int) and 0 <= n < 20 for n in v.values())
            ),
            "locked_out": lambda v: v in LOCKABLE,
            "last_language": lambda v: v in LANGUAGES,
        }
        hints = {
            "registered": "true or false",
            "credentials_sent": "a count (SMS already sent in the last 24 h)",
            "failed_checks": "{cin: N, caller: N} (failed checks in the last 24 h)",
            "locked_out": "cin or caller",
            "last_language": " or ".join(LANGUAGES),
        }
        for name, item in value.items():
            if not checks[name](item):
                self.fail(node, f"given.{name} must be {hints[name]}, not {item!r}")
        if value.get("credentials_sent") and not value.get("registered"):
            self.fail(node, "given.credentials_sent needs registered: true")
        return dict(value)

    def clock(self, node: yaml.Node, value: Any) -> datetime:
        try:
            moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            self.fail(
                node, f'clock must be a date and time with its offset, e.g. "2026-11-28T10:00:00+01:00", not {value!r}'
            )
        return moment.astimezone(UTC).replace(tzinfo=None)

    def step(self, node: yaml.Node, value: Any) -> Step:
        line = node.start_mark.line + 1
        if isinstance(value, str) and value in BARE_STEPS:
            return Step(value, getattr(self, f"step_{value}")(line, None), line)
        if not isinstance(value, dict) or len(value) != 1:
            self.fail(
                line,
                f"a step is one of {', '.join(sorted(STEP_KINDS))}, written `- kind: value` "
                f"(or `- wait`, `- hangup`, `- expect_end`)",
            )
        kind, argument = next(iter(value.items()))
        if kind not in STEP_KINDS:
            self.fail(line, f"unknown step {kind!r} (expected one of {', '.join(sorted(STEP_KINDS))})")
        return Step(kind, getattr(self, f"step_{kind}")(line, argument), line)

    def step_expect(self, line: int, argument: Any) -> dict[str, str]:
        if isinstance(argument, str):
            argument = {"key": argument}
        if (
            not isinstance(argument, dict)
            or not argument
            or set(argument) - {"key", "text", "language"}
            or ("key" in argument) == ("text" in argument)
        ):
            self.fail(
                line,
                'expect takes a prompt key (expect: menu.choose) or {text: "a fragment"}, '
                "optionally with language: ar or fr",
            )
        if argument.get("language") is not None and argument["language"] not in LANGUAGES:
            self.fail(line, f"expect: language must be one of {', '.join(LANGUAGES)}")
        if "key" in argument and self.catalog and not self.catalog.has(str(argument["key"])):
            self.fail(line, f"expect: {argument['key']!r} is not a prompt key of prompts/")
        return {name: str(item) for name, item in argument.items()}

    def step_press(self, line: int, argument: Any) -> str:
        if isinstance(argument, dict):
            self.fail(line, 'press: quote keys that use a placeholder, e.g. press: "{cin_digits}#"')
        keys = str(argument) if isinstance(argument, (str, int)) and not isinstance(argument, bool) else ""
        if not KEYS.match(keys):
            self.fail(line, f"press takes keypad keys (0-9 * #) and {{{'}, {'.join(PLACEHOLDERS)}}}, not {argument!r}")
        return keys

    def step_advisor(self, line: int, argument: Any) -> str:
        if argument not in ADVISOR_OUTCOMES:
            self.fail(line, f"advisor takes {', '.join(ADVISOR_OUTCOMES)}, not {argument!r}")
        return argument

    def step_expect_sms(self, line: int, argument: Any) -> dict[str, str]:
        if argument is None:
            return {}
        if not isinstance(argument, dict) or set(argument) - {"contains", "to"}:
            self.fail(line, "expect_sms takes contains (a fragment of the text) and to (a number, +212...)")
        return {name: str(item) for name, item in argument.items()}

    def step_expect_transfer(self, line: int, argument: Any) -> dict[str, Any]:
        if argument is None:
            return {}
        if (
            not isinstance(argument, dict)
            or set(argument) - {"reason"}
            or argument.get("reason") not in transfer_reasons()
        ):
            self.fail(line, f"expect_transfer takes reason: one of {', '.join(sorted(transfer_reasons()))}")
        return dict(argument)

    def step_wait(self, line: int, argument: Any) -> None:
        return self._bare(line, "wait", argument)

    def step_hangup(self, line: int, argument: Any) -> None:
        return self._bare(line, "hangup", argument)

    def step_expect_end(self, line: int, argument: Any) -> None:
        return self._bare(line, "expect_end", argument)

    def _bare(self, line: int, kind: str, argument: Any) -> None:
        if argument is not None:
            self.fail(line, f"{kind} takes no value: write `- {kind}`")
        return None
