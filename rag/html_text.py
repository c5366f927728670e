"""HTML bytes to the article's text: paragraphs separated by a blank line, each on one line.

trafilatura picks the main content (drops navigation, ads, comments, scripts, styles) and gives
the title (og:title, the single <h1>, or <title>) and a date. The date is kept only if the
page's metadata (<meta>, <time datetime>, JSON-LD) states it: trafilatura also takes dates from
body text ("the meeting on 2021-03-04"), which are not publication dates. When trafilatura
finds under 250 characters (it then splits paragraphs at inline tags), a plain lxml walk takes
every block's text instead, without script/style/nav/footer. HTML nested more than 256 levels
deep (libxml2's limit) is refused rather than read partially; a page with a text or attribute
over libxml2's 10 MB limit for one (an inline `data:` image) is parsed again without that limit,
never read only up to it.
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path

from .errors import DocumentError, EmptyDocumentError
from .text_decoding import decode_text

log = logging.getLogger(__name__)

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_TRAFILATURA_MARKUP = re.compile(r"^- |^\|\s*|\s*\|$")  # list bullets, a table row's outer bars
_META_KEYS = ("name", "property", "itemprop", "http-equiv")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")
_MIN_EXTRACTED_CHARS = 250  # below this, trafilatura used its crude fallback: use ours instead
_DROPPED = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object", "select",
            "button", "nav", "footer")
_BLOCKS = {"address", "article", "aside", "blockquote", "br", "dd", "details", "div", "dl", "dt",
           "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
           "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"}
_SEP, _CELL = "\x00", "\x01"  # paragraph and table-cell markers (control characters)


def html_to_text(data: bytes, source: Path | str) -> tuple[str, str | None, str | None]:
    """Return (text, title, published) for the HTML page `data`."""
    match = _CHARSET.search(data[:4096])
    text = decode_text(data, source, match.group(1).decode("ascii") if match else None)
    text = _XML_DECLARATION.sub("", text, count=1)  # lxml refuses str with an encoding declaration
    tree, parser = _parse(text, source, huge=False)
    if any("depth" in message for message in _limits_hit(parser)):
        raise DocumentError(source, "the HTML is nested more than 256 levels deep and cannot be "
                            "read completely; save the page's text as a .txt file and add that")
    huge = bool(_limits_hit(parser))
    if huge:  # a text or attribute over 10 MB (an inline data: image): libxml2 stopped there
        tree, parser = _parse(text, source, huge=True)
        if _limits_hit(parser):
            reason = (f"the HTML cannot be read completely ({_limits_hit(parser)[0]}); save the "
                      "page's text as a .txt file and add that")
            raise DocumentError(source, reason)
    meta_dates = _metadata_dates(tree)
    # trafilatura parses a string without libxml2's huge-tree option, so it is given the
    # whole tree instead (it works on a copy).
    extracted = _trafilatura(tree if huge else text, source)
    body = ""
    if extracted is not None and extracted.text:
        lines = (_TRAFILATURA_MARKUP.sub("", line.strip()) for line in extracted.text.split("\n"))
        body = "\n\n".join(" ".join(line.split()) for line in lines if line.strip())
    if len(body) < _MIN_EXTRACTED_CHARS:  # trafilatura splits short pages at inline tags
        body = _html_block_text(tree) or body
    title = _one_line(extracted.title if extracted is not None else None)
    title = title or _one_line(tree.findtext(".//title"))
    published = extracted.date if extracted is not None and extracted.date in meta_dates else None
    return body, title, published


def _parse(text: str, source: Path | str, *, huge: bool):
    """The page's tree and the parser (its error log tells what libxml2 gave up on).
    `huge` lifts libxml2's 10 MB limit on one text or attribute (the whole page is at most
    `readers.DEFAULT_MAX_BYTES`), and with it the depth limit from 256 to 2048."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, huge_tree=huge)
    try:
        return lxml.html.document_fromstring(text, parser=parser), parser
    except lxml.etree.ParserError as exc:  # "Document is empty": nothing but comments
        raise EmptyDocumentError(source) from exc
    except (lxml.etree.LxmlError, ValueError) as exc:
        reason = f"the HTML cannot be parsed ({exc}); save the page again and retry"
        raise DocumentError(source, reason) from exc


def _limits_hit(parser) -> list[str]:
    """libxml2's messages for the limits it stopped at (depth, size of one text): where it
    stops, the rest of the page is silently missing from the tree."""
    return [entry.message.strip().lower() for entry in parser.error_log if entry.type_name == "ERR_RESOURCE_LIMIT"]


def _trafilatura(text, source: Path | str):
    import trafilatura

    try:
        return trafilatura.bare_extraction(
            text, with_metadata=True, output_format="python", include_comments=False,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # any trafilatura failure falls back to the plain lxml extraction
        log.warning("trafilatura failed on %s (%r); using plain HTML text", source, exc)
        return None


def _metadata_dates(tree) -> set[str]:
    """Dates stated in <meta>, <time datetime> and JSON-LD: the only dates trusted as published."""
    values = []
    for meta in tree.iter("meta"):
        key = " ".join(meta.get(name, "") for name in _META_KEYS).lower()
        if "date" in key or "published" in key or "time" in key:
            values.append(meta.get("content", ""))
    values += tree.xpath("//time/@datetime")
    values += tree.xpath("//script[@type='application/ld+json']/text()")
    found = set()
    for value in values:
        for year, month, day in _ISO_DATE.findall(value):
            try:
                found.add(date(int(year), int(month), int(day)).isoformat())
            except ValueError:
                continue
    return found


def _html_block_text(tree) -> str:
    """The page's visible text except navigation and footer, a paragraph per block element."""
    import lxml.etree

    for element in list(tree.iter(*_DROPPED)):
        element.drop_tree()
    root = tree.find("body") if tree.find("body") is not None else tree
    parts: list[str] = []
    for event, element in lxml.etree.iterwalk(root, events=("start", "end")):
        block = element.tag in _BLOCKS
        if event == "start":
            parts.append((_SEP if block else "") + (element.text or ""))
        else:
            cell = _CELL if element.tag in ("td", "th") else ""
            tail = (element.tail or "") if element is not root else ""
            parts.append((_SEP if block else cell) + tail)
    paragraphs = []
    for chunk in "".join(parts).split(_SEP):
        cells = (" ".join(cell.split()) for cell in chunk.split(_CELL))
        paragraphs.append(" | ".join(cell for cell in cells if cell))
    return "\n\n".join(p for p in paragraphs if p)


def _one_line(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None

