"""The layers of kzf, checked on the source: which package may import which.

RANKS below is the rule, stated once. A module may import modules of its own package, or of
packages of strictly lower rank; never a higher one, and never a peer of the same rank. So
each layer can be read, tested and changed knowing only the layers beneath it, there are no
import cycles between packages, and a change to the CLI or the report cannot break the
compiler. Nothing inside dsl/ or engine/ imports the `kzf` facade (kzf/__init__.py imports
the whole engine, so doing so would import every layer from every layer); `kzf.version`
exists so that they can read `__version__` without it. And no module uses another module's
private names (`_name`): what a layer offers is what it names without an underscore.

The check reads every source file with `ast`, so it sees imports inside functions and under
`if TYPE_CHECKING:` as well, which Python only runs some of the time.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

# Bottom to top. Peers share a rank and may not import each other.
RANKS: dict[str, int] = {
    "kzf.version": -1,  # a leaf module holding __version__: anyone may import it
    "kzf.engine": -1,  # only groups the layers below: its __init__.py imports none of them
    "kzf.dsl": 0,
    "kzf.engine.core": 1,
    "kzf.engine.compile": 2,
    "kzf.engine.checks": 3,
    "kzf.engine.stats": 4,
    "kzf.engine.io": 4,
    "kzf.engine.run": 5,
    "kzf.engine.api": 6,
    "kzf.engine.composite": 7,
    "kzf.engine.present": 8,  # the report draws the composite analyses
    "kzf.engine.editor": 9,  # the language server shows what the report would (units, LaTeX)
    "kzf.engine.cli": 10,
    "kzf": 11,  # the facade: kzf/__init__.py and kzf/__main__.py
}
FACADE = "kzf"

# Underscore names that are public API of the standard library (namedtuple's methods).
PUBLIC_UNDERSCORE = {"_asdict", "_fields", "_field_defaults", "_make", "_replace"}

ROOT = Path(__file__).resolve().parents[2]


def package_dirs(root: Path) -> dict[str, Path]:
    """pyproject's [tool.setuptools.package-dir]: dotted package -> its folder."""
    with open(root / "pyproject.toml", "rb") as f:
        mapping: dict[str, str] = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    return {package: root / folder for package, folder in mapping.items()}


def source_modules(root: Path) -> dict[str, Path]:
    """Every .py file of the packages, by its dotted module name."""
    modules = {}
    for package, folder in package_dirs(root).items():
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join((package, *parts))] = path
    return modules


def layer_of(module: str) -> str | None:
    """The entry of RANKS a module belongs to: itself, or the package holding it."""
    if module in RANKS:
        return module
    package = module.rpartition(".")[0]
    return package if package in RANKS else None


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and not name.endswith("_")


Imported = tuple[str, str | None, str]  # module imported, name taken from it, local name bound


def imports_of(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]
) -> list[Imported]:
    """What one statement imports; relative imports resolved against `module`'s package."""
    if isinstance(node, ast.Import):
        return [(a.name, None, a.asname or a.name.partition(".")[0]) for a in node.names]
    base = node.module or ""
    if node.level:
        package = module if is_package else module.rpartition(".")[0]
        anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
        base = f"{anchor}.{base}" if base else anchor
    # `from kzf.engine.core import ir` imports the module kzf.engine.core.ir
    return [
        (f"{base}.{a.name}" if f"{base}.{a.name}" in known else base, a.name, a.asname or a.name)
        for a in node.names
    ]


def check_file(module: str, path: Path, where: str, known: set[str]) -> list[tuple[int, str, str]]:
    """(line, statement, why) for each import of one file that breaks the rule."""
    own = layer_of(module)
    inside = module.startswith(("kzf.dsl", "kzf.engine"))
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
    found: list[tuple[int, str, str]] = []
    bound: dict[
        str, str
    ] = {}  # local name -> the other kzf module it is, or holds the object it names
    for node in ast.walk(tree):  # every node: also in functions and under TYPE_CHECKING
        if not isinstance(node, ast.Import | ast.ImportFrom):
            continue
        for target, name, local in imports_of(node, module, path.name == "__init__.py", known):
            if target != "kzf" and not target.startswith("kzf."):
                continue
            bound[local] = "kzf" if local == "kzf" else target  # `import kzf.x` binds kzf
            line = node.lineno, ast.unparse(node)
            layer = layer_of(target)
            if target not in known:
                found.append((*line, f"there is no module {target}"))
            elif layer is None:
                found.append((*line, f"{target} is in no layer of RANKS"))
            elif inside and layer == FACADE:
                found.append((*line, f"imports the kzf facade from inside {own}"))
            elif own is not None and layer != own and RANKS[layer] >= RANKS[own]:
                kind = "a peer" if RANKS[layer] == RANKS[own] else "a higher"
                found.append(
                    (
                        *line,
                        f"{own} (rank {RANKS[own]}) imports {kind} layer, {layer} "
                        f"(rank {RANKS[layer]})",
                    )
                )
            if name is not None and is_private(name) and target != module:
                found.append((*line, f"private name {name} of {target}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and is_private(node.attr):
            owner = node.value
            while isinstance(owner, ast.Attribute):
                owner = owner.value
            if isinstance(owner, ast.Name) and owner.id in bound:
                if node.attr not in PUBLIC_UNDERSCORE:
                    why = f"private name {node.attr} of {bound[owner.id]}"
                    found.append((node.lineno, ast.unparse(node), why))
    return sorted(dict.fromkeys(found))  # once per statement and reason, in line order


def check_layers(root: Path) -> list[str]:
    """Every import that breaks the rule, as `file:line: statement  (why)`."""
    modules = source_modules(root)
    problems: list[str] = []
    for module, path in modules.items():
        where = path.relative_to(root).as_posix()
        for line, statement, why in check_file(module, path, where, set(modules)):
            problems.append(f"{where}:{line}: {statement}  ({why})")
    return problems


def check_folders(root: Path) -> list[str]:
    """Folders of .py files that are not a package, or not a layer of RANKS."""
    problems = []
    for package, folder in package_dirs(root).items():
        for sub in sorted({p.parent for p in folder.rglob("*.py")}):
            dotted = ".".join((package, *sub.relative_to(folder).parts))
            where = sub.relative_to(root).as_posix() + "/"
            if not (sub / "__init__.py").is_file():
                problems.append(f"{where} has .py files but no __init__.py")
            if dotted not in RANKS:
                problems.append(f"{where} ({dotted}) is not a layer of RANKS")
    return problems


def test_imports_follow_the_layers() -> None:
    problems = check_layers(ROOT)
    if problems:
        pytest.fail("imports that break the layers:\n" + "\n".join(problems), pytrace=False)


def test_every_source_folder_is_a_package_and_a_layer() -> None:
    problems = check_folders(ROOT)
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_the_checker_finds_each_kind_of_violation(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": (
            '[tool.setuptools.package-dir]\nkzf = "kzf"\n"kzf.dsl" = "dsl"\n"kzf.engine" = "engine"\n'
        ),
        "kzf/__init__.py": "from kzf.engine.core.ir import Expr\nfrom kzf.version import __version__\n",
        "kzf/version.py": "__version__ = '0'\n",
        "dsl/__init__.py": "",
        "dsl/parser.py": (
            "import re\n"
            "from kzf.version import __version__\n"  # allowed: the leaf module
            "from kzf import version\n"  # allowed: the same module
            "from kzf import compile\n"  # line 4: the facade
        ),
        "engine/__init__.py": "",
        "engine/core/__init__.py": "from . import ir\n",
        "engine/core/ir.py": (
            "from kzf.dsl import parser\n"  # allowed: lower rank
            "from kzf.engine.core import numeric\n"  # allowed: own package
            "_POISON = object()\n"
            "def f():\n"
            "    from kzf.engine.compile.resolve import check\n"  # line 5: higher, inside a function
            "    return parser.parse, numeric._round\n"  # line 6: private attribute, own package too
        ),
        "engine/core/numeric.py": "def _round(x): return x\n",
        "engine/compile/__init__.py": "",
        "engine/compile/resolve.py": (
            "from typing import TYPE_CHECKING\n"
            "from kzf.engine.core import ir\n"
            "from ..core.ir import _POISON\n"  # line 3: private name, relative import
            "if TYPE_CHECKING:\n"
            "    import kzf\n"  # line 5: the facade, under TYPE_CHECKING
            "def check(): return ir._POISON, ir.f\n"  # line 6: private attribute
        ),
        "engine/stats/__init__.py": "",
        "engine/stats/trends.py": "import kzf.engine.io.data as data\n",  # line 1: a peer
        "engine/io/__init__.py": "",
        "engine/io/data.py": "from ..run import backends\n",  # line 1: higher, relative
        "engine/run/__init__.py": "",
        "engine/run/backends.py": "from kzf.engine.io.data import load\nfrom kzf.engine.nowhere import x\n",
        "engine/loose/helper.py": "",
        "engine/extra/__init__.py": "",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    found = check_layers(tmp_path)
    assert sorted(p.partition("  (")[0] for p in found) == sorted(
        [
            "dsl/parser.py:4: from kzf import compile",
            "engine/core/ir.py:5: from kzf.engine.compile.resolve import check",
            "engine/core/ir.py:6: numeric._round",
            "engine/compile/resolve.py:3: from ..core.ir import _POISON",
            "engine/compile/resolve.py:5: import kzf",
            "engine/compile/resolve.py:6: ir._POISON",
            "engine/stats/trends.py:1: import kzf.engine.io.data as data",
            "engine/io/data.py:1: from ..run import backends",
            "engine/run/backends.py:2: from kzf.engine.nowhere import x",
        ]
    ), "\n".join(found)
    assert any("a peer layer, kzf.engine.io" in p for p in found)
    assert any("imports the kzf facade" in p and "dsl/parser.py" in p for p in found)

    assert check_folders(tmp_path) == [
        "engine/extra/ (kzf.engine.extra) is not a layer of RANKS",
        "engine/loose/ has .py files but no __init__.py",
        "engine/loose/ (kzf.engine.loose) is not a layer of RANKS",
    ]
