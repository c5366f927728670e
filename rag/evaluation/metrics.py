"""Ranking metrics over one query's ranked document ids and its judged relevant ids.

The definitions are the ones BEIR reports through trec_eval: nDCG with linear gain and a
log2 discount, recall as the share of relevant documents found, reciprocal rank of the first
relevant document (0 when none is in the cut-off).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at(k: int, ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    gains = [relevant.get(doc, 0) for doc in ranked[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(k: int, ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted.intersection(ranked[:k])) / len(wanted) if wanted else 0.0


def reciprocal_rank_at(k: int, ranked: Sequence[str], relevant: Mapping[str, int]) -> float:
    for i, doc in enumerate(ranked[:k], 1):
        if relevant.get(doc, 0) > 0:
            return 1.0 / i
    return 0.0


def documents_by_best_passage(passage_documents: Sequence[str]) -> list[str]:
    """Ranked passages' document ids -> ranked documents, each at its best passage's rank."""
    return list(dict.fromkeys(passage_documents))
