"""`kzf lsp` driven as an editor drives it (issue 20, item 1): a process started on stdio and
spoken to in Language Server Protocol messages (JSON-RPC with Content-Length headers), the
answers checked against what the file says, worked out by hand from its text.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROGRAM = """title "Efficiency"
dims entity, year
data "d.csv"
input spend : mln KZT > 0
input output : mln KZT
ratio = output / spend
pct = 100 * ratio
label ratio en "Output per tenge spent" kk "Бір теңгеге өнім"
"""
DATA = "entity,year,spend,output,staff\nKZ,2020,10,25,3\nKZ,2021,20,30,4\n"


class Client:
    """A minimal LSP client over the server's stdin and stdout."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kzf", "lsp"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("ascii").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            self.messages.put(json.loads(stream.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode("utf-8")
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=60)
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                return message["result"]

    def notification(self, method: str) -> dict[str, Any]:
        while True:
            message = self.messages.get(timeout=60)
            if message.get("method") == method:
                return message["params"]


@pytest.fixture
def client(tmp_path: Path) -> Iterator[Client]:
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    c = Client(tmp_path)
    c.request("initialize", {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}})
    c.send({"method": "initialized", "params": {}})
    yield c
    c.request("shutdown", None)
    c.send({"method": "exit"})
    assert c.process.wait(timeout=30) == 0


def _open(client: Client, path: Path, text: str) -> dict[str, Any]:
    document = {"uri": path.as_uri(), "languageId": "kzf", "version": 1, "text": text}
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": document}})
    return client.notification("textDocument/publishDiagnostics")


def _at(path: Path, line: int, character: int) -> dict[str, Any]:
    return {
        "textDocument": {"uri": path.as_uri()},
        "position": {"line": line, "character": character},
    }


def test_the_checkers_diagnostics_arrive_as_the_file_is_edited(
    client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "f.kzf"
    published = _open(client, path, PROGRAM)
    assert published["uri"] == path.as_uri() and published["diagnostics"] == []
    broken = PROGRAM.replace("pct = 100 * ratio", "pct = 100 * rato")
    client.send(
        {
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": path.as_uri(), "version": 2},
                "contentChanges": [{"text": broken}],
            },
        }
    )
    [diagnostic] = client.notification("textDocument/publishDiagnostics")["diagnostics"]
    assert diagnostic["code"] == "KZF010" and diagnostic["severity"] == 1  # Error
    assert "did you mean 'ratio'" in diagnostic["message"]
    # `pct = 100 * rato`, line 7 (6 from 0), the name from character 12 to 16
    assert diagnostic["range"] == {
        "start": {"line": 6, "character": 12},
        "end": {"line": 6, "character": 16},
    }


def test_a_warning_is_a_warning_with_its_code(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "w.kzf"
    [found] = _open(client, path, "dims entity, year\ninput a, b\nshare = a / b\n")["diagnostics"]
    assert (found["code"], found["severity"], found["range"]["start"]) == (
        "KZF310",
        2,  # Warning
        {"line": 2, "character": 12},
    )


def test_hover_shows_what_a_name_is_its_unit_formula_labels_and_values(
    client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "f.kzf"
    _open(client, path, PROGRAM)
    shown = client.request("textDocument/hover", _at(path, 6, 13))["contents"][
        "value"
    ]  # ratio in pct
    assert "**ratio** (definition)" in shown
    assert "ratio = output / spend" in shown
    assert "unit: `1`" in shown or "unit:" in shown
    assert "\\frac" in shown  # the formula as LaTeX
    assert "kk: Бір теңгеге өнім" in shown
    assert "KZ, 2020: 2.5" in shown and "KZ, 2021: 1.5" in shown  # 25 / 10, 30 / 20
    spend = client.request("textDocument/hover", _at(path, 5, 18))["contents"]["value"]
    assert "**spend** (input)" in spend and "mln KZT" in spend and "> 0" in spend


def test_go_to_definition_and_find_references(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "f.kzf"
    _open(client, path, PROGRAM)
    [where] = client.request("textDocument/definition", _at(path, 6, 14))
    assert where["uri"] == path.as_uri()
    assert where["range"]["start"] == {"line": 5, "character": 0}  # `ratio = ...`, line 6
    refs = client.request(
        "textDocument/references", {**_at(path, 5, 1), "context": {"includeDeclaration": True}}
    )
    lines = sorted(r["range"]["start"]["line"] for r in refs)
    assert lines == [5, 6, 7]  # declared, used by pct, labelled


def test_go_to_definition_reaches_into_an_import(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "i.kzf"
    _open(
        client, path, 'import "std:composite"\ndims entity, year\ninput x\nn = minmax(x, entity)\n'
    )
    [where] = client.request("textDocument/definition", _at(path, 3, 5))
    assert where["uri"].endswith("/dsl/std/composite.kzf")


def test_completion_offers_names_builtins_and_the_datas_columns(
    client: Client, tmp_path: Path
) -> None:
    path = tmp_path / "f.kzf"
    _open(client, path, PROGRAM)
    items = client.request("textDocument/completion", _at(path, 7, 0))["items"]
    labels = {i["label"]: i for i in items}
    assert {"ratio", "pct", "spend", "output", "entity", "year"} <= set(labels)
    assert "growth" in labels and labels["growth"]["kind"] == 3  # Function
    assert "staff" in labels and labels["staff"]["detail"] == "a column of the data"


def test_rename_changes_every_place_the_name_is_written(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "f.kzf"
    _open(client, path, PROGRAM)
    edit = client.request("textDocument/rename", {**_at(path, 5, 2), "newName": "efficiency"})
    changes = edit["changes"][path.as_uri()]
    assert sorted(
        (c["range"]["start"]["line"], c["range"]["start"]["character"]) for c in changes
    ) == [
        (5, 0),
        (6, 12),
        (7, 6),
    ]
    assert {c["newText"] for c in changes} == {"efficiency"}


def test_positions_after_a_character_beyond_the_bmp_count_utf16_units(
    client: Client, tmp_path: Path
) -> None:
    """LSP counts UTF-16 code units: '𝑥' (U+1D465) is two of them, one code point for kzf."""
    path = tmp_path / "u.kzf"
    text = 'dims entity, year\ninput a\nlabel a en "𝑥"\nb = a + c\n'
    [found] = _open(client, path, text)["diagnostics"]
    assert found["range"]["start"] == {"line": 3, "character": 8}
    text2 = 'dims entity, year\ninput a\nb = a # 𝑥\nc = "𝑥" + zz\n'
    client.send(
        {
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": path.as_uri(), "version": 2},
                "contentChanges": [{"text": text2}],
            },
        }
    )
    diagnostics = client.notification("textDocument/publishDiagnostics")["diagnostics"]
    starts = [d["range"]["start"] for d in diagnostics]
    # `c = "𝑥" + zz`: zz at code point 10 (0-based), UTF-16 unit 11
    assert {"line": 3, "character": 11} in starts


@pytest.mark.parametrize(
    ("locale", "said"),
    [
        ("ru", "знаменатель `b` может быть равен 0: у b нет объявленной области значений"),
        ("kk", "`b` бөлімі 0 болуы мүмкін: b үшін мәндер облысы жарияланбаған"),
    ],
)
def test_the_editors_locale_chooses_the_language_of_the_diagnostics(
    tmp_path: Path, locale: str, said: str
) -> None:
    """`initialize` with the editor's `locale` (LSP 3.16; VS Code sends its display
    language): the diagnostics and their notes as `kzf check --lang` says them."""
    c = Client(tmp_path)
    params = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}
    c.request("initialize", {**params, "locale": locale})
    c.send({"method": "initialized", "params": {}})
    path = tmp_path / "w.kzf"
    [found] = _open(c, path, "dims entity, year\ninput a, b\nshare = a / b\n")["diagnostics"]
    assert found["code"] == "KZF310"
    assert found["message"].startswith(said), found["message"]
    assert "\n" + {"ru": "пояснение", "kk": "түсініктеме"}[locale] + ": " in found["message"]
    c.request("shutdown", None)
    c.send({"method": "exit"})
    assert c.process.wait(timeout=30) == 0
