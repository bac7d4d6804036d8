"""The benchmarks' report: each run rewrites its own section and nothing else (no benchmark runs here)."""

from bench.common import Figure, Section, write_section


def a_section(name: str, figure: str) -> Section:
    section = Section(name, f"Title of {name}", f"scripts/bench {name}")
    section.figures.append(Figure("steps/s", figure, "≥ 1", True))
    return section


def test_a_new_section_is_added_after_the_hand_written_text(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    report.write_text("# Benchmarks\n\nFindings written by hand.\n")

    write_section(a_section("steps", "245"), report, on="a test machine")

    text = report.read_text()
    assert text.startswith("# Benchmarks\n\nFindings written by hand.\n")
    assert "<!-- bench:steps:begin -->\n## Title of steps\n" in text
    assert "| steps/s | 245 | ≥ 1 | yes |" in text and "on a test machine." in text


def test_a_second_run_replaces_only_its_own_section(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    write_section(a_section("steps", "245"), report, on="m")
    write_section(a_section("memory", "88 MiB"), report, on="m")
    with report.open("a") as text:
        text.write("\nA closing remark by hand.\n")

    write_section(a_section("steps", "300"), report, on="m")

    text = report.read_text()
    assert "| steps/s | 300 |" in text and "| steps/s | 245 |" not in text
    assert "| steps/s | 88 MiB |" in text and text.endswith("A closing remark by hand.\n")
    assert text.index("bench:steps:begin") < text.index("bench:memory:begin")
