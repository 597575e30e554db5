"""Read a .kzf file and, transitively, the files it imports.

Imports are resolved relative to the importing file. A file imported twice along different
paths (a diamond) is loaded once. A cycle, a missing file, or (unless allowed) a path that
leaves the folder of the root file is an error positioned at the `import` statement.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from kzf.dsl import ast, framework
from kzf.dsl.diagnostics import Diagnostic, ProgramError, Span, localised
from kzf.dsl.parser import MAX_SOURCE_BYTES, parse_module


@dataclass
class ModuleSet:
    """The root module and everything it imports, in dependency order (imports first)."""

    root: ast.Module
    modules: list[ast.Module] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def read_source(path: str | os.PathLike[str], span: Span | None = None) -> str:
    """The text of a .kzf file, or a positioned KZF003/KZF020 error."""
    p = Path(path)
    shown = str(path)
    try:
        info = p.stat()
    except OSError:
        raise ProgramError(
            [localised("KZF020", "file not found: {path}", span, path=shown)]
        ) from None
    if not stat.S_ISREG(info.st_mode):  # /dev/zero, a FIFO: no end, or no size to trust
        if stat.S_ISDIR(info.st_mode):
            wrong = localised("KZF003", "{path}: a folder, not a .kzf file", span, path=shown)
        else:
            wrong = localised(
                "KZF003", "{path}: not a regular file, not a .kzf file", span, path=shown
            )
        raise ProgramError([wrong])
    too_large = ProgramError(
        [
            localised(
                "KZF004",
                "{path}: file larger than {limit} bytes",
                span,
                path=shown,
                limit=MAX_SOURCE_BYTES,
            )
        ]
    )
    if info.st_size > MAX_SOURCE_BYTES:
        raise too_large
    try:
        with p.open("rb") as f:  # the limit holds while reading (a file that grows)
            raw = f.read(MAX_SOURCE_BYTES + 1)
        if len(raw) > MAX_SOURCE_BYTES:
            raise too_large
    except OSError as exc:
        raise ProgramError(
            [
                localised(
                    "KZF003", "{path}: cannot read: {reason}", span, path=shown, reason=exc.strerror
                )
            ]
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ProgramError(
            [
                localised(
                    "KZF003",
                    "the file is not valid UTF-8 (byte 0x{byte}); save it as UTF-8",
                    Span(shown, line, col, line, col + 1),
                    byte=f"{raw[exc.start]:02X}",
                )
            ]
        ) from None
    return text


def load_modules(
    root_text: str,
    root_path: str,
    *,
    base_dir: str | None,
    boundary: str | None = None,
    allow_import_outside: bool = False,
) -> ModuleSet:
    """Parse the root text and every import it reaches; collect all errors in one pass.

    `base_dir` is the folder imports of the root are relative to; `boundary` the folder no
    import may leave (default: base_dir)."""
    diagnostics: list[Diagnostic] = []
    sources: dict[str, str] = {root_path: root_text}
    loaded: dict[str, ast.Module] = {}
    order: list[ast.Module] = []
    limit = boundary or base_dir
    fence = Path(limit).resolve() if limit else None

    def with_frameworks(module: ast.Module, directory: Path | None) -> ast.Module:
        """The module with each `framework` statement replaced by what its table declares
        (dsl/framework.py), and std:composite imported for the normalisations it uses."""
        if not any(isinstance(s, ast.Framework) for s in module.statements):
            return module
        declared = {
            s.name for s in module.statements if isinstance(s, ast.InputDecl | ast.ParamDecl)
        }
        declared |= {s.name for s in module.statements if isinstance(s, ast.Definition)}
        statements: list[ast.Statement] = []
        for stmt in module.statements:
            if not isinstance(stmt, ast.Framework):
                statements.append(stmt)
                continue
            table = fenced(stmt.path, stmt.span, directory, "read a framework table")
            if table is None:
                continue
            try:
                text = read_source(table, stmt.span)
            except ProgramError as exc:
                diagnostics.extend(exc.diagnostics)
                continue
            shown = display_path(table)
            expansion = framework.expand(stmt, text, shown, declared)
            sources[shown] = expansion.shown_text
            diagnostics.extend(expansion.diagnostics)
            statements += [ast.Import(f"{STD_PREFIX}composite", stmt.span), *expansion.statements]
        return dataclasses.replace(module, statements=tuple(statements))

    def fenced(path: str, span: Span, directory: Path | None, action: str) -> Path | None:
        """The file a statement names (`action`: "import", "read a framework table"), or
        None with KZF020 (a program given as text has no folder) or KZF022 (it leaves the
        project): the one fence of imports and framework tables."""
        if directory is None:
            if action == "import":
                given = localised(
                    "KZF020",
                    "cannot import {path} from a program given as text; pass base_dir to compile()",
                    span,
                    path=repr(path),
                )
            else:
                given = localised(
                    "KZF020",
                    "cannot read a framework table {path} from a program given as text; "
                    "pass base_dir to compile()",
                    span,
                    path=repr(path),
                )
            diagnostics.append(given)
            return None
        target = (directory / path).resolve()
        if fence is not None and not allow_import_outside and not target.is_relative_to(fence):
            if action == "import":
                outside = localised(
                    "KZF022",
                    "import {path} leaves the folder {folder}",
                    span,
                    "pass --allow-import-outside to allow it",
                    path=repr(path),
                    folder=fence,
                )
            else:
                outside = localised(
                    "KZF022",
                    "a framework table {path} leaves the folder {folder}",
                    span,
                    "pass --allow-import-outside to allow it",
                    path=repr(path),
                    folder=fence,
                )
            diagnostics.append(outside)
            return None
        return target

    def visit(module: ast.Module, directory: Path | None, stack: list[str]) -> None:
        for stmt in module.statements:
            if not isinstance(stmt, ast.Import):
                continue
            standard = stmt.path.startswith(STD_PREFIX)
            if standard:
                target = _std_path(stmt.path)  # no fence applies to the standard library
            else:
                found = fenced(stmt.path, stmt.span, directory, "import")
                if found is None:
                    continue
                target = found
            key = str(target)
            if key in stack:
                cycle = " -> ".join(Path(s).name for s in [*stack[stack.index(key) :], key])
                diagnostics.append(
                    localised("KZF021", "import cycle: {cycle}", stmt.span, cycle=cycle)
                )
                continue
            if key in loaded:
                continue
            if not target.is_file():
                diagnostics.append(
                    localised("KZF020", "import not found: {path}", stmt.span, path=repr(stmt.path))
                )
                continue
            try:
                text = read_source(target, stmt.span)
                display = stmt.path if standard else display_path(target)
                sources[display] = text
                child = with_frameworks(parse_module(text, display), target.parent)
            except ProgramError as exc:
                diagnostics.extend(exc.diagnostics)
                sources.update(exc.sources)
                continue
            loaded[key] = child
            visit(child, target.parent, [*stack, key])
            order.append(child)

    try:
        root = parse_module(root_text, root_path)
    except ProgramError as exc:
        raise ProgramError(exc.diagnostics, {**sources, **exc.sources}) from None
    root = with_frameworks(root, Path(base_dir) if base_dir else None)
    root_key = str(Path(root_path).resolve()) if base_dir else "<root>"
    visit(root, Path(base_dir) if base_dir else None, [root_key])
    if diagnostics:
        raise ProgramError(diagnostics, sources)
    order.append(root)
    return ModuleSet(root, order, sources)


STD_PREFIX = "std:"


def _std_path(name: str) -> Path:
    """`import "std:composite"`: a file of kzf's standard library (dsl/std/), written in .kzf
    itself and installed with the package; no fence applies to it."""
    stem = name[len(STD_PREFIX) :]
    folder = Path(str(resources.files("kzf.dsl").joinpath("std")))
    if not stem.replace("_", "").isalnum():
        return folder / "-not-a-name-"  # reported as not found
    return folder / f"{stem}.kzf"


def file_of(path: str) -> Path:
    """The file a span's path names: a standard library module's (`std:composite`) in the
    installed package, any other as it is."""
    return _std_path(path) if path.startswith(STD_PREFIX) else Path(path)


def display_path(target: Path) -> str:
    """Show imported files relative to the working directory when they are below it."""
    try:
        return str(target.relative_to(Path.cwd()))
    except ValueError:
        return str(target)
