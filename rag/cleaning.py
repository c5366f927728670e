"""From extracted text to the clean paragraphs of an article.

Owns paragraph splitting of plain text (blank-line blocks; a block of hard-wrapped lines is
one paragraph, a block of full-sentence lines is one paragraph per line), whitespace
normalisation, the scraped-page boilerplate rules in `boilerplate.toml`, the title (format
metadata, else a headline-like first paragraph with a body after it), the dateline, and
dropping page furniture (`rag.furniture`: bylines, captions, photo credits). A text that is
nothing but furniture is kept whole rather than lost. A wire dateline opening the first
paragraph ("WASHINGTON, June 26 (Reuters) - ") stays in the stored text but is reported as
`lead`, so no passage or sentence starts inside it. Does not judge relevance or language: a
paragraph that survives these rules is article text.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from rag.dates import normalise_iso_date, parse_dateline, parse_lead_dateline
from rag.furniture import furniture, is_name_line
from rag.sentences import sentence_spans

RULES_FILE = Path(__file__).with_name("boilerplate.toml")
# A headline is short and does not read as a sentence.
MAX_TITLE_CHARS = 200
MAX_TITLE_WORDS = 25
# Only the top of a page carries the dateline and repeated headlines.
HEADER_PARAGRAPHS = 6
# Lines of hard-wrapped prose are rarely narrower than this.
MIN_WRAP_WIDTH = 40
# Boilerplate (a logo line, an app pitch, "Related Articles") is short: a longer paragraph is
# article text. The bound also keeps rule matching linear in a document's length: a rule
# such as "ready to dive into .* download .* app .*" backtracks quadratically on a long paragraph.
MAX_BOILERPLATE_CHARS = 1_000
_SENTENCE_END = re.compile(r"""[.!?:;…]["'’”)\]]*$""")
# A headline opens with a capital, a digit or a quote, and does not end like a clause (a full
# stop, a comma, a colon) or like quoted speech ('... next?"').
_HEADLINE_START = re.compile(r"""["'‘“(]*[A-Z0-9]""")
_CLAUSE_END = re.compile(r"""(?:[.,;:…]["'’”)\]]*|[?!]["'’”)\]]+)$""")
# A headline cut short by the page or a search result ("Deadly Alabama floods leave
# communities ..."): the marker after a space ends no clause.
_CUT_SHORT = re.compile(r"\s+(?:\.{3}|…)$")
# ", but Raab was in fact ..." reads as a sentence of prose, not a headline.
_PROSE_JOINER = re.compile(
    r",\s+(?:but|and|which|who|whom|whose|while|although|though|so|because|as|when|where|"
    r"after|before|since|until|if|or|yet|then|adding|saying)\b"
)
_WHITESPACE = re.compile(r"\s+")
# What surrounds a widget label: bullets, arrows, dashes and a closing colon.
_LABEL_DRESSING = re.compile(r"^[\s\-–—•*·»›>|#]+|[\s\-–—•*·»›>|:]+$")


@dataclass(frozen=True)
class CleanDocument:
    title: str | None
    published: str | None
    paragraphs: tuple[str, ...]
    lead: int = 0  # characters of a wire dateline opening the first paragraph: not article text

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
    """Apply the boilerplate rules, drop datelines and page furniture, then take the title
    off the top and read the wire dateline of the first paragraph."""
    rules = rules or default_rules()
    paragraphs = _drop_boilerplate(split_paragraphs(text), rules)
    published = normalise_iso_date(published)
    title = normalise(title) if title else None
    article, stated = _drop_furniture(paragraphs, title)
    if not article:
        article = paragraphs  # nothing but furniture: keep the text rather than lose it
    if title is None and _looks_like_headline(article):
        body = _without_repeats(article[1:], article[0])
        if body:
            title, article = article[0], body
    lead = parse_lead_dateline(article[0]) if article else None
    published = published or stated or (lead.published if lead else None)
    return CleanDocument(title=title, published=published, paragraphs=tuple(article),
                         lead=lead.end if lead else 0)


def _drop_furniture(paragraphs: list[str], title: str | None) -> tuple[list[str], str | None]:
    """The article's paragraphs without datelines, header lines, bylines, captions or
    credits (the first date stated at the top is returned), nor the top's repeats of `title`."""
    kept, published = [], None
    found_next = furniture(paragraphs[0]) if paragraphs else None
    for number, paragraph in enumerate(paragraphs):
        at_top = number < HEADER_PARAGRAPHS
        following = paragraphs[number + 1] if number + 1 < len(paragraphs) else None
        found, found_next = found_next, furniture(following) if following else None
        if found and found.kind in ("header", "outlet") and not at_top:
            found = None  # "Outlet | date" lower down may be a table row, "USA TODAY" a heading
        outlet_follows = found_next and found_next.kind == "outlet" and number + 1 < HEADER_PARAGRAPHS
        if not found and at_top and outlet_follows and is_name_line(paragraph):
            found = found_next  # "Karen Gilchrist" over "CNBC": the byline
        stated = (found.published if found else None) or (parse_dateline(paragraph) if at_top else None)
        if found or stated:
            published = published or stated
            continue
        if at_top and title and paragraph.casefold() == title.casefold():
            continue  # scrapes often repeat the headline
        kept.append(paragraph)
    return kept, published


def _without_repeats(paragraphs: list[str], headline: str) -> list[str]:
    return [p for number, p in enumerate(paragraphs)
            if not (number < HEADER_PARAGRAPHS and p.casefold() == headline.casefold())]


def _drop_boilerplate(paragraphs: list[str], rules: Rules) -> list[str]:
    kept: list[str] = []
    for paragraph in paragraphs:
        if kept and _matches(rules.end_of_article, paragraph):
            break
        if not _matches(rules.drop, paragraph):
            kept.append(paragraph)
    if all(_matches(rules.end_of_article, paragraph) for paragraph in kept):
        return []  # only widget labels ("Comments"): a page without an article
    return kept


def _matches(patterns: tuple[re.Pattern, ...], paragraph: str) -> bool:
    """Whether a rule matches the whole paragraph, as written or without the bullets, arrows
    and colons that pages dress widget labels in ("Read more:", "» Related", "— Advertisement —")."""
    if len(paragraph) > MAX_BOILERPLATE_CHARS:
        return False
    bare = _LABEL_DRESSING.sub("", paragraph)
    return any(p.fullmatch(paragraph) or (bare and p.fullmatch(bare)) for p in patterns)


def _looks_like_headline(paragraphs: list[str]) -> bool:
    """Is the first paragraph a headline? Only when a body follows it, and it is short, opens
    like a title, does not end like a clause or a quotation, and is one sentence, not prose
    joined by ", but" or ", which"."""
    if len(paragraphs) < 2:
        return False  # a one-paragraph text is all body, whatever its punctuation
    first = paragraphs[0]
    return (
        len(first) <= MAX_TITLE_CHARS
        and len(first.split()) <= MAX_TITLE_WORDS
        and _HEADLINE_START.match(first) is not None
        and not _CLAUSE_END.search(_CUT_SHORT.sub("", first))
        and not _PROSE_JOINER.search(first)
        and len(sentence_spans(first)) == 1
    )
