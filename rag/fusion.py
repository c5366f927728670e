"""Hybrid ranking: one list from a dense and a lexical ranking of the same candidates.

Owns the fusion rule and its measured constants. Both retrievers' candidates are pooled and
every pooled passage carries both scores (see `rag.search.complete_scores`), so the rule compares
real evidence instead of guessing a missing score as reciprocal rank fusion must.

The rule is a convex combination of the two scores, each rescaled to [0, 1] over the pool:
    score = DENSE_WEIGHT * dense' + (1 - DENSE_WEIGHT) * bm25'
Why not reciprocal rank fusion: ranks throw away how far ahead the leader is, and on the
tuning splits RRF lost to BM25 alone at Recall@1 (docs/evaluation.md has the comparison).
The weight was tuned on SciFact's train queries and a tuning half of SQuAD's articles only.
"""

from __future__ import annotations

from collections.abc import Sequence

# How many passages each retriever contributes to the pool before fusion.
FUSION_DEPTH = 100
DENSE_WEIGHT = 0.5


def _rescaled(scores: Sequence[float]) -> list[float]:
    low, high = min(scores), max(scores)
    if high <= low:
        return [1.0 if high > 0 else 0.0 for _ in scores]
    return [(s - low) / (high - low) for s in scores]


def fuse(candidates) -> list[tuple[int, float]]:
    """(passage id, fused score), best first. `candidates.dense` and `candidates.lexical`
    list the same passage ids in the same order, each with that retriever's score."""
    ids = [i for i, _ in candidates.dense]
    if not ids:
        return []
    dense = _rescaled([s for _, s in candidates.dense])
    lexical = _rescaled([s for _, s in candidates.lexical])
    fused = [DENSE_WEIGHT * d + (1 - DENSE_WEIGHT) * b for d, b in zip(dense, lexical)]
    return sorted(zip(ids, fused), key=lambda pair: (-pair[1], pair[0]))
