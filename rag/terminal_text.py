"""Untrusted text made safe to print on a terminal: the CLI's one rule for titles, file
names, passages and messages.

A document's title or a file's name comes from whoever wrote the file. Printed raw, an
escape sequence ("\\x1b[2J", "\\x1b]0;...") drives the terminal, a newline in a file name
forges a line of output ("added    ..."), a bidirectional override reorders what is shown,
and a lone surrogate (an undecodable byte in a file name) makes printing itself fail. Each of
these characters is shown as its Python escape (`\\x1b`, `\\n`, `\\u202e`, `\\udcff`) instead.
Leaves out HTML escaping (`rag.render`) and JSON, whose encoder escapes control characters
already.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, bidirectional embeddings, overrides and isolates, the line and
# paragraph separators, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")
_UNSAFE_EXCEPT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]")


def _escaped(match: re.Match) -> str:
    character = match.group()
    if character in "\n\t\r":
        return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """`text` on one line: every control character escaped, newlines included (names, titles,
    sources, messages)."""
    return _UNSAFE.sub(_escaped, str(text))


def block(text: object) -> str:
    """`text` with its line breaks kept and every other control character escaped (answers,
    passages)."""
    return _UNSAFE_EXCEPT_NEWLINE.sub(_escaped, str(text))
