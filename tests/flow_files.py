"""Edited copies of the shipped flows, for the tests of the flows' checks."""

from __future__ import annotations


def edit(folder, file, old, new):
    """Replace one written text of a flows file (the other lines stay where they were)."""
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not written once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(folder, file, text, after=None):
    """Return the line of a file where a text is written (the first after a line that holds `after`)."""
    lines = (folder / file).read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if after in line) if after else 0
    return next(n for n, line in enumerate(lines) if n >= start and text in line) + 1
