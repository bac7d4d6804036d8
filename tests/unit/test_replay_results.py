"""A replay's results in one line and as JUnit XML that stays parseable whatever a diff quotes."""

import xml.etree.ElementTree as ET
from pathlib import Path

from ivr.simulator.results import FAILED, PASSED, SKIPPED, ScenarioResult, summary, write_junit


def test_the_summary_counts_each_status_even_when_none_is_there():
    results = [ScenarioResult(Path("a.yaml"), "a", PASSED), ScenarioResult(Path("b.yaml"), "b", SKIPPED, reason="r")]
    assert summary(results) == "1 passed, 0 failed, 1 skipped"
    assert summary([]) == "0 passed, 0 failed, 0 skipped"


def test_a_diff_quoting_characters_xml_cannot_hold_still_gives_a_parseable_junit_file(tmp_path):
    odd = 'scenarios/x.yaml:4: step `expect: menu.choose`: heard: ? "bell\x07 and <tag> & \x00"'
    path = tmp_path / "junit.xml"
    write_junit([ScenarioResult(Path("scenarios/load/x.yaml"), "X <y>", FAILED, 0.25, odd, ["> dial\x1b"])], path)
    [testcase] = ET.parse(path).getroot().iter("testcase")
    assert testcase.get("classname") == "scenarios.load.x" and testcase.get("time") == "0.250"
    message = testcase.find("failure").get("message")
    assert message.startswith("scenarios/x.yaml:4: ") and "<tag> & " in message and "\x07" not in message
