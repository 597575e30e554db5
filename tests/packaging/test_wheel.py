"""The wheel as a user gets it: built from the checkout, installed in a fresh virtual
environment outside it, and run as the `kzf` command from a folder that is not the checkout.

Every other test imports kzf from the checkout (the editable install), where a sub-package
missing from pyproject's `packages` or a data file missing from `package-data` goes unnoticed;
here it fails. The new environment gets the test environment's third-party packages through
a .pth file, so nothing is downloaded, but not kzf: the editable install works through a .pth
file of its own that runs a finder, and Python does not process .pth files in a directory
that another .pth file added, so the only kzf the new environment can import is the wheel's.

Slow (a wheel build, a virtual environment and four runs of the command: about 15 s), and
in the default run on purpose: CI must build and install the wheel.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(300)  # slow: see the module's docstring


def run(
    args: list[str | Path], cwd: Path, timeout: float = 120, **extra_env: str
) -> subprocess.CompletedProcess[str]:
    """Run a command with no PYTHONPATH, user site or active virtual environment to leak in."""
    hidden = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env={**env, "PYTHONNOUSERSITE": "1", **extra_env},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def source_packages() -> set[str]:
    """Every folder with an __init__.py, as the dotted package pyproject's package-dir makes it."""
    with open(ROOT / "pyproject.toml", "rb") as f:
        package_dir: dict[str, str] = tomllib.load(f)["tool"]["setuptools"]["package-dir"]
    return {
        ".".join((package, *init.parent.relative_to(ROOT / folder).parts))
        for package, folder in package_dir.items()
        for init in (ROOT / folder).rglob("__init__.py")
    }


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # setuptools builds in ./build and ./kzf.egg-info of the checkout unless told otherwise;
    # a stale file left in build/ by an earlier build would be packed into this wheel.
    config = out / "setup.cfg"
    config.write_text(f"[build]\nbuild_base = {out / 'build'}\n[egg_info]\negg_base = {out}\n")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = run([*pip_wheel, "-w", out / "dist", "."], ROOT, 180, DIST_EXTRA_CONFIG=str(config))
    assert built.returncode == 0, built.stdout + built.stderr
    (found,) = (out / "dist").glob("kzf-*.whl")
    return found


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel installed and the test environment's
    third-party packages visible."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    assert not venv.is_relative_to(ROOT)
    made = run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=venv.parent)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    pip_install: list[str | Path] = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--no-deps",
    ]
    installed = run([*pip_install, "--no-index", wheel], cwd=venv.parent)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    where = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], venv)
    site_packages = Path(where.stdout.strip())
    ours = sysconfig.get_paths()
    (site_packages / "test-environment.pth").write_text(
        "\n".join(dict.fromkeys([ours["purelib"], ours["platlib"]])) + "\n"
    )
    return venv


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder outside the checkout with a copy of the EGDI methodology and its data."""
    assert not tmp_path.is_relative_to(ROOT)
    shutil.copy(ROOT / "formulas" / "egdi.kzf", tmp_path)
    shutil.copy(ROOT / "data" / "eaeu.csv", tmp_path)
    return tmp_path


def test_the_wheel_holds_every_package_and_the_language_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = {n.rpartition("/")[0].replace("/", ".") for n in names if n.endswith("/__init__.py")}
    missing = source_packages() - packages
    assert not missing, (
        f"packages missing from the wheel: {', '.join(sorted(missing))} "
        "(add them to [tool.setuptools] packages in pyproject.toml)"
    )
    assert {n.partition("/")[0] for n in names} == {
        "kzf",
        wheel.name.split("-py")[0] + ".dist-info",
    }

    data = ["kzf/dsl/kzf.lark"] + [
        f"kzf/dsl/std/{p.name}" for p in (ROOT / "dsl/std").glob("*.kzf")
    ]
    assert "kzf/dsl/std/composite.kzf" in data
    assert not set(data) - names, f"data files missing from the wheel: {sorted(set(data) - names)}"


def test_kzf_is_imported_from_the_wheel(venv: Path, work: Path) -> None:
    code = "import kzf, kzf.engine.cli.main as m; print(kzf.__file__); print(m.__file__)"
    shown = run([venv / "bin" / "python", "-c", code], work)
    assert shown.returncode == 0, shown.stderr
    for file in shown.stdout.split():
        assert Path(file).is_relative_to(venv), f"kzf is imported from {file}, not the wheel"


def test_kzf_eval_of_the_egdi(venv: Path, work: Path) -> None:
    result = run([venv / "bin" / "kzf", "eval", "egdi.kzf", "--data", "eaeu.csv"], work)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = list(rows[0])
    assert header[:2] == ["entity", "year"]
    assert {"egdi_place", "egdi_relative_position", "egdi_rank_change"} <= set(header)
    (kazakhstan_2020,) = [r for r in rows if (r["entity"], r["year"]) == ("Kazakhstan", "2020")]
    assert float(kazakhstan_2020["egdi_place"]) == 1  # the file's own expectation


def test_kzf_report_writes_html_with_mathematics(venv: Path, work: Path) -> None:
    result = run(
        [venv / "bin" / "kzf", "report", "egdi.kzf", "--data", "eaeu.csv", "-o", "egdi.html"], work
    )
    assert result.returncode == 0, result.stderr
    html = (work / "egdi.html").read_text(encoding="utf-8")
    assert "<math" in html


def test_the_standard_library_is_installed(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "score.kzf").write_text(
        'import "std:composite"\n'
        "input x, y\n"
        "n_x = minmax(x, entity)\n"
        "g_y = goalposts(y, 0, 50)\n"
        "score = amean(n_x: 3, g_y: 1)\n"
    )
    (tmp_path / "score.csv").write_text(
        "entity,year,x,y\nA,2020,10,25\nB,2020,20,60\nC,2020,40,-5\nA,2021,5,10\nB,2021,5,20\nC,2021,8,50\n"
    )
    result = run([venv / "bin" / "kzf", "eval", "score.kzf", "--data", "score.csv"], tmp_path)
    assert result.returncode == 0, result.stderr

    # minmax across the entities of each year; goalposts 0 and 50, clamped to [0, 1]
    n_x = {("A", 2020): 0, ("B", 2020): (20 - 10) / (40 - 10), ("C", 2020): 1}
    n_x |= {("A", 2021): 0, ("B", 2021): 0, ("C", 2021): 1}
    g_y = {("A", 2020): 25 / 50, ("B", 2020): 1, ("C", 2020): 0}
    g_y |= {("A", 2021): 10 / 50, ("B", 2021): 20 / 50, ("C", 2021): 1}
    got = {(r["entity"], int(r["year"])): r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert set(got) == set(n_x)
    for key, row in got.items():
        assert float(row["n_x"]) == pytest.approx(n_x[key])
        assert float(row["g_y"]) == pytest.approx(g_y[key])
        assert float(row["score"]) == pytest.approx((3 * n_x[key] + g_y[key]) / 4)
