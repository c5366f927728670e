"""Markdown source to prose: paragraphs separated by a blank line, each on one line.

Owns: YAML front matter (`title:` and `date:` only, read line by line, no YAML library),
headings, emphasis, links (the link text stays), images (removed with their alt text),
reference definitions, lists, block quotes, tables (a row becomes "cell | cell"), inline HTML
tags, HTML comments and <script>/<style> blocks. A fenced code block is kept as one paragraph
of its lines joined by spaces, without touching its content. Not a full CommonMark parser:
nested constructs that regexes cannot see (e.g. a link inside an image's alt text) are
approximated.
"""

from __future__ import annotations

import html
import re
from datetime import date

_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}(?:([-*_=])(?:[ \t]*\1){2,}|=+)[ \t]*$")  # also setext underlines
_REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S+")
_TABLE_DELIMITER = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)+\|?\s*$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])[ \t]+(?:\[[ xX]\][ \t]+)?")
_QUOTE = re.compile(r"^ {0,3}(?:>[ \t]?)+")
_HIDDEN_HTML = re.compile(r"<!--.*?(?:-->|\Z)|<(script|style)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
_ESCAPED = re.compile("[\ue000-\ue07f]")
_INLINE = [  # (pattern, replacement), applied in order outside code spans
    (re.compile(r"!\[[^\]]*\](?:\((?:[^()]|\([^()]*\))*\)|\[[^\]]*\])"), ""),  # images
    (re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<((?:https?|ftp|mailto):[^>\s]+|[^@<>\s]+@[^@<>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"<br\s*/?>", re.I), " "),
    (re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"), ""),  # HTML tags
    (re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"), r"\1"),  # **strong**
    (re.compile(r"(?<!\w)__(?=\S)(.+?)(?<=\S)__(?!\w)"), r"\1"),  # __strong__
    (re.compile(r"\*(?=[^\s*])(.+?)(?<=[^\s*])\*"), r"\1"),  # *em*
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),  # _em_ (not snake_case)
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),  # strikethrough
]


def markdown_to_text(source: str) -> tuple[str, str | None, str | None]:
    """Return (text, title, published) for Markdown `source` (already decoded)."""
    fields, body = _front_matter(source)
    paragraphs: list[str] = []
    headings: list[str] = []  # level-1 headings, in order
    for is_code, lines in _segments(body):
        if is_code:
            paragraphs.append(" ".join(line.strip() for line in lines if line.strip()))
        else:
            _prose(_HIDDEN_HTML.sub("", "\n".join(lines)), paragraphs, headings)
    title = fields.get("title") or (headings[0] if headings else None)
    return "\n\n".join(p for p in paragraphs if p), title, _iso_date(fields.get("date"))


def _front_matter(source: str) -> tuple[dict[str, str], str]:
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    fields = {}
    for line in match.group(1).split("\n"):
        key, colon, value = line.partition(":")
        value = value.strip().strip("\"'").strip()
        if colon and key.strip() and not line[0].isspace() and value not in ("", "|", ">"):
            fields.setdefault(key.strip().lower(), value)
    return fields, source[match.end():]


def _iso_date(value: str | None) -> str | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})(?![\d])", value or "")
    try:
        return date(*map(int, match.groups())).isoformat() if match else None
    except ValueError:
        return None


def _segments(body: str):
    """Split into (is_code, lines) runs: fenced code blocks and the prose between them."""
    prose: list[str] = []
    lines = iter(body.split("\n"))
    for line in lines:
        fence = _FENCE.match(line)
        if not fence:
            prose.append(line)
            continue
        yield False, prose
        prose, code, marker = [], [], fence.group(1)
        for inner in lines:
            stripped = inner.strip()
            if stripped.startswith(marker) and set(stripped) == {marker[0]}:
                break
            code.append(inner)
        yield True, code
    yield False, prose


def _prose(text: str, paragraphs: list[str], headings: list[str]) -> None:
    current: list[str] = []

    def flush():
        if current:
            paragraphs.append(_inline(" ".join(current)))
            current.clear()

    for line in text.split("\n"):
        line = _QUOTE.sub("", line)
        heading = _HEADING.match(line)
        if not line.strip() or _REFERENCE.match(line) or _TABLE_DELIMITER.match(line):
            flush()
        elif heading:
            flush()
            paragraphs.append(_inline(heading.group(2) or ""))
            if len(heading.group(1)) == 1:
                headings.append(paragraphs[-1])
        elif _RULE.match(line):  # a thematic break, or the underline of a setext heading
            if current and line.strip().startswith("="):
                headings.append(_inline(" ".join(current)))
            flush()
        elif line.lstrip().startswith("|"):
            flush()
            cells = [_inline(cell) for cell in line.strip().strip("|").split("|")]
            paragraphs.append(" | ".join(cell for cell in cells if cell))
        elif _LIST_ITEM.match(line):
            flush()
            current.append(_LIST_ITEM.sub("", line).strip())
        else:
            current.append(line.strip())
    flush()


def _inline(text: str) -> str:
    text = _ESCAPE.sub(lambda m: chr(0xE000 + ord(m.group(1))), text)
    pieces = _CODE_SPAN.split(text)  # [prose, ticks, code, prose, ticks, code, ..., prose]
    out = []
    for index, piece in enumerate(pieces):
        if index % 3 == 0:
            for pattern, replacement in _INLINE:
                piece = pattern.sub(replacement, piece)
            out.append(html.unescape(piece))
        elif index % 3 == 2:
            out.append(piece.strip())
    text = _ESCAPED.sub(lambda m: chr(ord(m.group(0)) - 0xE000), "".join(out))
    return " ".join(text.split())
