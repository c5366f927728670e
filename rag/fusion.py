"""Hybrid ranking: one list from a dense and a lexical ranking of the same candidates.

Owns the fusion rule and its measured constants. Both retrievers' candidates are pooled and
every pooled passage carries both scores (see `rag.search.complete_scores`), so the rule compares
real evidence instead of guessing a missing score as reciprocal rank fusion must.

The rule is a convex combination of the two scores, each divided by its best score:
    score = DENSE_WEIGHT * cosine / best cosine + (1 - DENSE_WEIGHT) * bm25 / best bm25
Both retrievers' best passages are always in the pool, so a passage's fused score does not
depend on how deep the pool is: asking for k=5 or k=300 ranks the top the same way.
Why not reciprocal rank fusion: ranks throw away how far ahead the leader is; on the tuning
splits RRF lost to this rule (SciFact train nDCG@10 0.711 vs 0.737; docs/evaluation.md).
The rule and weights were chosen on SciFact's train queries and a tuning quarter of SQuAD's
articles only (bench/tune_retrieval.py, bench/tune_sentence_rescoring.py).
"""

from __future__ import annotations

from collections.abc import Sequence

# How many passages each retriever contributes to the pool before fusion.
FUSION_DEPTH = 100
DENSE_WEIGHT = 0.6
# Sentence-level rescoring of the fused head: a passage whose single best sentence holds
# most of the question's rare terms usually is the answer (SQuAD tuning Recall@1 0.785 ->
# 0.809, SciFact train nDCG@10 unchanged within 0.001). Only the head is rescored, so the
# cost stays a few milliseconds; a bonus only raises, so the head stays ahead of the rest.
SENTENCE_WEIGHT = 0.3
RESCORE_DEPTH = 20


def _relative_to_best(scores: Sequence[float]) -> list[float]:
    best = max(scores)
    return [s / best for s in scores] if best > 0 else [0.0 for _ in scores]


def fuse(candidates) -> list[tuple[int, float]]:
    """(passage id, fused score), best first. `candidates.dense` and `candidates.lexical`
    list the same passage ids in the same order, each with that retriever's score."""
    ids = [i for i, _ in candidates.dense]
    if not ids:
        return []
    dense = _relative_to_best([s for _, s in candidates.dense])
    lexical = _relative_to_best([s for _, s in candidates.lexical])
    fused = [DENSE_WEIGHT * d + (1 - DENSE_WEIGHT) * b for d, b in zip(dense, lexical)]
    return sorted(zip(ids, fused), key=lambda pair: (-pair[1], pair[0]))


def rescore_head(ranked: list[tuple[int, float]], sentence_coverage) -> list[tuple[int, float]]:
    """Add SENTENCE_WEIGHT x the best sentence's coverage of the query to the top
    RESCORE_DEPTH passages; `sentence_coverage(ids)` -> {id: coverage in [0, 1]}."""
    head, tail = ranked[:RESCORE_DEPTH], ranked[RESCORE_DEPTH:]
    coverage = sentence_coverage([i for i, _ in head])
    head = [(i, s + SENTENCE_WEIGHT * coverage.get(i, 0.0)) for i, s in head]
    return sorted(head, key=lambda pair: (-pair[1], pair[0])) + tail
