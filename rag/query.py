"""What a question is once the library has read it: checked, analysed once, embedded once.

Owns what a valid query is (`normalise_query`, `check_k`, `check_mode`, `check_confidence`),
what the filters and modes mean, and the `Query` value that search stages and answerers
share, so no stage re-analyses the text, re-reads IDF or re-embeds. Building a `Query` reads
the library (short forms it defines, term statistics) but changes nothing.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass
from typing import Callable

import numpy as np

from rag import bm25_postings, store
from rag.abbreviations import long_forms_in, query_short_forms, uses
from rag.dates import normalise_iso_date
from rag.errors import QueryError, UnknownDocumentError
from rag.inline_markup import strip_inline_markup
from rag.lexical import match_expression, terms

# Longer queries are cut here; the model reads at most a few hundred tokens anyway.
MAX_QUERY_CHARS = 2000
# A question's short form ("SCO") is read with the long form the library's own documents
# define for it, looked up in this many of the passages that use it (the best BM25 matches).
DEFINITION_LOOKUP_DEPTH = 50
MAX_K = 1000
SEARCH_MODES = ("hybrid", "dense", "lexical")
DEFAULT_MODE = "hybrid"
# What a hit's `score` is in each mode: a raw retrieval score, not a probability (an
# answer's `confidence` is the probability; rag.confidence).
SCORE_LABELS = {
    "hybrid": "hybrid score (at most 1)",
    "dense": "cosine",
    "lexical": "BM25",
}
MODE_LABELS = {
    "hybrid": "Meaning + words (hybrid)",
    "dense": "Meaning (dense)",
    "lexical": "Exact words (BM25)",
}


@dataclass(frozen=True)
class SearchFilters:
    documents: tuple[str, ...] | None = None  # document ids; None means all
    published_from: str | None = None  # inclusive ISO dates
    published_to: str | None = None

    def __post_init__(self):
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is not None and normalise_iso_date(value) != value:
                raise QueryError(f"{name} must be a date written YYYY-MM-DD, got {value!r}")
        if self.documents is not None:
            object.__setattr__(self, "documents", tuple(self.documents))

    @property
    def active(self) -> bool:
        return self.documents is not None or bool(self.published_from or self.published_to)


@dataclass(frozen=True)
class Query:
    """One question as every search stage and answerer reads it."""

    text: str  # as asked, normalised
    retrieval_text: str  # with the long forms the library defines for its short forms
    terms: tuple[str, ...]  # BM25 terms of retrieval_text, in order (term frequency matters)
    idf: dict[str, float]  # each distinct term of `terms` -> its IDF in this library
    match: str | None  # FTS5 expression matching any of `terms`; None when it has none
    vector: np.ndarray | None  # the unit vector of retrieval_text; None for a lexical search
    k: int
    filters: SearchFilters | None
    mode: str
    # The date the question's "now" is (`rag.freshness`): older documents' passages count for
    # less. None unless the question says it is about the present ("this week") and names no
    # year, and the library holds a dated document.
    news_date: str | None = None


def build_query(connection: sqlite3.Connection, text: str, k: int, filters: SearchFilters | None, mode: str,
                embed: Callable[[str], np.ndarray], *, needs_vector: bool,
                postings: bm25_postings.Bm25Postings | None = None, news_date: str | None = None) -> Query:
    """The question checked, read with the library's long forms, analysed and (when
    `needs_vector`) embedded: once, for every stage after. `postings`: the in-memory lexical
    copy of the connection's generation, if kept (it knows the terms' passage counts).
    `news_date`: the question's "now" (`Query.news_date`), which the caller reads."""
    text, k, mode = normalise_query(text), check_k(k), check_mode(mode)
    retrieval_text = expand_short_forms(connection, text, postings)  # "SCO" -> also its long form
    analysed = tuple(terms(retrieval_text))
    return Query(
        text=text, retrieval_text=retrieval_text, terms=analysed,
        idf=bm25_postings.term_idf(connection, analysed, postings), match=match_expression(retrieval_text),
        vector=embed(retrieval_text) if needs_vector else None, k=k, filters=filters, mode=mode,
        news_date=news_date,
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def normalise_query(query: str) -> str:
    if not isinstance(query, str):
        raise TypeError("query must be a string")
    if found := _SURROGATE.search(query):
        raise QueryError(f"The question holds a character that is not text (a lone surrogate, U+{ord(found.group()):04X}, "
                         f"at character {found.start()}), usually from bytes that were not UTF-8; type it again")
    query = unicodedata.normalize("NFC", _CONTROL.sub(" ", query))
    # A question copied from a web page can keep its inline links ("Who will be <a href=...>South
    # Korea</a>'s next president?"): the reader saw the link's text, and so must the search.
    query = strip_inline_markup(query)[0]
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not any(ch.isalnum() for ch in query):
        raise QueryError("The question is empty; type a question with at least one word")
    return query


def expand_short_forms(connection: sqlite3.Connection, query: str,
                       postings: bm25_postings.Bm25Postings | None = None) -> str:
    """`query` with each short form it uses followed by the long form the library's
    documents define for it: "members of the SCO?" -> "members of the SCO (Shanghai
    Cooperation Organization)?". Unchanged when the library defines none of them.
    `postings`: the in-memory lexical copy of the connection's generation, if kept (the same
    best matches as FTS5's, without a query)."""
    for short in query_short_forms(query):
        match = match_expression(short)
        if match is None:
            continue
        best = (postings.top(list(dict.fromkeys(terms(short))), DEFINITION_LOOKUP_DEPTH) if postings is not None
                else bm25_postings.lexical_matches(connection, match, DEFINITION_LOOKUP_DEPTH))
        ids = [i for i, _ in best]
        texts = [p.text for p in store.get_passages(connection, ids).values() if f"({short}" in p.text
                 or f"{short} (" in p.text]
        long_form = long_forms_in(texts, short)
        if long_form and long_form.casefold() not in query.casefold() and uses(query, short):
            query = re.sub(rf"(?<![\w-]){re.escape(short)}s?(?!\w)",
                           lambda m: f"{m.group()} ({long_form})", query, count=1)
    return query


def check_filter_documents(connection: sqlite3.Connection, filters: SearchFilters | None) -> None:
    """UnknownDocumentError for a filter's document id the library does not hold: a typo
    would otherwise look like a search that found nothing."""
    if filters is not None and filters.documents:
        unknown = sorted(set(filters.documents) - store.document_ids(connection, filters.documents))
        if unknown:
            raise UnknownDocumentError(unknown[0])


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise QueryError(f"k must be a whole number, got {k!r}")
    if k < 1:
        raise QueryError(f"k must be at least 1, got {k}")
    return min(k, MAX_K)


def check_confidence(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise QueryError(f"the minimum confidence must be a number from 0 to 1, got {value!r}")
    return float(value)


def check_mode(mode: str) -> str:
    if mode not in SEARCH_MODES:
        raise QueryError(f"search mode must be one of {', '.join(SEARCH_MODES)}, got {mode!r}")
    return mode
