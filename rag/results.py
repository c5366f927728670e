"""The typed values the library hands out: documents, passages, hits, citations, answers.

All are frozen dataclasses, so tests can compare them whole and callers cannot mutate
library state by accident. Offsets are character offsets into `Document.text`, the stored
cleaned text, so `document.text[start:end]` is always exactly the cited text.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from typing import NamedTuple

from rag.confidence import Signals, statement
from rag.passages import PARAGRAPH_SEPARATOR

NO_TITLE = "(no title)"


def display_title(title: str, source: str) -> str:
    """What listings and citations show for a document: its title, or, when it has none
    (`title == ""`), where it came from, marked so that a file name or a record's id
    ("crm/4711") is never mistaken for a title: "(no title) crm/4711". A path shows only
    its file name."""
    if title:
        return title
    return f"{NO_TITLE} {source_label(source)}"


def source_label(source: str) -> str:
    """A short name for a source: a path's file name, anything else as it is."""
    return os.path.basename(source) if os.path.isabs(source) else source


class _Titled:
    """`display_title` for a result that has `title` ("" when the document has none) and `source`."""

    @property
    def display_title(self) -> str:
        return display_title(self.title, self.source)


@dataclass(frozen=True)
class Document(_Titled):
    id: str
    title: str  # "" when the document has none: show `display_title`
    published: str | None  # ISO date "YYYY-MM-DD" when the document states one
    source: str  # where it was read from (absolute path, or the upload's file name)
    content_hash: str  # sha256 of the original file bytes
    format: str
    text: str  # the cleaned text all offsets point into
    paragraphs: int
    passages: int
    link_words: str = ""  # words of the URLs of links taken out of its plain text, read as context


@dataclass(frozen=True)
class DocumentSummary(_Titled):
    """A document without its text, for listings."""

    id: str
    title: str
    published: str | None
    source: str
    format: str
    paragraphs: int
    passages: int


class SentenceSpan(NamedTuple):
    """Where one sentence of a passage is: absolute offsets into the document text, and the
    1-based paragraph it is in. A tuple, so `for start, end, paragraph in passage.sentences`
    reads as before and JSON writes it as [start, end, paragraph]."""

    start: int
    end: int
    paragraph: int


@dataclass(frozen=True)
class Passage(_Titled):
    id: int
    document_id: str
    title: str
    published: str | None
    source: str
    paragraph: int  # 1-based number of the document paragraph the passage starts in
    start: int
    end: int
    text: str
    sentences: tuple[SentenceSpan, ...] = field(repr=False)

    def __post_init__(self):
        object.__setattr__(self, "sentences", tuple(SentenceSpan(*span) for span in self.sentences))

    def sentence_text(self, span: SentenceSpan) -> str:
        """The sentence's text, sliced from the passage."""
        return self.text[span.start - self.start : span.end - self.start]


@dataclass(frozen=True)
class Hit:
    rank: int  # 1-based
    score: float  # cosine similarity for dense search; fused score for hybrid
    passage: Passage

    def to_json(self) -> dict:
        p = self.passage
        return {
            "rank": self.rank,
            "document_id": p.document_id,
            "title": p.title,
            "published": p.published,
            "source": p.source,
            "paragraph": p.paragraph,
            "start": p.start,
            "end": p.end,
            "passage": p.text,
            "score": round(float(self.score), 6),
        }


@dataclass(frozen=True)
class ResolvedDate:
    """A relative date expression in cited text ("last year", "on Friday", "in July") and
    the date it means, read against the document's publication date (`rag.relative_dates`)."""

    start: int  # absolute offsets into Document.text: text[start:end] is the expression
    end: int
    text: str  # the expression as written
    value: str  # what it means: "2014", "2025-03-07", "July 2024", "week of 2025-06-16"
    first_day: str  # ISO dates: the first and last day the value covers
    last_day: str


@dataclass(frozen=True)
class Citation(_Titled):
    n: int
    document_id: str
    title: str
    published: str | None
    source: str
    paragraph: int
    start: int
    end: int
    passage: str
    evidence: str
    evidence_start: int
    evidence_end: int
    score: float  # the passage's cosine similarity to the question
    evidence_score: float = 0.0  # why this sentence was chosen; the highest is the strongest
    # relative dates in the evidence, resolved against `published` (none when it is unknown)
    dates: tuple[ResolvedDate, ...] = ()

    @property
    def passage_text(self) -> str:
        return self.passage

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(float(self.score), 6)
        data["evidence_score"] = round(float(self.evidence_score), 6)
        data["dates"] = [asdict(d) for d in self.dates]
        return data


def first_claim(citations: tuple[Citation, ...]) -> tuple[Citation, ...]:
    """The claim an answer makes first: citation [1], with each next one that joins the one
    before it, from the same passage or right after it across a paragraph break (a sentence is
    cited with the neighbours it needs)."""
    claim = list(citations[:1])
    for citation in citations[1:]:
        last = claim[-1]
        follows = 0 < citation.evidence_start - last.evidence_end <= len(PARAGRAPH_SEPARATOR)
        if citation.document_id != last.document_id or not (citation.start == last.start or follows):
            break
        claim.append(citation)
    return tuple(claim)


@dataclass(frozen=True)
class WrittenSentence:
    """One sentence a language model wrote, and whether the passages it cites state it."""

    text: str  # as written, its [n] markers taken out
    cited: tuple[int, ...]  # the passages it cited, numbered as the model was shown them
    supported: bool
    reason: str = ""  # why it is not shown as supported ("cites no passage", ...)
    citations: tuple[int, ...] = ()  # the answer's citations (Citation.n) that state it


@dataclass(frozen=True)
class Writing:
    """A written answer's sentences, checked (`rag.claim_check`); or why none is shown."""

    model: str
    sentences: tuple[WrittenSentence, ...] = ()
    # why the quoted answer is shown instead of a written one; "" when the written one is
    failure: str = ""

    @property
    def shown(self) -> bool:
        return not self.failure

    @property
    def dropped(self) -> tuple[WrittenSentence, ...]:
        return tuple(s for s in self.sentences if not s.supported)

    def to_json(self) -> dict:
        return {"model": self.model, "shown": self.shown, "failure": self.failure,
                "sentences": [asdict(s) for s in self.sentences]}


WRITTEN_CLAIM = "its best quoted evidence"  # what a written answer's confidence is about


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    abstained: bool
    citations: tuple[Citation, ...]
    nearest: tuple[Hit, ...] = ()  # when abstained: the closest passages, for the user to judge
    # The estimated probability that the first citation answers the question (for a refusal:
    # that the best evidence found would have); `rag.confidence`.
    confidence: float = 0.0
    signals: Signals | None = field(default=None, repr=False)  # what `confidence` was computed from
    # (its page's date, the library's newest) when `confidence` was cut because a question about
    # now is answered from an older page (`rag.freshness`); None otherwise
    older_page: tuple[str, str] | None = None
    # a language model's answer, checked sentence by sentence (`rag.written_answers`); None
    # when none was asked for. When it is shown, `text` and `citations` are its supported
    # sentences and the evidence that states them; `confidence` stays the quoted answer's.
    written: Writing | None = None

    @property
    def confidence_statement(self) -> str:
        """The confidence in words, naming the citations of the claim it is about."""
        if self.written and self.written.shown:
            return statement(self.confidence, self.abstained, claim=WRITTEN_CLAIM, older_page=self.older_page,
                             check="the citations")
        claim = [f"[{c.n}]" for c in first_claim(self.citations)] or ["[1]"]
        markers = claim[0] if len(claim) == 1 else f"{', '.join(claim[:-1])} read with {claim[-1]}"
        return statement(self.confidence, self.abstained, claim=markers, older_page=self.older_page)

    def to_json(self) -> dict:
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": round(float(self.confidence), 4),
            "confidence_statement": self.confidence_statement,
            "citations": [c.to_json() for c in self.citations],
            "nearest": [h.to_json() for h in self.nearest],
            "signals": self.signals.to_json() if self.signals else None,
            "older_page": dict(zip(("published", "library_newest"), self.older_page)) if self.older_page else None,
            "written": self.written.to_json() if self.written else None,
        }


@dataclass(frozen=True)
class FileFailure:
    path: str
    reason: str


@dataclass(frozen=True)
class IngestReport:
    added: tuple[str, ...] = ()  # document ids
    updated: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()  # paths whose content was already in the library
    failed: tuple[FileFailure, ...] = ()
    passages_embedded: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated)

    @classmethod
    def combined(cls, reports, *, skipped=(), failed=()) -> "IngestReport":
        """One report for an ingest committed as several generations (one report each)."""
        return cls(
            added=tuple(i for r in reports for i in r.added),
            updated=tuple(i for r in reports for i in r.updated),
            skipped=tuple(skipped) + tuple(s for r in reports for s in r.skipped),
            failed=tuple(failed) + tuple(f for r in reports for f in r.failed),
            passages_embedded=sum(r.passages_embedded for r in reports),
        )

    def outcome(self) -> tuple[str, str]:
        """For a one-file ingest: ("added" | "updated" | "unchanged" | "failed", detail)."""
        if self.failed:
            return "failed", self.failed[0].reason
        if self.added or self.updated:
            return ("added" if self.added else "updated"), ", ".join(self.added + self.updated)
        return "unchanged", "already in the library"

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, "
            f"{len(self.skipped)} unchanged, {len(self.failed)} failed"
        )
