"""Retrieval: dense (FAISS), lexical (BM25) or both fused, as a list of stages.

Owns what each retriever returns for a `Query` and turning passage ids into typed hits.
Filters are applied inside each retriever (a FAISS id selector, an SQL condition), so a
filtered search returns the true top-k of the allowed passages rather than the survivors of
a short list. A document with no known publication date never matches a date filter. How
the two rankings are combined is `rag.fusion`'s job; which stages run in which mode, and
running them, is `rag.search_stages`'. The query checks and filters live in `rag.query` and
are re-exported here for the modules that search.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

import numpy as np

from embeddings import VectorIndex
from rag import bm25_postings, store, vector_blob
from rag.bm25_postings import Bm25Postings
from rag.errors import QueryError
from rag.lexical import span_term_sets, weighted_share
from rag.query import (
    DEFAULT_MODE,
    MAX_K,
    MODE_LABELS,
    SCORE_LABELS,
    SEARCH_MODES,
    Query,
    SearchFilters,
    build_query,
    check_confidence,
    check_filter_documents,
    check_k,
    check_mode,
    expand_short_forms,
    normalise_query,
)
from rag.results import Hit, Passage

__all__ = [
    "DEFAULT_MODE", "MAX_K", "MODE_LABELS", "SCORE_LABELS", "SEARCH_MODES", "Candidates", "Query",
    "QueryError", "SearchFilters", "SearchRun", "best_sentence_cosines", "build_query", "check_confidence",
    "check_filter_documents", "check_k", "check_mode", "complete_scores", "expand_short_forms",
    "normalise_query", "restriction", "retrieve", "sentence_coverage",
]


def restriction(filters: SearchFilters | None) -> tuple[str, list] | None:
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


@dataclass
class SearchRun:
    """One query on its way through the stages: what the library holds (one generation),
    and what each stage has made of it so far."""

    connection: sqlite3.Connection
    vectors: VectorIndex
    query: Query
    postings: Bm25Postings | None = None  # the lexical index in memory, when kept
    candidates: Candidates | None = None
    ranked: list[tuple[int, float]] = field(default_factory=list)  # (passage id, score), best first
    hits: list[Hit] = field(default_factory=list)
    # each pooled passage's sentence cosines, in its sentences' order (`complete_scores`)
    sentence_cosines: dict[int, np.ndarray] = field(default_factory=dict)
    _passages: dict[int, Passage] = field(default_factory=dict)

    def passages(self, ids: list[int]) -> dict[int, Passage]:
        """The passages, each read from the library once per run however many stages ask."""
        missing = [i for i in ids if i not in self._passages]
        if missing:
            self._passages.update(store.get_passages(self.connection, missing))
        return {i: self._passages[i] for i in ids if i in self._passages}

    def cosines(self, hits: list[Hit]) -> list[float]:
        """Each hit's cosine to the question: from the dense scores a stage computed, or now."""
        known = dict(self.candidates.dense) if self.candidates and self.query.mode == "hybrid" else {}
        if all(h.passage.id in known for h in hits):
            return [known[h.passage.id] for h in hits]
        return [float(c) for c in self.vectors.vectors([h.passage.id for h in hits]) @ self.query.vector]


def retrieve(run: SearchRun, depth: int) -> Candidates:
    """The top `depth` passages of the retrievers the query's mode needs. `run.postings`, an
    in-memory copy of the lexical index of the same generation, gives the same BM25 ranking faster."""
    query, connection = run.query, run.connection
    where = restriction(query.filters)
    allowed = None
    if where is not None:
        allowed = np.asarray(store.filtered_passage_ids(connection, *where), dtype=np.int64)
    dense: list[tuple[int, float]] = []
    lexical: list[tuple[int, float]] = []
    if query.mode in ("dense", "hybrid"):
        scores, ids = run.vectors.search(query.vector, depth, allowed_ids=allowed)
        dense = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
    if query.mode in ("lexical", "hybrid") and run.postings is not None:
        lexical = run.postings.top(list(query.terms), depth, allowed)
    elif query.mode in ("lexical", "hybrid"):
        if query.match is not None and allowed is None:
            lexical = bm25_postings.lexical_matches(connection, query.match, depth)
        elif query.match is not None:  # filters are rare: take every match, keep the allowed ones
            permitted = set(allowed.tolist())
            lexical = [(i, s) for i, s in bm25_postings.lexical_matches(connection, query.match)
                       if i in permitted][:depth]
    return Candidates(dense, lexical)


def sentence_coverage(run: SearchRun, ids: list[int]) -> dict[int, float]:
    """For each passage, how much of the query's term weight its best sentence holds."""
    weights = run.query.idf
    return {
        pid: max((weighted_share(present, weights) for present in
                  span_term_sets(p.text, [(s - p.start, e - p.start) for s, e, _ in p.sentences])), default=0.0)
        for pid, p in run.passages(ids).items()
    }


def complete_scores(run: SearchRun, candidates: Candidates) -> Candidates:
    """Every score for every candidate either retriever found, so fusion never has to guess
    a missing score: cosines from the stored vectors, BM25 from FTS5 for its own candidates
    and computed the same way (`bm25_postings.bm25_scores`) for the dense retriever's others, and
    each passage's best sentence cosine from its stored sentence vectors."""
    union = list(dict.fromkeys([i for i, _ in candidates.dense] + [i for i, _ in candidates.lexical]))
    if not union:
        return candidates
    connection, query_vector, terms = run.connection, run.query.vector, list(run.query.terms)
    cosines = run.vectors.vectors(union) @ query_vector
    bm25 = dict(candidates.lexical)
    others = [i for i in union if i not in bm25]
    postings = run.postings
    source = postings.scores if postings is not None else lambda t, ids: bm25_postings.bm25_scores(connection, t, ids)
    bm25.update(source(terms, others))
    run.sentence_cosines = sentence_cosines(connection, union, cosines, query_vector)
    return Candidates(
        dense=[(i, float(c)) for i, c in zip(union, cosines)],
        lexical=[(i, bm25[i]) for i in union],
        sentence=[(i, float(run.sentence_cosines[i].max())) for i in union],
    )


def sentence_cosines(connection: sqlite3.Connection, ids: list[int], passage_cosines,
                     query_vector: np.ndarray) -> dict[int, np.ndarray]:
    """Each passage's sentence cosines to the query, from the sentence vectors stored at
    ingest; a passage stored without them (libraries older than schema 3) counts its own
    cosine as its one sentence's."""
    blobs = store.sentence_vector_blobs(connection, ids)
    stored = [pid for pid in ids if blobs.get(pid)]
    cosines = dict(zip(stored, vector_blob.dot_many([blobs[pid] for pid in stored], len(query_vector), query_vector)))
    return {pid: found if (found := cosines.get(pid)) is not None and len(found) else np.array([float(cosine)])
            for pid, cosine in zip(ids, passage_cosines)}


def best_sentence_cosines(connection: sqlite3.Connection, ids: list[int], passage_cosines,
                          query_vector: np.ndarray) -> list[float]:
    """Each passage's best sentence cosine to the query (`sentence_cosines`)."""
    found = sentence_cosines(connection, ids, passage_cosines, query_vector)
    return [float(found[i].max()) for i in ids]
