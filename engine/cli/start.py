"""A start for new users: `kzf init FOLDER` (a project to copy from) and `kzf completion SHELL`.

`kzf init` writes a project that works as it is: `kzf.toml` (the project's root: imports and
the file's own data may not leave it), a formula file with a value it reproduces, its data,
and a test that runs `kzf test` on it, so that `cd FOLDER && kzf test formulas` and `pytest`
pass at once. It never writes into a folder that has files in it.

`kzf completion bash|zsh|tcsh` prints a completion script for the shell, made from kzf's own
command-line parser by shtab, so that it completes every command and option there is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kzf.dsl.diagnostics import UsageError, localised

FILES = {
    "kzf.toml": """# The root of a kzf project: imports and a file's `data` stay in this folder.
""",
    "formulas/efficiency.kzf": """# Efficiency of ICT spending: output per tenge, and its growth.
title "ICT efficiency (example)"
source "kzf init: an example to start from"
dims entity, year
data "../data/efficiency.csv"

input spend : mln KZT > 0      # ICT costs
input output : mln KZT >= 0    # ICT output

ratio = output / spend
growth_pct = 100 * growth(ratio)

label ratio en "Output per tenge of ICT spending" \\
    kk "ИКТ шығындарының бір теңгесіне өнім" ru "Выпуск на тенге затрат на ИКТ"

# the value to reproduce, with where it comes from (here: 250 / 100, by hand)
expect ratio[KZ, 2021] = 2.5 derived "250 / 100"
""",
    "data/efficiency.csv": """entity,year,spend,output
KZ,2020,80,180
KZ,2021,100,250
KG,2020,20,30
KG,2021,25,40
""",
    "tests/test_formulas.py": '''"""Every formula file reproduces its expectations (kzf test)."""

from pathlib import Path

from kzf.engine.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


def test_every_expectation_is_reproduced() -> None:
    assert main(["test", str(ROOT / "formulas")]) == 0
''',
    "README.md": """# A kzf project

    kzf eval formulas/efficiency.kzf          # the results, on the file's data
    kzf test formulas                         # the values the files must reproduce
    kzf report formulas/efficiency.kzf -o report.html
    pytest                                    # the same test, for CI

Add a methodology as a new `.kzf` file in `formulas/`, its data in `data/`.
""",
}


def add_parsers(sub: argparse._SubParsersAction) -> None:
    init = sub.add_parser(
        "init",
        help="make a new project folder: kzf.toml, a formula file, its data and a test",
        description="Write a kzf project into FOLDER (new, or empty): kzf.toml, "
        "formulas/efficiency.kzf, data/efficiency.csv, tests/test_formulas.py, README.md.",
    )
    init.add_argument("folder", metavar="FOLDER")
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script: kzf completion bash >> ~/.bashrc",
        description="Print the completion script of kzf for SHELL. Bash: "
        "`kzf completion bash > ~/.local/share/bash-completion/completions/kzf`; zsh: "
        '`kzf completion zsh > "${fpath[1]}/_kzf"`.',
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))


def cmd_init(args: argparse.Namespace) -> int:
    folder = Path(args.folder)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise UsageError(
            [
                localised(
                    "KZF108",
                    "kzf init {folder}: it is not a folder; give a new or empty folder",
                    folder=folder,
                )
                if not folder.is_dir()
                else localised(
                    "KZF108",
                    "kzf init {folder}: it has files in it; give a new or empty folder",
                    folder=folder,
                )
            ]
        )
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as f:  # never over a file (and the umask's mode)
            f.write(text)
    print(f"made {folder}: try `cd {folder} && kzf test formulas`", file=sys.stderr)
    return 0


def cmd_completion(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    import shtab

    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return 0


__all__ = ["FILES", "add_parsers", "cmd_completion", "cmd_init"]
