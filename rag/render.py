"""HTML for answers, source cards and whole documents, with every piece of text escaped.

Document text is untrusted (anyone can upload a file containing `<script>`), so the only
markup in these strings is the markup built here; text goes through `html.escape` first.
Used by the UI; no Streamlit here, so it is testable on its own. The style sheet these classes
use is `rag.page_style`.

A relative date in cited evidence ("Last year") gets what it means written beside it
("[2014]", `rag.relative_dates`), outside the highlighted quote: the <mark> around a
sentence is split there, so the marked characters are exactly the document's.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from embeddings import FAITHFUL_KIND
from rag.confidence import UNCERTAIN_BELOW
from rag.relative_dates import find_expressions
from rag.results import (NO_TITLE, Answer, Citation, Document, DocumentSummary, ResolvedDate, Writing,
                         source_label)

_MARKER = re.compile(r"\[(\d+)\]")


def escape(text: str) -> str:
    # `$` is escaped too: Streamlit would render text between dollar signs as LaTeX.
    return html.escape(text, quote=True).replace("$", "&#36;").replace("\n", "<br>")


def breakable(name: str) -> str:
    """A model name or id that never wraps inside: only after a "/", between an organisation
    and its model ("sentence-transformers/" "all-MiniLM-L6-v2")."""
    return "<wbr>".join(f'<span class="whole">{escape(part)}</span>' for part in re.split(r"(?<=/)", name) if part)


def title_html(title: str, source: str) -> str:
    """A document's title in bold; when it has none, its source's name set as a source (in
    code type, after "(no title)"), so a file name or an id never looks like a title."""
    if title:
        return f"<b>{escape(title)}</b>"
    return f'<span class="untitled"><i>{NO_TITLE}</i> <code>{escape(source_label(source))}</code></span>'


def card_id(prefix: str, n: int) -> str:
    return f"{prefix}-source-{n}"


def date_note(resolved: ResolvedDate, published: str | None) -> str:
    """"[2014]" beside "Last year", saying in a tooltip what it was read against."""
    reading = f"“{resolved.text}” read against the publication date {published or ''}"
    return f' <span class="date-note" title="{escape(reading)}">[{escape(resolved.value)}]</span>'


def _answer_date_notes(answer: Answer) -> dict[int, str]:
    """Where in the answer text each citation's resolved dates end -> the note to put there."""
    notes, cursor = {}, 0
    for citation in answer.citations:
        found = answer.text.find(citation.evidence, cursor)
        if found < 0:
            continue
        for resolved in citation.dates:
            notes[found + resolved.end - citation.evidence_start] = date_note(resolved, citation.published)
        cursor = found + len(citation.evidence)
    return notes


def _escaped_with_notes(text: str, start: int, end: int, notes: dict[int, str]) -> str:
    pieces, position = [], start
    for at in sorted(p for p in notes if start < p <= end):
        pieces.append(escape(text[position:at]) + notes[at])
        position = at
    pieces.append(escape(text[position:end]))
    return "".join(pieces)


def answer_html(answer: Answer, prefix: str) -> str:
    """The answer text with each [n] turned into a link to its source card, and what each
    relative date means beside it."""
    notes = _answer_date_notes(answer)
    pieces = []
    position = 0
    for match in _MARKER.finditer(answer.text):
        pieces.append(_escaped_with_notes(answer.text, position, match.start(), notes))
        n = match.group(1)
        pieces.append(f'<a class="cite" href="#{card_id(prefix, int(n))}">[{n}]</a>')
        position = match.end()
    pieces.append(_escaped_with_notes(answer.text, position, len(answer.text), notes))
    return f'<div class="answer">{"".join(pieces)}</div>'


def confidence_html(answer: Answer) -> str:
    """The answer's one confidence, said as what it is; a refusal says what it fell short of."""
    uncertain = not answer.abstained and answer.confidence < UNCERTAIN_BELOW
    classes = "confidence uncertain" if uncertain else "confidence"
    return f'<div class="{classes}">{escape(answer.confidence_statement)}</div>'


def highlighted(text: str, start: int, end: int, *, mark_id: str | None = None) -> str:
    """`text` with text[start:end] wrapped in <mark>, all escaped."""
    attribute = f' id="{mark_id}"' if mark_id else ""
    return (
        escape(text[:start])
        + f"<mark{attribute}>{escape(text[start:end])}</mark>"
        + escape(text[end:])
    )


def group_citations(answer: Answer) -> list[list[Citation]]:
    """Citations that quote the same passage share one card, in order of first use."""
    groups: dict[tuple[str, int], list[Citation]] = {}
    for citation in answer.citations:
        groups.setdefault((citation.document_id, citation.start), []).append(citation)
    return list(groups.values())


ANSWERING = "Searching the library and checking each quoted sentence…"
WRITING = "Writing — each sentence is checked against its citations when the reply is complete"


def draft_html(text: str) -> str:
    """The model's reply as it streams in: escaped like document text, and marked unchecked."""
    return f'<div class="draft"><div class="draft-note">{WRITING}</div>{escape(text)}</div>'


def written_html(written: Writing) -> str:
    """What became of a written answer: who wrote it and what was dropped, each dropped
    sentence struck through with its reason; or why the quoted answer is shown instead."""
    if not written.shown:
        return f'<div class="written-note not-shown">Written answer not shown: {escape(written.failure)}</div>'
    dropped = "".join(f'<li><s>{escape(s.text)}</s> — {escape(s.reason)}</li>' for s in written.dropped)
    listed = (f'<div class="written-dropped">Dropped, not stated by the passages they cite:<ul>{dropped}</ul></div>'
              if dropped else "")
    return (f'<div class="written-note">Written by <code>{breakable(written.model)}</code>; each sentence shown '
            f"is stated by the passage it cites.</div>{listed}")
REMOVED_NOTE = "Removed from the library since this answer; the quote is kept as it was cited."
REMOVED_DOCUMENT = ("This document was removed from the library after this answer was given, so its "
                    "text can no longer be opened. To read it again, upload the file again.")


def card_html(citations: list[Citation], prefix: str, *, removed: bool = False) -> str:
    """A source card for one passage: title, date, source, paragraph, score, and the passage
    with each cited evidence sentence highlighted. Every [n] of the group anchors here.
    `removed`: the document has left the library since; the card says so."""
    first = citations[0]
    date = first.published or "date unknown"
    body, position = [], 0
    for citation in sorted(citations, key=lambda c: c.evidence_start):
        low, high = citation.evidence_start - first.start, citation.evidence_end - first.start
        body.append(escape(first.passage[position:low]) + _marked(first.passage, low, high, citation, first.start))
        position = high
    body.append(escape(first.passage[position:]))
    anchors = "".join(f'<span id="{card_id(prefix, c.n)}"></span>' for c in citations[1:])
    markers = " ".join(f"[{c.n}]" for c in citations)
    paragraphs = sorted({c.paragraph for c in citations})
    removed_note = f'<div class="card-removed">{REMOVED_NOTE}</div>' if removed else ""
    return (
        f'<div class="card{" removed" if removed else ""}" id="{card_id(prefix, first.n)}">{anchors}{removed_note}'
        f'<div class="card-head"><b>{markers}</b> {title_html(first.title, first.source)} · {escape(date)}'
        f" · paragraph {', '.join(map(str, paragraphs))} · cosine {first.score:.2f}</div>"
        f'<div class="card-source">{escape(first.source)}</div>'
        f'<blockquote class="card-passage">{"".join(body)}</blockquote>{_unresolved_note(citations)}</div>'
    )


def _marked(passage: str, low: int, high: int, citation: Citation, base: int) -> str:
    """passage[low:high] (one evidence sentence) in <mark>, with each resolved date's note
    after its expression, outside the mark (a continued mark carries class "continued")."""
    pieces, position = [], low
    for resolved in citation.dates:
        at = resolved.end - base
        if position < at <= high:
            tag = "<mark>" if position == low else '<mark class="continued">'
            pieces.append(f"{tag}{escape(passage[position:at])}</mark>{date_note(resolved, citation.published)}")
            position = at
    if position < high or not pieces:
        tag = "<mark>" if position == low else '<mark class="continued">'
        pieces.append(f"{tag}{escape(passage[position:high])}</mark>")
    return "".join(pieces)


def _unresolved_note(citations: list[Citation]) -> str:
    """Relative dates in evidence whose document has no known date: say so, guess nothing."""
    if citations[0].published:
        return ""
    found = [c.evidence[a:b] for c in citations for a, b in find_expressions(c.evidence)]
    if not found:
        return ""
    named = ", ".join(f"“{escape(text)}”" for text in dict.fromkeys(found))
    return (f'<div class="date-unknown">{named}: not resolved, because this document\'s publication '
            "date is unknown. Set it under Library › Edit title and date.</div>")


def document_row_html(document: DocumentSummary) -> str:
    return (
        f'<div class="doc-row">{title_html(document.title, document.source)}<br>'
        f'<span class="doc-meta">{escape(document.published or "date unknown")} · '
        f"{document.paragraphs} paragraphs · <code>{breakable(document.id)}</code></span></div>"
    )


def library_stats_html(stats, *, read_only: bool) -> str:
    """The sidebar's one line about the library; the model name and ids never break inside."""
    replica = " · read-only replica" if read_only else ""
    # The faithful fp32 vectors are the default and go unsaid; a faster, less exact kind is named.
    kind = "" if stats.vector_kind == FAITHFUL_KIND else f" · {escape(stats.vector_kind)} vectors"
    return (f'<div class="library-stats">{stats.documents} documents · {stats.passages} passages · '
            f"model <code>{breakable(stats.model)}</code>{kind}{replica}</div>")


def passage_html(text: str) -> str:
    return f'<blockquote class="card-passage">{escape(text)}</blockquote>'


def document_page(document: Document, start: int, end: int) -> str:
    """A standalone page with the whole cleaned document, the cited passage highlighted and
    scrolled into view (the only script is this fixed one; the text is escaped)."""
    paragraphs, position, marked = [], 0, False
    for paragraph in document.text.split("\n\n"):
        low, high = max(start, position), min(end, position + len(paragraph))
        if low < high:
            mark_id = None if marked else "cited"
            paragraphs.append(f"<p>{highlighted(paragraph, low - position, high - position, mark_id=mark_id)}</p>")
            marked = True
        else:
            paragraphs.append(f"<p>{escape(paragraph)}</p>")
        position += len(paragraph) + 2
    date = document.published or "date unknown"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "body{font-family:sans-serif;line-height:1.5;margin:0 1rem;color:#222}"
        "mark{background:#ffe08a;color:#222;padding:0 2px}</style></head><body>"
        f"<h3>{title_html(document.title, document.source)}</h3><p><i>{escape(date)} · {escape(document.source)}</i></p>"
        + "".join(paragraphs)
        + f"<script>{_PAGE_SCRIPT}</script></body></html>"
    )


# The page's one script: scroll to the cited passage, and set the text in the app's own font
# (the iframe is same-origin: it borrows the app's @font-face rules and body font and colour).
_PAGE_SCRIPT = """
var m=document.getElementById('cited');if(m){m.scrollIntoView({block:'center'});}
try{var P=parent.document,b=parent.getComputedStyle(P.body),faces=[];
for(var s of P.styleSheets){try{for(var r of s.cssRules){if(r.type===5){faces.push(r.cssText.replace(
/url\\(["']?([^"')]+)["']?\\)/g,function(x,u){return 'url("'+new URL(u,s.href||P.baseURI).href+'")';}));}}}catch(e){}}
var f=document.createElement('style');f.textContent=faces.join('\\n');document.head.appendChild(f);
document.body.style.fontFamily=b.fontFamily;document.body.style.color=b.color;}catch(e){}
"""


def reader_html(text: str, found: Sequence[tuple[int, int]]) -> str:
    """The Library page's reader: the document's paragraphs with each found span in <mark>, every piece of text escaped;
    the first mark has id "found-1", the next "found-2", and so on."""
    paragraphs, position, index = [], 0, 0
    for paragraph in text.split("\n\n"):
        end = position + len(paragraph)
        pieces, at = [], position
        while index < len(found) and found[index][1] <= end:
            start, stop = found[index]
            if start >= at:  # a match inside this paragraph (one across "\n\n" cannot occur)
                pieces.append(escape(text[at:start]) + f'<mark id="found-{index + 1}">{escape(text[start:stop])}</mark>')
                at = stop
            index += 1
        pieces.append(escape(text[at:end]))
        paragraphs.append(f"<p>{''.join(pieces)}</p>")
        position = end + 2
    return f'<div class="reader">{"".join(paragraphs)}</div>'
