"""Diagnostics for machines and terminals (issue 20, item 3): `--diagnostics-format json|sarif`
and colours that respect NO_COLOR.

The SARIF log is validated against SARIF 2.1.0's own JSON schema (OASIS; the final schema,
2.1.0-rtm.5, as Microsoft's @microsoft/jest-sarif 1.0.0-beta.0 package ships it on npm, MIT
licence, copied unchanged to tests/cli/sarif-2.1.0-rtm.5.json): what GitHub code scanning and
the other CI systems read to annotate lines.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from kzf.engine.cli.main import main

SCHEMA = json.loads((Path(__file__).parent / "sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
WARNED = "dims entity, year\ninput a, b\nshare = a / b\n"  # KZF310 at 3:13-3:14
BROKEN = "dims entity, year\ninput a\ny = a + bb\nz = lg(a)\n"  # KZF010, KZF014


def _files(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "warned.kzf").write_text(WARNED, encoding="utf-8")
    (tmp_path / "broken.kzf").write_text(BROKEN, encoding="utf-8")
    return tmp_path / "warned.kzf", tmp_path / "broken.kzf"


def test_kzf_check_writes_a_sarif_log_that_the_sarif_schema_accepts(tmp_path, capsys) -> None:
    warned, broken = _files(tmp_path)
    status = main(["check", str(warned), str(broken), "--diagnostics-format", "sarif"])
    assert status == 2
    out = capsys.readouterr()
    log = json.loads(out.out)  # the log is the output; nothing else is on stdout
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    assert run["tool"]["driver"]["name"] == "kzf" and run["columnKind"] == "unicodeCodePoints"
    found = [
        (
            r["ruleId"],
            r["level"],
            Path(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]).name,
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"],
        )
        for r in run["results"]
    ]
    assert ("KZF310", "warning", "warned.kzf", 3, 13) in found
    assert ("KZF010", "error", "broken.kzf", 3, 9) in found
    assert ("KZF014", "error", "broken.kzf", 4, 5) in found  # no function lg
    rules = {
        rule["id"]: rule["shortDescription"]["text"] for rule in run["tool"]["driver"]["rules"]
    }
    assert rules["KZF010"] == "undefined name"
    for r in run["results"]:  # ruleIndex points at the rule
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    assert out.err == ""


def test_a_clean_file_gives_an_empty_valid_log(tmp_path, capsys) -> None:
    (tmp_path / "ok.kzf").write_text("dims entity, year\ninput a\ny = 2 * a\n", encoding="utf-8")
    assert main(["check", str(tmp_path / "ok.kzf"), "--diagnostics-format", "sarif"]) == 0
    log = json.loads(capsys.readouterr().out)
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    assert log["runs"][0]["results"] == []


def test_the_json_document_has_every_diagnostic_with_its_position(tmp_path, capsys) -> None:
    warned, _ = _files(tmp_path)
    assert main(["check", str(warned), "--diagnostics-format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    [d] = document["diagnostics"]
    assert (d["code"], d["severity"], d["line"], d["column"], d["end_column"]) == (
        "KZF310",
        "warning",
        3,
        13,
        14,
    )
    assert d["file"].endswith("warned.kzf") and d["notes"]
    assert document["summary"] == {"error": 0, "warning": 1, "note": 0}


def test_eval_keeps_its_results_on_stdout_and_writes_the_document_on_stderr(
    tmp_path, capsys
) -> None:
    warned, _ = _files(tmp_path)
    (tmp_path / "d.csv").write_text("entity,year,a,b\nA,2020,1,0\nB,2020,2,4\n", encoding="utf-8")
    argv = ["eval", str(warned), "--data", str(tmp_path / "d.csv"), "--format", "csv"]
    assert main([*argv, "--diagnostics-format", "json"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines()[0] == "entity,year,share"
    codes = [d["code"] for d in json.loads(out.err)["diagnostics"]]
    assert codes == ["KZF310", "KZF201"]  # the static warning, then the division by 0 in A
    bad = tmp_path / "bad.csv"
    bad.write_text("entity,year,a,b\nA,2020,1,2\nA,2020,3,4\n", encoding="utf-8")
    status = main([*argv[:2], "--data", str(bad), "--diagnostics-format", "json"])
    assert status == 1  # a data error: the same exit status as in text
    assert "KZF103" in [d["code"] for d in json.loads(capsys.readouterr().err)["diagnostics"]]


def _stderr_on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """What kzf writes to stderr when stderr is a terminal (a pseudo-terminal here)."""
    leader, follower = pty.openpty()
    done = subprocess.run(
        [sys.executable, "-m", "kzf", *argv],
        stderr=follower,
        stdout=subprocess.DEVNULL,
        env=env,
        timeout=60,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert done.returncode == 2
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("no_color", [None, "1"])
def test_a_terminal_gets_coloured_severities_unless_no_color_is_set(tmp_path, no_color) -> None:
    _, broken = _files(tmp_path)
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    env["TERM"] = "xterm-256color"
    if no_color is not None:
        env["NO_COLOR"] = no_color
    shown = _stderr_on_a_terminal(["check", str(broken)], env)
    assert "error[KZF010]" in shown
    if no_color is None:
        assert "\x1b[1;31merror[KZF010]\x1b[0m" in shown
    else:
        assert "\x1b[" not in shown


def test_a_pipe_gets_no_colour(tmp_path) -> None:
    _, broken = _files(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    done = subprocess.run(
        [sys.executable, "-m", "kzf", "check", str(broken)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 2 and "error[KZF010]" in done.stderr and "\x1b[" not in done.stderr
