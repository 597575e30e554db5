"""Make the helper modules beside the tests importable by name, once for the whole suite.

The suite runs with --import-mode=importlib, so a test module cannot import a sibling file
by name; pytest loads this conftest before any test module, and it registers each helper
under the name the tests import:

    import kzf_engines_compare as compare  # tests/engines/compare.py
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
HELPERS = {
    "kzf_engines_compare": TESTS / "engines" / "compare.py",
    "kzf_reliability_strategies": TESTS / "reliability" / "strategies.py",
    "kzf_property_reference": TESTS / "property" / "reference.py",
    "kzf_nist_strd": TESTS / "models" / "nist_strd.py",
    # the generated programs and panels, which tests/engines runs on every engine too (the
    # module imports the reference evaluator, registered just above)
    "kzf_property_programs": TESTS / "property" / "test_random_programs.py",
}

for _name, _path in HELPERS.items():
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, _path)
        assert _spec is not None and _spec.loader is not None
        _module = importlib.util.module_from_spec(_spec)
        sys.modules[_name] = _module
        _spec.loader.exec_module(_module)

# The suite reads kzf's messages in English whatever the machine's locale (a Russian
# LANG would make kzf speak Russian, dsl/messages.py); the tests of the catalogues set it.
import os  # noqa: E402

os.environ["KZF_LANG"] = "en"
