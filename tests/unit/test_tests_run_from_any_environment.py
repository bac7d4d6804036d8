"""The tests run from any virtual environment, or none: they never name the project's .venv."""

from pathlib import Path

from ivr.settings import PROJECT_DIR

THIS_FILE = Path(__file__).resolve()


def test_no_test_module_names_the_projects_venv():
    """Tools run through the interpreter running the tests (sys.executable -m gunicorn), not .venv/bin."""
    sources = sorted((PROJECT_DIR / "tests").rglob("*.py"))
    naming = [
        str(path.relative_to(PROJECT_DIR))
        for path in sources
        if path.resolve() != THIS_FILE and ".venv" in path.read_text(encoding="utf-8")
    ]
    assert len(sources) > 20  # the scan really read the sources
    assert naming == []
