"""Query checking, filters, and retrieval: dense (FAISS), lexical (BM25) or both fused.

Owns what a valid query is, what the filters and modes mean, and turning passage ids into
typed hits. Filters are applied inside each retriever (a FAISS id selector, an SQL
condition), so a filtered search returns the true top-k of the allowed passages rather than
the survivors of a short list. A document with no known publication date never matches a
date filter. How the two rankings are combined is `rag.fusion`'s job.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field

import numpy as np

from embeddings import VectorIndex
from rag import bm25_postings, store, vector_blob
from rag.abbreviations import long_forms_in, query_short_forms, uses
from rag.bm25_postings import Bm25Postings
from rag.dates import normalise_iso_date
from rag.errors import QueryError
from rag.fusion import FUSION_DEPTH, fuse, rescore_head
from rag.lexical import match_expression, span_term_sets, terms, weighted_share
from rag.results import Hit

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
    "hybrid": "hybrid score (relative to the best)",
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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def normalise_query(query: str) -> str:
    if not isinstance(query, str):
        raise TypeError("query must be a string")
    query = unicodedata.normalize("NFC", _CONTROL.sub(" ", query))
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not any(ch.isalnum() for ch in query):
        raise QueryError("The question is empty; type a question with at least one word")
    return query


def expand_short_forms(connection: sqlite3.Connection, query: str) -> str:
    """`query` with each short form it uses followed by the long form the library's
    documents define for it: "members of the SCO?" -> "members of the SCO (Shanghai
    Cooperation Organization)?". Unchanged when the library defines none of them."""
    for short in query_short_forms(query):
        match = match_expression(short)
        if match is None:
            continue
        ids = [i for i, _ in bm25_postings.lexical_matches(connection, match, DEFINITION_LOOKUP_DEPTH)]
        texts = [p.text for p in store.get_passages(connection, ids).values() if f"({short}" in p.text
                 or f"{short} (" in p.text]
        long_form = long_forms_in(texts, short)
        if long_form and long_form.casefold() not in query.casefold() and uses(query, short):
            query = re.sub(rf"(?<![\w-]){re.escape(short)}s?(?!\w)",
                           lambda m: f"{m.group()} ({long_form})", query, count=1)
    return query


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


def _restriction(filters: SearchFilters | None) -> tuple[str, list] | None:
    if filters is None or not filters.active:
        return None
    return store.filter_clause(
        document_ids=filters.documents,
        published_from=filters.published_from,
        published_to=filters.published_to,
    )


@dataclass(frozen=True)
class Candidates:
    """What each retriever says about one query: (passage id, score) lists, best first.
    Once `complete_scores` has run, all lists hold the same ids in the same order, and
    `sentence` holds each passage's best sentence cosine."""

    dense: list[tuple[int, float]]
    lexical: list[tuple[int, float]]
    sentence: list[tuple[int, float]] = field(default_factory=list)


def retrieve(
    connection: sqlite3.Connection,
    vectors: VectorIndex,
    query: str,
    query_vector: np.ndarray | None,
    depth: int,
    filters: SearchFilters | None,
    mode: str,
    postings: Bm25Postings | None = None,
) -> Candidates:
    """The top `depth` passages of the retrievers `mode` needs. `postings`, an in-memory
    copy of the lexical index of the same generation, gives the same BM25 ranking faster."""
    restriction = _restriction(filters)
    allowed = None
    if restriction is not None:
        allowed = np.asarray(store.filtered_passage_ids(connection, *restriction), dtype=np.int64)
    dense: list[tuple[int, float]] = []
    lexical: list[tuple[int, float]] = []
    if mode in ("dense", "hybrid"):
        scores, ids = vectors.search(query_vector, depth, allowed_ids=allowed)
        dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
    if mode in ("lexical", "hybrid") and postings is not None:
        lexical = postings.top(terms(query), depth, allowed)
    elif mode in ("lexical", "hybrid"):
        match = match_expression(query)
        if match is not None and allowed is None:
            lexical = bm25_postings.lexical_matches(connection, match, depth)
        elif match is not None:  # filters are rare: take every match, keep the allowed ones
            permitted = set(allowed.tolist())
            lexical = [(i, s) for i, s in bm25_postings.lexical_matches(connection, match) if i in permitted][:depth]
    return Candidates(dense, lexical)


def search(
    connection: sqlite3.Connection,
    vectors: VectorIndex,
    query: str,
    query_vector: np.ndarray | None,
    k: int,
    filters: SearchFilters | None = None,
    mode: str = DEFAULT_MODE,
    postings: Bm25Postings | None = None,
) -> list[Hit]:
    """The k best passages for `query` in `mode`; `query_vector` is unused by "lexical"."""
    if mode == "hybrid":
        depth = max(k, FUSION_DEPTH)
        candidates = retrieve(connection, vectors, query, query_vector, depth, filters, mode, postings)
        fused = fuse(complete_scores(connection, vectors, query, query_vector, candidates, postings))
        ranked = rescore_head(fused, lambda ids: sentence_coverage(connection, query, ids))[:k]
    else:
        candidates = retrieve(connection, vectors, query, query_vector, k, filters, mode, postings)
        ranked = candidates.dense if mode == "dense" else candidates.lexical
    passages = store.get_passages(connection, [i for i, _ in ranked])
    kept = [(passages[i], s) for i, s in ranked if i in passages]
    return [Hit(rank=r, score=s, passage=p) for r, (p, s) in enumerate(kept, 1)]


def sentence_coverage(connection: sqlite3.Connection, query: str, ids: list[int]) -> dict[int, float]:
    """For each passage, how much of the query's term weight its best sentence holds."""
    weights = bm25_postings.term_idf(connection, terms(query))
    passages = store.get_passages(connection, ids)
    return {
        pid: max((weighted_share(present, weights) for present in
                  span_term_sets(p.text, [(s - p.start, e - p.start) for s, e, _ in p.sentences])), default=0.0)
        for pid, p in passages.items()
    }


def complete_scores(
    connection: sqlite3.Connection,
    vectors: VectorIndex,
    query: str,
    query_vector: np.ndarray,
    candidates: Candidates,
    postings: Bm25Postings | None = None,
) -> Candidates:
    """Every score for every candidate either retriever found, so fusion never has to guess
    a missing score: cosines from the stored vectors, BM25 from FTS5 for its own candidates
    and computed the same way (`bm25_postings.bm25_scores`) for the dense retriever's others, and
    each passage's best sentence cosine from its stored sentence vectors."""
    union = list(dict.fromkeys([i for i, _ in candidates.dense] + [i for i, _ in candidates.lexical]))
    if not union:
        return candidates
    cosines = vectors.vectors(union) @ query_vector
    bm25 = dict(candidates.lexical)
    others = [i for i in union if i not in bm25]
    source = postings.scores if postings is not None else lambda t, ids: bm25_postings.bm25_scores(connection, t, ids)
    bm25.update(source(terms(query), others))
    return Candidates(
        dense=[(i, float(c)) for i, c in zip(union, cosines)],
        lexical=[(i, bm25[i]) for i in union],
        sentence=list(zip(union, best_sentence_cosines(connection, union, cosines, query_vector))),
    )


def best_sentence_cosines(connection: sqlite3.Connection, ids: list[int], passage_cosines,
                          query_vector: np.ndarray) -> list[float]:
    """Each passage's best sentence cosine to the query, from the sentence vectors stored at
    ingest; a passage stored without them (libraries older than schema 3) counts its own
    cosine instead."""
    blobs = store.sentence_vector_blobs(connection, ids)
    best = []
    for pid, cosine in zip(ids, passage_cosines):
        blob = blobs.get(pid)
        rows = vector_blob.unpack(blob, len(query_vector)) if blob else None
        best.append(float((rows @ query_vector).max()) if rows is not None and len(rows) else float(cosine))
    return best
