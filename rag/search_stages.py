"""Search as a list of stages: which run in each mode, and running a query through them.

A stage is a callable that takes the `SearchRun` and adds to it (candidates, a ranking, the
hits). Hybrid search retrieves from both retrievers, completes every candidate's scores,
fuses them, re-ranks the head by reading its passages (`rag.rerank`) and fetches the k best; a
dense or lexical search ranks by its one retriever. A new stage (a re-ranker, say) is one
class in a new module and one entry in `STAGES`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from embeddings import VectorIndex
from rag import freshness
from rag.bm25_postings import Bm25Postings
from rag.fusion import FUSION_DEPTH, fuse
from rag.query import Query
from rag.rerank import RERANK_DEPTH, head_features, rerank
from rag.results import Hit
from rag.search import SearchRun, complete_scores, retrieve

Stage = Callable[[SearchRun], None]


class Retrieve:
    """Each retriever's top passages: at least `depth` when fusion needs a deeper pool."""

    def __init__(self, depth: int = 0):
        self.depth = depth

    def __call__(self, run: SearchRun) -> None:
        run.candidates = retrieve(run, max(run.query.k, self.depth))


class CompleteScores:
    """Every candidate scored by both retrievers and by its best sentence."""

    def __call__(self, run: SearchRun) -> None:
        run.candidates = complete_scores(run, run.candidates)


class Fuse:
    def __call__(self, run: SearchRun) -> None:
        run.ranked = fuse(run.candidates)


class Rerank:
    """The head of the fused ranking re-read (`rag.rerank`: how much of the question its best
    sentence and the whole passage say, and each retriever's view), an old document's bonus
    cut (`rag.freshness`), and re-ordered; the k best kept."""

    def __call__(self, run: SearchRun) -> None:
        head = [i for i, _ in run.ranked[:RERANK_DEPTH]]
        features = head_features(run, head)
        staleness = None
        if run.query.news_date:
            passages = run.passages(head)
            staleness = [freshness.staleness(passages[i].published if i in passages else None, run.query.news_date)
                         for i in head]
        run.ranked = rerank(run.ranked, features, staleness=staleness)[: run.query.k]


class RankBy:
    """One retriever's own ranking: "dense" (cosine) or "lexical" (BM25)."""

    def __init__(self, retriever: str):
        self.retriever = retriever

    def __call__(self, run: SearchRun) -> None:
        run.ranked = getattr(run.candidates, self.retriever)


class Fetch:
    """The ranked passages read from the library as hits, numbered from 1."""

    def __call__(self, run: SearchRun) -> None:
        passages = run.passages([i for i, _ in run.ranked])
        kept = [(passages[i], s) for i, s in run.ranked if i in passages]
        run.hits = [Hit(rank=r, score=s, passage=p) for r, (p, s) in enumerate(kept, 1)]


# Hybrid search up to the fused ranking of the whole pool (what the re-ranker reads).
FUSED: Sequence[Stage] = (Retrieve(FUSION_DEPTH), CompleteScores(), Fuse())

STAGES: dict[str, Sequence[Stage]] = {
    "hybrid": (*FUSED, Rerank(), Fetch()),
    "dense": (Retrieve(), RankBy("dense"), Fetch()),
    "lexical": (Retrieve(), RankBy("lexical"), Fetch()),
}


def search(connection: sqlite3.Connection, vectors: VectorIndex, query: Query,
           postings: Bm25Postings | None = None) -> SearchRun:
    """The query through its mode's stages; `.hits` holds the k best passages, best first,
    each with that mode's score."""
    run = SearchRun(connection, vectors, query, postings)
    for stage in STAGES[query.mode]:
        stage(run)
    return run
