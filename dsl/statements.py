"""Split a .kzf source into statements before parsing.

A statement ends at a newline, unless the newline is inside brackets, inside a string, or
follows a backslash. Parsing each statement on its own lets one pass report every syntax
error of a file (as a compiler does), not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass

_OPEN = {"(": ")", "[": "]"}
_CLOSE = {")": "(", "]": "["}
_CONTINUES = set("\\+-*/^=,<>")


@dataclass(frozen=True)
class Chunk:
    """The text of one statement and where it starts in the file (0-based offset, 1-based line)."""

    text: str
    offset: int
    line: int


@dataclass(frozen=True)
class Unclosed:
    """A bracket still open at the end of the file."""

    char: str
    offset: int
    line: int
    column: int


def split_statements(source: str) -> tuple[list[Chunk], list[Unclosed]]:
    chunks: list[Chunk] = []
    unclosed: list[Unclosed] = []
    stack: list[tuple[str, int, int, int]] = []  # (char, offset, line, column)
    start, start_line = 0, 1
    line, line_start = 1, 0
    i, n = 0, len(source)
    in_string = False
    last_code_char = ""  # the last character that is not blank and not in a comment

    def flush(end: int) -> None:
        text = source[start:end]
        if _has_code(text):
            chunks.append(Chunk(text, start, start_line))

    while i < n:
        c = source[i]
        if in_string:
            if c == "\\" and i + 1 < n and source[i + 1] != "\n":
                i += 2
                continue
            if c == '"' or c == "\n":  # an unterminated string ends at the line end
                in_string = False
                if c == "\n":
                    continue
        elif c == '"':
            in_string = True
        elif c == "#":
            while i < n and source[i] != "\n":
                i += 1
            continue
        elif c in _OPEN:
            stack.append((c, i, line, i - line_start + 1))
        elif c in _CLOSE:
            if stack and stack[-1][0] == _CLOSE[c]:
                stack.pop()
        elif c == "\n":
            # A line ending in a backslash or a binary operator goes on to the next line.
            continued = last_code_char in _CONTINUES
            if not stack and not continued:
                flush(i)
                start, start_line = i + 1, line + 1
            line, line_start = line + 1, i + 1
        if not c.isspace() and c != "#":
            last_code_char = c
        i += 1
    if stack:
        # Report the outermost unclosed bracket; the statement it opened runs to its line end
        # only, so that the statements after it are still checked.
        char, offset, b_line, b_col = stack[0]
        unclosed.append(Unclosed(char, offset, b_line, b_col))
        end_of_line = source.find("\n", offset)
        end = n if end_of_line < 0 else end_of_line
        flush(end)
        if end < n:
            rest_chunks, rest_unclosed = split_statements(source[end + 1 :])
            first_line = source.count("\n", 0, end + 1) + 1
            for ch in rest_chunks:
                chunks.append(Chunk(ch.text, ch.offset + end + 1, ch.line + first_line - 1))
            for u in rest_unclosed:
                unclosed.append(
                    Unclosed(u.char, u.offset + end + 1, u.line + first_line - 1, u.column)
                )
        return chunks, unclosed
    flush(n)
    return chunks, unclosed


def _has_code(text: str) -> bool:
    """True when the text holds something other than blanks, comments and line breaks."""
    for raw in text.splitlines():
        stripped = raw.strip().rstrip("\\").strip()
        if stripped and not stripped.startswith("#"):
            return True
    return False
