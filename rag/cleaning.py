"""From extracted text to the clean paragraphs of an article.

Owns paragraph splitting of plain text (blank-line blocks; a block of hard-wrapped lines is
one paragraph, a block of full-sentence lines is one paragraph per line), whitespace
normalisation, the scraped-page boilerplate rules in `boilerplate.toml`, the title (format
metadata, else a headline-like first line) and the dateline. Does not judge relevance or
language: a paragraph that survives these rules is article text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.dates import normalise_iso_date, parse_dateline

RULES_FILE = Path(__file__).with_name("boilerplate.toml")
# A headline is short and does not read as a sentence.
MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 25
# Only the top of a page carries the dateline and repeated headlines.
HEADER_PARAGRAPHS = 6
# Lines of hard-wrapped prose are rarely narrower than this.
MIN_WRAP_WIDTH = 40
_SENTENCE_END = re.compile(r"""[.!?:;…]["'’”)\]]*$""")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class CleanDocument:
    title: str | None
    published: str | None
    paragraphs: tuple[str, ...]

    @property
    def text(self) -> str:
        """The stored text: paragraphs separated by one blank line."""
        return "\n\n".join(self.paragraphs)


@dataclass(frozen=True)
class Rules:
    drop: tuple[re.Pattern, ...]
    end_of_article: tuple[re.Pattern, ...]

    @classmethod
    def from_toml(cls, text: str) -> "Rules":
        data = tomllib.loads(text)
        compile_all = lambda key: tuple(re.compile(p, re.I) for p in data.get(key, []))  # noqa: E731
        return cls(drop=compile_all("drop"), end_of_article=compile_all("end_of_article"))


@lru_cache(maxsize=1)
def default_rules() -> Rules:
    return Rules.from_toml(RULES_FILE.read_text(encoding="utf-8"))


def rules_fingerprint() -> str:
    """Changes whenever the rules change, so documents cleaned by old rules get re-ingested."""
    import hashlib

    return hashlib.sha256(RULES_FILE.read_bytes()).hexdigest()[:16]


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text, whitespace-normalised, empty ones dropped."""
    paragraphs: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if _is_hard_wrapped(lines):
            paragraphs.append(normalise(" ".join(lines)))
        else:
            paragraphs.extend(normalise(line) for line in lines)
    return [p for p in paragraphs if p]


def _is_hard_wrapped(lines: list[str]) -> bool:
    """True when a block's lines are pieces of one paragraph wrapped at a fixed width:
    the lines (but the last) are long, of similar width, and mostly do not end a sentence.
    A headline over a caption, or one sentence per line, is not wrapped."""
    if len(lines) < 2:
        return False
    body = lines[:-1]  # the last line of a wrapped paragraph is short and ends a sentence
    widths = [len(line) for line in body]
    similar = min(widths) >= MIN_WRAP_WIDTH and min(widths) >= 0.6 * max(widths)
    unfinished = sum(not _SENTENCE_END.search(line) for line in body) / len(body) >= 0.5
    continues = len(lines) >= 3 or lines[-1][:1].islower()
    return similar and unfinished and continues and max(widths) <= 100


def normalise(paragraph: str) -> str:
    return _WHITESPACE.sub(" ", paragraph).strip()


def clean(
    text: str,
    *,
    title: str | None = None,
    published: str | None = None,
    rules: Rules | None = None,
) -> CleanDocument:
    """Apply the boilerplate rules, then take the title and dateline off the top."""
    rules = rules or default_rules()
    paragraphs = _drop_boilerplate(split_paragraphs(text), rules)
    published = normalise_iso_date(published)
    title = normalise(title) if title else None
    if title is None and paragraphs and _looks_like_headline(paragraphs[0]):
        title = paragraphs.pop(0)
    header, body = paragraphs[:HEADER_PARAGRAPHS], paragraphs[HEADER_PARAGRAPHS:]
    kept_header = []
    for paragraph in header:
        if title and paragraph.casefold() == title.casefold():
            continue  # scrapes often repeat the headline
        stated = parse_dateline(paragraph)
        if stated:
            published = published or stated
            continue
        kept_header.append(paragraph)
    return CleanDocument(title=title, published=published, paragraphs=tuple(kept_header + body))


def _drop_boilerplate(paragraphs: list[str], rules: Rules) -> list[str]:
    kept: list[str] = []
    for paragraph in paragraphs:
        if kept and any(p.fullmatch(paragraph) for p in rules.end_of_article):
            break
        if not any(p.fullmatch(paragraph) for p in rules.drop):
            kept.append(paragraph)
    return kept


def _looks_like_headline(paragraph: str) -> bool:
    return (
        len(paragraph) <= MAX_TITLE_CHARS
        and len(paragraph.split()) <= MAX_TITLE_WORDS
        and not paragraph.endswith(".")
        and parse_dateline(paragraph) is None
    )
