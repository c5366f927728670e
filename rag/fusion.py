"""Hybrid ranking: one list from a dense and a lexical ranking of the same candidates.

Owns the fusion rule and its measured constants. Both retrievers' candidates are pooled and
every pooled passage carries both scores (see `rag.search.complete_scores`), so the rule compares
real evidence instead of guessing a missing score as reciprocal rank fusion must.

The rule is a convex combination of the two scores, each divided by its best score:
    score = DENSE_WEIGHT * dense / best dense + (1 - DENSE_WEIGHT) * bm25 / best bm25
where the dense score mixes the passage's cosine with its best sentence's (DENSE_SENTENCE_SHARE).
Both retrievers' best passages are always in the pool, so a passage's fused score does not
depend on how deep the pool is: asking for k=5 or k=300 ranks the top the same way.
Why not reciprocal rank fusion: ranks throw away how far ahead the leader is; on the tuning
splits RRF lost to this rule (SciFact train nDCG@10 0.711 vs 0.737; docs/evaluation.md).
The rule and weights were chosen on SciFact's train queries and a tuning quarter of SQuAD's
articles only (bench/tune_retrieval.py, bench/tune_sentence_rescoring.py). The head of the
fused ranking is then re-read passage by passage (`rag.rerank`).
"""

from __future__ import annotations

from collections.abc import Sequence

# How many passages each retriever contributes to the pool before fusion.
FUSION_DEPTH = 100
DENSE_WEIGHT = 0.6
# The dense part is mostly the passage's best sentence cosine (relative to the pool's best),
# the rest the whole passage's: a question usually matches one sentence, and a long passage's
# vector averages it with the others. Chosen with the head rescoring of the time on the three
# tuning sets (bench/tune_fusion.py; news nDCG@10 / SciFact train nDCG@10 / SQuAD tune R@1):
# passage only with a sentence coverage bonus of 0.3 gave 0.7812 / 0.7297 / 0.8011, these
# 0.7836 / 0.7301 / 0.8086.
DENSE_SENTENCE_SHARE = 0.75


def _relative_to_best(scores: Sequence[float]) -> list[float]:
    best = max(scores)
    return [s / best for s in scores] if best > 0 else [0.0 for _ in scores]


def fuse(candidates) -> list[tuple[int, float]]:
    """(passage id, fused score), best first. `candidates.dense`, `.lexical` and (when
    given) `.sentence` list the same passage ids in the same order, each with its score."""
    ids = [i for i, _ in candidates.dense]
    if not ids:
        return []
    dense = _relative_to_best([s for _, s in candidates.dense])
    if candidates.sentence:
        best_sentence = _relative_to_best([s for _, s in candidates.sentence])
        share = DENSE_SENTENCE_SHARE
        dense = [(1 - share) * d + share * s for d, s in zip(dense, best_sentence)]
    lexical = _relative_to_best([s for _, s in candidates.lexical])
    fused = [DENSE_WEIGHT * d + (1 - DENSE_WEIGHT) * b for d, b in zip(dense, lexical)]
    return sorted(zip(ids, fused), key=lambda pair: (-pair[1], pair[0]))
