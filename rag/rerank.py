"""Re-ranking the head of the fused ranking by what a reader checks in each passage.

Owns the features of a head passage and their fitted weights. Fusion (`rag.fusion`) mixes
two scores with fixed weights; a reader also looks at whether one sentence holds the
question's rare words, whether that sentence is also the one closest in meaning, whether the
passage keeps the question's words together as the question does ("Shanghai Cooperation
Organization", "Super Bowl 50" rather than each word somewhere), and how far ahead each
retriever put the passage. Each of those is a feature in [0, 1]; a head passage's
score is its fused score plus the weighted sum of its features. Every weight is
non-negative, so a bonus only raises and the head stays ahead of the tail: the ranking is the
same for k=5 and k=300.

The weights were fitted by `bench/tune_rerank.py` on the three tuning sets (the news tuning
set, SciFact train, SQuAD's tuning articles), a listwise likelihood over the head, each set
weighted equally; never on a test split. The rule it replaced, the best sentence's coverage
alone at 0.1 over the top 20, is the special case `sentence_coverage` = 0.1. The word-pair
feature (`phrase`) was added on 2026-12-07 because it raised the fit's out-of-fold figures
on SQuAD (R@1 0.8162 -> 0.8189) and news (nDCG@10 0.7943 -> 0.7949) at a cost on SciFact
(0.7341 -> 0.7327); pairs up to two or eight words apart, weighted by the rarer word only, or
read within one sentence did no better (docs/evaluation.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain

import numpy as np

from rag.lexical import span_terms, weighted_share

# How many of the fused ranking's passages are re-read; the rest keep their fused order.
RERANK_DEPTH = 30

FEATURES = (
    "sentence_coverage",   # the best sentence's share of the question's term weight (IDF)
    "passage_coverage",    # the same for the whole passage
    "one_sentence",        # the best sentence by (its cosine / the pool's best + its coverage) / 2
    "phrase",              # share of the question's adjacent term pairs (IDF) adjacent in the passage
    "dense",               # passage cosine / the pool's best
    "sentence_cosine",     # best sentence cosine / the pool's best
    "lexical",             # BM25 / the pool's best
    "dense_rank",          # 1 / (1 + rank by cosine in the pool)
    "lexical_rank",        # 1 / (1 + rank by BM25 in the pool)
)
# Fitted weights, in the order of FEATURES (bench/tune_rerank.py).
WEIGHTS = (0.577, 0.985, 1.350, 0.302, 0.970, 1.608, 0.327, 0.257, 0.289)
# The share of a passage's reading bonus a fully stale document loses (`rag.freshness`):
# chosen on whole news pages (bench/news_articles.py), docs/evaluation.md.
STALE_DISCOUNT = 0.6


def _relative(scores: np.ndarray) -> np.ndarray:
    best = scores.max() if len(scores) else 0.0
    return scores / best if best > 0 else np.zeros_like(scores)


def _rank_prior(scores: np.ndarray) -> np.ndarray:
    """1 / (1 + rank) by score; 0 for a passage the retriever gave nothing (no shared word)."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(len(scores))
    return np.where(scores > 0, 1.0 / (1.0 + ranks), 0.0)


def question_pairs(terms: Sequence[str], idf: dict[str, float]) -> dict[tuple[str, str], float]:
    """The question's adjacent term pairs (stopwords skipped), each weighted by its two IDFs."""
    return {(a, b): idf.get(a, 0.0) + idf.get(b, 0.0) for a, b in zip(terms, terms[1:]) if a != b}


def phrase_share(sequence: Sequence[str], pairs: dict[tuple[str, str], float]) -> float:
    """The share of the pairs' weight whose two terms follow each other in `sequence` (a
    passage's sentences' terms, in reading order)."""
    total = sum(pairs.values())
    if not total:
        return 0.0
    adjacent = set(zip(sequence, sequence[1:]))
    return sum(weight for pair, weight in pairs.items() if pair in adjacent) / total


def passage_features(passage, idf: dict[str, float], cosines: np.ndarray,
                     pairs: dict[tuple[str, str], float] | None = None) -> list[float]:
    """The reading features of one passage: its best sentence's coverage, the whole passage's,
    its best sentence by cosine (relative to the pool's best sentence) and coverage together,
    and how many of the question's word pairs it keeps together."""
    spans = [(s - passage.start, e - passage.start) for s, e, _ in passage.sentences]
    by_span = span_terms(passage.text, spans)
    sets = [frozenset(span) for span in by_span]
    by_sentence = [weighted_share(present, idf) for present in sets]
    whole = weighted_share(frozenset().union(*sets), idf) if sets else 0.0
    one_sentence = max(((c + v) / 2 for c, v in zip(cosines, by_sentence)), default=0.0)
    phrase = phrase_share(list(chain.from_iterable(by_span)), pairs) if pairs else 0.0
    return [max(by_sentence, default=0.0), whole, float(one_sentence), phrase]


def head_features(run, head: list[int]) -> np.ndarray:
    """One row of FEATURES per head passage id of a `rag.search.SearchRun` whose candidates
    hold every pooled passage's dense, lexical and sentence scores (`complete_scores`)."""
    candidates, query, passages = run.candidates, run.query, run.passages(head)
    ids = [i for i, _ in candidates.dense]
    index = {pid: n for n, pid in enumerate(ids)}
    dense = np.array([s for _, s in candidates.dense])
    lexical = np.array([s for _, s in candidates.lexical])
    sentence = np.array([s for _, s in candidates.sentence]) if candidates.sentence else dense
    pool = np.column_stack([_relative(dense), _relative(sentence), _relative(lexical),
                            _rank_prior(dense), _rank_prior(lexical)])
    reading_width = len(FEATURES) - pool.shape[1]
    rows = []
    best_sentence = sentence.max() if len(sentence) else 0.0
    pairs = question_pairs(query.terms, query.idf)
    for pid in head:
        cosines = np.clip(run.sentence_cosines.get(pid, np.zeros(0)) / best_sentence, 0.0, None) \
            if best_sentence > 0 else np.zeros(0)
        reading = passage_features(passages[pid], query.idf, cosines, pairs) if pid in passages else [0.0] * reading_width
        rows.append(reading + pool[index[pid]].tolist())
    # a negative cosine says no more than a zero one, and a bonus must never lower a score
    return np.clip(np.array(rows, dtype=float).reshape(len(head), len(FEATURES)), 0.0, None)


def rerank(ranked: list[tuple[int, float]], features: np.ndarray,
           weights: Sequence[float] = WEIGHTS, staleness: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """The head (the first len(features) of `ranked`) re-ordered by fused score + weights .
    features, each passage's bonus cut by `STALE_DISCOUNT` times its document's staleness
    (`rag.freshness`; none when not given). Every score is then divided by the highest it
    could reach (1 + the weights' sum: each feature is at most 1), so a hybrid score is at
    most 1 and the order is kept: a head passage never falls below its fused score, which is
    at least the tail's."""
    head, tail = ranked[: len(features)], ranked[len(features):]
    bonus = features @ np.asarray(weights, dtype=float) if len(features) else np.zeros(0)
    if staleness is not None and len(bonus):
        bonus = bonus * (1.0 - STALE_DISCOUNT * np.asarray(staleness, dtype=float))
    scale = 1.0 + float(sum(weights))
    head = [(i, (s + float(b)) / scale) for (i, s), b in zip(head, bonus)]
    return sorted(head, key=lambda pair: (-pair[1], pair[0])) + [(i, s / scale) for i, s in tail]
