"""The speech engine is driven through pyttsx3's public API only, never its private modules."""

import ast
from pathlib import Path

import ivr

SOURCE = Path(ivr.__file__).parent


def private_pyttsx3_uses(path: Path) -> list[str]:
    """Return where a file imports pyttsx3's drivers or a private name of it, or names `_espeak`."""
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            modules = [alias.name.split(".") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules = [[*node.module.split("."), alias.name] for alias in node.names]
        else:
            modules = []
        found.extend(
            f"{path.name}:{node.lineno} imports {'.'.join(parts)}"
            for parts in modules
            if parts[0] == "pyttsx3" and any(part == "drivers" or part.startswith("_") for part in parts)
        )
        if getattr(node, "id", None) == "_espeak" or getattr(node, "attr", None) == "_espeak":
            found.append(f"{path.name}:{node.lineno} uses _espeak")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "drivers._espeak" in node.value:
            found.append(f"{path.name}:{node.lineno} names pyttsx3.drivers._espeak")
    return found


def test_nothing_in_ivr_imports_pyttsx3_s_private_modules():
    files = sorted(SOURCE.rglob("*.py"))
    assert any(path.name == "worker.py" for path in files)
    assert [use for path in files for use in private_pyttsx3_uses(path)] == []


def test_the_check_finds_the_private_espeak_binding_however_it_is_imported(tmp_path):
    for line in (
        "from pyttsx3.drivers import _espeak",
        "import pyttsx3.drivers._espeak as binding",
        "from pyttsx3.drivers._espeak import Synth",
        "speech = pyttsx3.drivers._espeak",
    ):
        (tmp_path / "sample.py").write_text(f"import pyttsx3\n{line}\n")
        assert private_pyttsx3_uses(tmp_path / "sample.py"), line
    (tmp_path / "sample.py").write_text("import pyttsx3\nengine = pyttsx3.init('espeak')\n")
    assert private_pyttsx3_uses(tmp_path / "sample.py") == []
