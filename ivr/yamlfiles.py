"""Read the project's YAML declarations (flows, prompts, categories), with libyaml when it is installed."""

from __future__ import annotations

from pathlib import Path

import yaml

# libyaml's parser reads the declarations several times faster than PyYAML's pure-Python one, and every
# process (each server worker, each CLI command) reads them all as it starts.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path | str) -> object:
    """Return the data of a YAML file (safe types only)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_LOADER)
