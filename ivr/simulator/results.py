"""What a replay of scenarios found: one result per scenario, counted in one line and written as JUnit XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
# XML 1.0 cannot hold these, even escaped: a server's odd answer quoted in a diff must not break the file.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass
class ScenarioResult:
    """How one scenario went: passed, failed (why, from its file:line) or skipped (why)."""

    path: Path
    name: str
    status: str
    seconds: float = 0.0
    reason: str | None = None
    transcript: list[str] = field(default_factory=list)  # what the runner printed for it (no CIN, no password)


def summary(results: Sequence[ScenarioResult]) -> str:
    """Say the counts in one line: `N passed, N failed, N skipped`."""
    counts = Counter(result.status for result in results)
    return f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped"


def junit(results: Sequence[ScenarioResult], suite: str = "replay") -> ET.ElementTree:
    """Return the results as JUnit XML: one testsuite, one testcase per scenario (classname: its file, dotted)."""
    counts = Counter(result.status for result in results)
    root = ET.Element("testsuites")
    testsuite = ET.SubElement(
        root,
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(counts[FAILED]),
        errors="0",
        skipped=str(counts[SKIPPED]),
        time=f"{sum(result.seconds for result in results):.3f}",
    )
    for result in results:
        testcase = ET.SubElement(
            testsuite,
            "testcase",
            classname=_dotted(result.path),
            name=_text(result.name),
            file=str(result.path),
            time=f"{result.seconds:.3f}",
        )
        if result.status == FAILED:
            failure = ET.SubElement(testcase, "failure", message=_text(result.reason or "failed"))
            failure.text = _text("\n".join(result.transcript))
        elif result.status == SKIPPED:
            ET.SubElement(testcase, "skipped", message=_text(result.reason or "skipped"))
    ET.indent(root)
    return ET.ElementTree(root)


def write_junit(results: Sequence[ScenarioResult], path: Path) -> None:
    """Write the results as JUnit XML to path."""
    junit(results).write(path, encoding="utf-8", xml_declaration=True)


def _dotted(path: Path) -> str:
    """Name a scenario file as JUnit names a test class: scenarios/load/x.yaml is scenarios.load.x."""
    return ".".join(part for part in path.with_suffix("").parts if part.strip("/\\.")) or path.stem


def _text(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)
