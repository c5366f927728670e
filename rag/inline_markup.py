"""Inline HTML left in plain text: the tags out of the text, the links' URL words kept aside.

Text scraped from web pages often keeps the page's inline elements: 'Rep. Liz Cheney <a
href="https://www.cnn.com/2022/08/17/politics/why-liz-cheney-lost/index.html">lost her
primary race</a>'. A third of the news tuning set's passages do. Quoted as evidence, the
markup is noise between the reader and the sentence. But a link's URL slug is the editor's
summary of the story it points to, and retrieval uses it: removing the tags with their URLs
cost nDCG@10 0.783 -> 0.772 on the news tuning set, while removing the tags and reading the
slug words with each passage, as its title is read, kept it (0.7815, R@10 0.912 -> 0.913;
docs/evaluation.md). So the stored text loses the tags of inline elements (their content
stays), and the words of the links' URLs become the document's link words
(`rag.passages.passage_contexts`).

The scrape's character references go too: "R&amp;B", "&quot;" and "&#8217;" are what a
page's source says, not what its reader saw, and a quote must read as the page did. Only
complete references (with their ";") that HTML defines are decoded, so "AT&T", "R&D" or
SciFact's SGML "&bgr;" stay as written. So do a scrape's percent-escapes in prose, which
some outlets' captions and subheads keep from the address they were built from ("More than
3%2C000 kids try their first cigarettes", "Beyonce%27s album"): an escape of a punctuation
mark or a space is read where it touches a letter or digit of a word that is no address; an
address's escapes ("story%2Fsports%2Fnhl"), and one standing alone ("use %20 for a space"),
stay as written.

Only inline elements, and only tags of the form a browser reads: prose that mentions "<" or
a block of HTML a user pasted on purpose is rarer in plain text than a scrape's leftovers,
and block elements (<p>, <div>) are a whole HTML page's, which the HTML reader handles.
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

_INLINE = ("a abbr b bdi bdo big cite code del dfn em font i ins kbd mark q s samp small span strong "
           "sub sup time tt u var wbr br").split()
# A tag's attributes, if any, hold at least one name=value: "x<a and b>y" is prose.
_ATTRIBUTES = r"""(?:\s+[\w:-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=]+))?)*"""
_TAG = re.compile(
    rf"""</?(?:{'|'.join(_INLINE)})(?:(?=\s[^<>]*=){_ATTRIBUTES})?\s*/?>""", re.IGNORECASE)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_HREF = re.compile(r"""<a\s[^<>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php|aspx?|jsp|cnn)$", re.IGNORECASE)
# The punctuation and space a scraped caption's escapes stand for ("%2C" a comma, "%27" an
# apostrophe); "%2F" (a path's slash) is not among them: a word holding it is an address.
_PERCENT_READ = {f"%{ord(c):02X}": c for c in " !\"$%&'(),.:;?"}
_ESCAPED_WORD = re.compile(r"\S*(?:[^\W_]%(?:2[0-9A-F]|3[ABF])|%(?:2[0-9A-F]|3[ABF])[^\W_])\S*", re.IGNORECASE)
_ESCAPE = re.compile(r"%[23][0-9A-F]", re.IGNORECASE)
_ADDRESS = re.compile(r"://|^www\.|[/=@]|%2F|%3D|%40", re.IGNORECASE)
_REFERENCE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
# Path segments that name a page, not a story.
_NOT_SLUGS = frozenset({"index", "article", "articles", "story", "stories", "news", "amp", "www"})
# Slug words kept per document: about what a title holds, so the context stays a context.
MAX_LINK_WORDS = 24  # as many as a title gives (passages.context_title_words)


def strip_inline_markup(text: str) -> tuple[str, str]:
    """(the text without inline tags and character references, the words of its links' URLs,
    space-separated). A text without either comes back unchanged, with no link words."""
    if "<" not in text or not _TAG.search(text):
        return decode_escapes(text), ""
    words: list[str] = []
    for match in _HREF.finditer(text):
        for word in slug_words(match.group(1) or match.group(2) or ""):
            if word not in words:
                words.append(word)
    # Tags first: a reference that spells a tag ("&lt;b&gt;") is text the page showed.
    stripped = _TAG.sub("", _BREAK.sub(" ", text))
    return decode_escapes(stripped), " ".join(words[:MAX_LINK_WORDS])


def decode_escapes(text: str) -> str:
    """The text as its reader saw it: character references and prose's percent-escapes read."""
    return decode_percent_escapes(decode_references(text))


def decode_percent_escapes(text: str) -> str:
    """Prose's percent-escapes read ("3%2C000" -> "3,000", "%22to reinvent himself%22" ->
    '"to reinvent himself"'); words that are addresses, and escapes standing alone, unchanged."""
    if "%" not in text:
        return text

    def read(word: re.Match) -> str:
        if _ADDRESS.search(word.group(0)):
            return word.group(0)
        return _ESCAPE.sub(lambda m: _PERCENT_READ.get(m.group(0).upper(), m.group(0)), word.group(0))

    return _ESCAPED_WORD.sub(read, text)


def decode_references(text: str) -> str:
    """The text with HTML's character references read ("R&amp;B" -> "R&B", "&#8217;" -> "’")
    and unknown ones ("&bgr;") left as they are."""
    if "&" not in text:
        return text
    return _REFERENCE.sub(lambda m: html.unescape(m.group(0)), text)


def slug_words(url: str) -> list[str]:
    """The words of a web address's path: 'https://www.cnn.com/2022/08/17/politics/
    why-liz-cheney-lost/index.html' -> politics, why, liz, cheney, lost. Dates, numbers, file
    names and page words are left out; so are addresses of other kinds (mailto:, #anchors)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return []
    if parts.scheme.lower() not in ("http", "https", ""):
        return []
    words = []
    for segment in parts.path.split("/"):
        segment = _PAGE_SUFFIX.sub("", segment)
        for word in re.split(r"[-_+.]", segment):
            if word.isalpha() and word.lower() not in _NOT_SLUGS:
                words.append(word.lower())
    return words
