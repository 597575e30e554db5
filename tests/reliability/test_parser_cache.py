"""Lark's tables kept between runs (dsl/parser.py, `cache_file`): used only where no one but
the user can write, since the cache is a pickle and reading a pickle may run code.

Each case runs a fresh interpreter with its own XDG_CACHE_HOME, so the per-thread parser of
this test process is not involved."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PARSE = (
    "from kzf.dsl.parser import cache_file, parse_module\n"
    "m = parse_module('input a\\nb = a / 2 + lag(a)\\n', 'x.kzf')\n"
    "print(cache_file())\n"
    "print([type(s).__name__ for s in m.statements])\n"
)

pytestmark = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX ownership checks")


def run_parser(cache_home: Path) -> list[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    done = subprocess.run(
        [sys.executable, "-c", PARSE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # Lark's own complaints (a cache it could not use) stay quiet
    return done.stdout.splitlines()


def test_tables_are_kept_in_a_private_folder_and_read_back(tmp_path: Path) -> None:
    first = run_parser(tmp_path)
    folder = tmp_path / "kzf"
    (cache,) = folder.iterdir()
    assert first[0] == str(cache)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    written = cache.stat().st_mtime_ns
    second = run_parser(tmp_path)
    assert second == first  # the same statements, parsed with the tables read back
    assert cache.stat().st_mtime_ns == written  # read, not rebuilt and written again


def test_a_folder_others_may_write_to_is_not_used(tmp_path: Path) -> None:
    folder = tmp_path / "kzf"
    folder.mkdir()
    folder.chmod(0o777)
    found = run_parser(tmp_path)
    assert found[0] == "False"
    assert list(folder.iterdir()) == []  # nothing written there, nothing read


def test_a_cache_file_others_may_write_to_is_not_read(tmp_path: Path) -> None:
    folder = tmp_path / "kzf"
    folder.mkdir(mode=0o700)
    planted = folder / f"grammar-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache"
    planted.write_bytes(b"not a pickle")
    planted.chmod(0o666)
    found = run_parser(tmp_path)
    assert found[0] == "False"
    assert planted.read_bytes() == b"not a pickle"


def test_a_symlinked_cache_file_is_not_followed(tmp_path: Path) -> None:
    folder = tmp_path / "kzf"
    folder.mkdir(mode=0o700)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"")
    link = folder / f"grammar-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache"
    link.symlink_to(elsewhere)
    assert run_parser(tmp_path)[0] == "False"
    assert elsewhere.read_bytes() == b""


def test_a_damaged_cache_is_rebuilt_and_parsing_is_unchanged(tmp_path: Path) -> None:
    good = run_parser(tmp_path)
    (cache,) = (tmp_path / "kzf").iterdir()
    cache.write_bytes(cache.read_bytes()[:200])  # cut short, as by a full disk
    assert run_parser(tmp_path) == good
    assert cache.stat().st_size > 200  # Lark wrote whole tables again


def test_a_relative_cache_home_is_ignored(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_CACHE_HOME": "relative/cache"}
    done = subprocess.run(
        [sys.executable, "-c", PARSE], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "False"
    assert not (tmp_path / "relative").exists()
