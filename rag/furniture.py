"""Page furniture around a news article: bylines, photo captions and credits, header lines.

Owns recognising a WHOLE paragraph that is about the article rather than part of it: a byline
("By Jane Doe", "By Jane Doe | Reuters", "Jane Doe, Reuters", "Reporting by ...; Editing by
...", "... contributed to this report."), a photo caption or credit ("Photo: ...", "Image
credit: ...", a caption ending in "(AP Photo/Evan Vucci)" or "Peter Parks/AFP/Getty Images"),
a header line of such parts and a date ("Outlet | June 26, 2025"), an outlet's line over the
story ("USA TODAY", "Special to the Detroit Free Press", "London CNN —", a name over
"CNBC"), and the reporter's note under it ("Jane Doe covers energy for the Post. Reach her
at ...", "– Ken Alltucker"). `rag.cleaning` drops them from the stored text. Does not look
inside ordinary sentences: a paragraph that merely mentions Reuters or a photo is article text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.dates import parse_dateline

# A name word: capitalised ("Doe", "O'Neil", "McCarthy", "Jean-Luc"), an initial ("J."), or
# capitals ("JANE"); names may hold lowercase particles ("Ursula von der Leyen").
_WORD = r"(?:[A-Z][A-Za-zÀ-ÿ'’-]*\.?)"
_NAME = rf"{_WORD}(?:\s+(?:{_WORD}|de|del|van|von|der|den|da|di|du|al|bin|la|le)){{0,4}}"
_NAMES = rf"{_NAME}(?:\s*(?:,|\band\b|&)\s*{_NAME}){{0,3}}"
_AGENCIES = (
    r"(?:The )?(?:Associated Press|AP|Reuters|AFP|Agence France-Presse|Bloomberg(?: News)?|CNN|"
    r"BBC(?: News)?|dpa|DPA|Xinhua|EFE|ANSA|Kyodo(?: News)?|Yonhap|UPI|TASS|PA(?: Media)?|NPR|"
    r"Getty Images|EPA|Al Jazeera|CNBC|Axios|Politico|(?:NBC|CBS|ABC|Fox) News|"
    r"Guardian|New York Times|Washington Post|Wall Street Journal|Financial Times|"
    r"USA ?TODAY(?: Sports| Network)?|USA Today(?: Sports| Network)?|24/7 Wall St(?:reet|\.))"
)
_ROLES = (
    r"(?:(?:Senior|Chief|Staff|Foreign|Special|Political|Business|Contributing)\s+)?"
    r"(?:Writer|Reporter|Correspondent|Editor|Contributor|Columnist)"
)
_OUTLET = rf"(?:{_AGENCIES}|{_ROLES}|{_WORD}(?:\s+(?:{_WORD}|of|for|the|and|&)){{0,5}})"
_SEPARATOR = r"\s*[,|·•–—-]\s*"

_BYLINES = [
    re.compile(rf"By:?\s+{_NAMES}(?:{_SEPARATOR}{_OUTLET}){{0,2}}"),
    re.compile(rf"{_NAMES}{_SEPARATOR}(?:{_AGENCIES}|{_ROLES})"),
    re.compile(r"(?:(?:Additional |Further )?(?:reporting|writing|editing|research) by [^.;]{2,80}[;,.]?\s*){1,4}",
               re.I),
    # "Jane Doe in Kyiv contributed to this report.", "Associated Press writer Tom Brown in
    # Sacramento contributed to this report."
    re.compile(rf"(?:(?:{_AGENCIES} )?(?:staff )?(?:writers?|reporters?|correspondents?|journalists?) )?"
               rf"(?:{_NAMES}|{_WORD}['’]s? {_NAMES})(?: in [^.]{{2,60}})? contributed "
               r"(?:reporting )?to this (?:report|story|article)\.?"),
]
# "Jane Doe covers energy for the Post. Reach her at ...", "Jane Doe is a trending news
# producer on USA TODAY's NOW team.", "– Jane Doe": who wrote the story, under it.
_REPORTER_ROLE = (rf"{_NAME} (?:is (?:an?|the) [\w ]{{0,40}}"
                  rf"(?:reporter|producer|writer|correspondent|editor|columnist)|covers [^.]{{1,120}})")
_REPORTER_NOTES = [
    # a short note ("... for the Herald.") or one that goes on to say how to reach the reporter
    re.compile(rf"{_REPORTER_ROLE} (?:for|on|at|with) (?:\S+ ){{0,5}}\S+\."),
    re.compile(rf"{_REPORTER_ROLE}\b[^.]{{0,150}}\.\s.{{0,250}}"
               r"(?:@|\b(?:[Rr]each|[Cc]ontact|[Ee]mail|[Ff]ollow|[Ss]end)\b).{0,200}"),
    re.compile(rf"[–—]\s*{_NAME}"),
]
# The outlet's line over a story, on its own: "USA TODAY", "Special to the Detroit Free
# Press", "Opinion contributor", "The Republic | azcentral.com", and a wire dateline split off
# its sentence ("London CNN Business —"). Only at the top: lower down such a line is a heading.
_NEWSPAPER = (rf"(?:The )?(?:{_WORD} ){{0,3}}(?:Free Press|Republic|Register|Journal|Times|Post|Tribune|"
              r"Herald|Gazette|Chronicle|Observer|Press|News|Network|Wire|Magazine|Weekly|Daily)")
_OUTLET_LINES = [
    re.compile(rf"(?:{_AGENCIES}|{_NEWSPAPER})(?:\s*[|·•]\s*\S+)?"),
    re.compile(rf"(?i:special|exclusive) (?:to|for) (?:the )?(?:{_AGENCIES}|{_OUTLET})"),
    re.compile(rf"(?:(?:{_AGENCIES}|{_NEWSPAPER}|Opinion|Free Press) )?"
               rf"(?:{_ROLES}|[Cc]ontributor|[Cc]olumnist)s?"),
    re.compile(rf"(?:{_WORD}(?:,? {_WORD}){{0,3}} )?(?:{_AGENCIES}|CNNBusiness)"
               r"(?: Business| Politics| Sports| Travel| Health)?\s*[—–-]"),
]
# Every whole-paragraph test that says "who wrote it" rather than what happened.
_BYLINE_PATTERNS = (*_BYLINES, *_REPORTER_NOTES)
_CAPTION_LABEL = re.compile(
    r"(?:(?:Photo(?:graph)?|Image|Picture|Illustration|Caption|Graphic)s?(?: credits?)?|Credits?)\s*:\s*\S.*",
    re.I,
)
# Credits a caption ends with, after its last sentence (or as the whole paragraph).
_CREDIT_NAMES = rf"{_NAME}(?:\s*/\s*{_NAME})*(?: (?:via|for) {_NAME})?"
_TRAILING_CREDIT = re.compile(
    r"(?:^|(?<=[.!?\"”’)])\s+)"
    r"(?:\((?:[A-Z]{2,8} )?Photo(?:graph)?(?: by)?\s*[/:]?\s*[^()]{1,80}\)"  # (AP Photo/Evan Vucci)
    rf"|(?:(?:Photo(?:graph)?|Image|Picture)(?: credit)?s?\s*:\s*|Photo by\s+){_CREDIT_NAMES}"
    rf"|{_NAME}(?:\s*/\s*{_NAME})+(?: via {_NAME})?"  # Peter Parks/AFP/Getty Images
    rf"|(?:{_NAME} )?via Getty Images|Getty Images)\s*$"
)
# Header lines of parts: "Outlet | June 26, 2025", "By Jane Doe | Reuters | 10:30 GMT".
_PART_SPLIT = re.compile(r"\s+[|·•]\s+")
_TIME = re.compile(r"(?:Updated|Published)?:?\s*\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[A-Z]{2,4})?", re.I)
MAX_HEADER_PART_WORDS = 8


@dataclass(frozen=True)
class Furniture:
    kind: str  # "byline" | "caption" | "header" | "outlet" (the last two only mean so at the top)
    published: str | None = None  # ISO date a header line states


def furniture(paragraph: str) -> Furniture | None:
    """What kind of page furniture `paragraph` is, or None if it is article text."""
    if any(pattern.fullmatch(paragraph) for pattern in _BYLINE_PATTERNS):
        return Furniture("byline")
    if _CAPTION_LABEL.fullmatch(paragraph) or _TRAILING_CREDIT.search(paragraph):
        return Furniture("caption")
    if any(pattern.fullmatch(paragraph) for pattern in _OUTLET_LINES):
        return Furniture("outlet")
    return _header_line(paragraph)


def is_name_line(paragraph: str) -> bool:
    """A paragraph of a name alone ("Karen Gilchrist"): a byline when an outlet's line follows."""
    return re.fullmatch(_NAMES, paragraph) is not None and len(paragraph.split()) <= 6


def _header_line(paragraph: str) -> Furniture | None:
    """A line of separated parts, each a byline, a date, a time or an outlet's name, at
    least one of them a byline or a date."""
    parts = _PART_SPLIT.split(paragraph)
    if len(parts) < 2:
        return None
    published, telling = None, False
    for part in parts:
        stated = parse_dateline(part)
        if stated:
            published, telling = published or stated, True
        elif _BYLINES[0].fullmatch(part):
            telling = True
        elif not (_TIME.fullmatch(part) or (re.fullmatch(_OUTLET, part)
                                            and len(part.split()) <= MAX_HEADER_PART_WORDS)):
            return None
    return Furniture("header", published) if telling else None
