"""A conversation as Markdown, with every cited sentence as a numbered reference.

The UI offers it as a download; it is plain text an analyst can paste into a report. The
references are numbered across the whole conversation (an answer's [1] becomes the export's
[n]), so a pasted answer keeps pointing at the right quote. Each reference gives the
document, its date, the paragraph and the quoted sentence. A follow-up question read in the
context of the one before (`rag.follow_ups`) says how it was read, and a written answer who wrote
it and how many of its sentences were dropped (not their text). Does not export the nearest
passages of a refused question: they were shown as not answering it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rag.follow_ups import read_as
from rag.results import Answer, Citation

_MARKER = re.compile(r"\[(\d+)\]")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def reference_line(number: int, citation: Citation, *, removed: bool = False) -> str:
    date = citation.published or "date unknown"
    gone = " (since removed from the library)" if removed else ""
    return (f"[{number}] {citation.display_title}{gone}, {date}, paragraph {citation.paragraph} "
            f"({citation.source}): “{_one_line(citation.evidence)}”")


def _written_note(answer: Answer) -> str:
    """Who wrote a written answer, and how many of its sentences were dropped; or why it was not shown."""
    written = answer.written
    if written is None:
        return ""
    if not written.shown:
        return f"\n\n*Written answer not shown:* {_one_line(written.failure)}"
    dropped = len(written.dropped)
    return (f"\n\n*Written by {_one_line(written.model)}; each sentence checked against the passage it cites"
            f"{f', {dropped} dropped as not stated there' if dropped else ''}.*")


def conversation_markdown(history: Iterable[tuple[str, Answer]], *, removed: frozenset[str] = frozenset()) -> str:
    """`history` as (question, answer) pairs, in order; `removed`: ids of documents that
    have left the library since they were cited."""
    sections, references = ["# Questions to the library"], []
    for turn, (question, answer) in enumerate(history, 1):
        sections.append(f"## {turn}. {_one_line(question)}")
        if searched := read_as(question, answer.question):  # a follow-up: say how it was read
            sections.append(f"*Read as:* {_one_line(searched)}")
        if answer.abstained:
            sections.append(f"*Not answered:* {_one_line(answer.text)} (confidence {answer.confidence:.2f})")
            continue
        numbers = {}
        for citation in answer.citations:
            numbers[citation.n] = len(references) + 1
            references.append(reference_line(numbers[citation.n], citation, removed=citation.document_id in removed))
        text = _MARKER.sub(lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]", _one_line(answer.text))
        sections.append(f"{text}\n\n(confidence {answer.confidence:.2f}){_written_note(answer)}")
    if references:
        sections.append("## References\n\n" + "\n\n".join(references))
    return "\n\n".join(sections) + "\n"
