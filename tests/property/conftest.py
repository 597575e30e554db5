"""Make the reference evaluator importable as `kzf_property_reference`.

The suite runs with --import-mode=importlib, so test modules cannot import a sibling file by
name; pytest loads this conftest before them, and registers the sibling once for both."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

NAME = "kzf_property_reference"

if NAME not in sys.modules:
    _spec = importlib.util.spec_from_file_location(NAME, Path(__file__).with_name("reference.py"))
    assert _spec is not None and _spec.loader is not None
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[NAME] = _module
    _spec.loader.exec_module(_module)
