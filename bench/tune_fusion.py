"""Tune the whole hybrid rule (fusion weight, normalisation, sentence rescoring) on the three
tuning sets at once, against plain reciprocal rank fusion as the baseline.

Sets: the news tuning set (BEIR layout, `--news`, built by ../shared/tools/build-news-dev.py),
SciFact train (`--beir`) and SQuAD's tuning articles (`--squad`). For every question it pools
both retrievers' top passages as `Library.search` does (`tune_retrieval.collect`, with the
question read as the product reads it) and then scores each rule offline, emulating the
product as it was before `rag.rerank`: fuse, rescore the head (RESCORE_DEPTH) by best-sentence coverage,
rank documents by their best passage. Prints nDCG@10 for BEIR sets and R@1 for SQuAD, one
line per rule, with the gain over RRF(k=10) on the news set.

    .venv/bin/python bench/tune_fusion.py --news ~/.cache/rag-dev/news/answerable \
        --beir ../shared/datasets/beir-scifact --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json

Never reads a test split (SciFact: train qrels; SQuAD: `--split tune`; news: a tuning set).
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tuning_sets  # noqa: E402
from embeddings import Encoder  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.metrics import documents_by_best_passage, ndcg_at, recall_at  # noqa: E402
from tune_retrieval import collect  # noqa: E402

WEIGHTS = (0.4, 0.5, 0.6, 0.7, 0.8)
# The head rescoring these rules were measured with (the best sentence's coverage over the
# top 20); the product now re-ranks its head by `rag.rerank` (bench/tune_rerank.py).
RESCORE_DEPTH = 20
GAMMAS = (0.0, 0.1, 0.2, 0.3)
# How the cosines are put on a common scale before mixing: divided by the best, or measured
# from a floor (a cosine this low says nothing): (cos - floor) / (best - floor).
DENSE_FLOORS = (0.0, 0.2, 0.3)
# The share of the dense part given to the passage's best sentence cosine (its stored
# sentence vectors) instead of the whole passage's: a claim often matches one sentence.
SENTENCE_SHARES = (0.25, 0.5, 0.75, 1.0)


def rank_rrf(pool, k):
    ids, _, _, dense_rank, lexical_rank = pool[:5]
    score = dict.fromkeys(ids, 0.0)
    for ranking in (dense_rank, lexical_rank):
        for r, i in enumerate(ranking, 1):
            score[i] += 1 / (k + r)
    return sorted(ids, key=lambda i: (-score[i], i))


def rank_convex(pool, weight, gamma, floor, sentence_share=0.0):
    """The product's rule; `sentence_share` of the dense part taken from the passage's best
    sentence cosine instead of the passage cosine (each relative to its best)."""
    ids, dense, bm25, _, _, covered, sentence = pool
    if not ids:
        return []
    d = np.clip((dense - floor) / max(dense.max() - floor, 1e-9), 0.0, None)
    if sentence_share:
        s = np.clip((sentence - floor) / max(sentence.max() - floor, 1e-9), 0.0, None)
        d = (1 - sentence_share) * d + sentence_share * s
    b = bm25 / max(bm25.max(), 1e-9)
    fused = weight * d + (1 - weight) * b
    order = sorted(range(len(ids)), key=lambda i: (-fused[i], ids[i]))
    head, tail = order[:RESCORE_DEPTH], order[RESCORE_DEPTH:]
    head = sorted(head, key=lambda i: (-(fused[i] + gamma * covered[i]), ids[i]))
    return [ids[i] for i in head + tail]


def leads(pool):
    """Each retriever's lead: (top1 - top2) / top1 of its scores over the pool."""
    leads_ = []
    for scores in (pool[1], pool[2]):
        top = np.sort(scores)[::-1]
        leads_.append((top[0] - top[1]) / max(top[0], 1e-9) if len(top) > 1 else 1.0)
    return leads_


def rank_by_leads(pool, a, b):
    """The chosen rule with a per-question dense weight: more dense weight when the dense
    retriever leads by far, less when BM25 does (tried; docs/evaluation.md)."""
    if not pool[0]:
        return []
    dense_lead, lexical_lead = leads(pool)
    weight = float(np.clip(0.6 + a * dense_lead - b * lexical_lead, 0.2, 0.95))
    return rank_convex(pool, weight, 0.1, 0.0, 0.75)


def measure(dataset, sources, pools, rank, metric):
    values = []
    for question, pool in zip(dataset.questions, pools):
        ranked = documents_by_best_passage([sources[i] for i in rank(pool)])
        values.append(ndcg_at(10, ranked, question.relevant) if metric == "ndcg@10"
                      else recall_at(1, ranked, question.relevant))
    return float(np.mean(values))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    tuning_sets.add_arguments(parser)
    args = parser.parse_args()
    encoder = CachingEncoder(Encoder(args.model))
    sets = tuning_sets.tuning_sets(args)
    collected = []
    for name, dataset, metric in sets:
        print(f"collecting {name}: {len(dataset.questions)} questions", file=sys.stderr, flush=True)
        collected.append((name, dataset, metric, *collect(dataset, encoder, with_coverage=True)))
    rules = [("dense", lambda p: p[3]), ("lexical", lambda p: p[4]),
             ("rrf k=10", lambda p: rank_rrf(p, 10)), ("rrf k=60", lambda p: rank_rrf(p, 60))]
    for w, gamma, floor in itertools.product(WEIGHTS, GAMMAS, DENSE_FLOORS):
        rules.append((f"convex w={w} gamma={gamma} floor={floor}",
                      lambda p, w=w, g=gamma, f=floor: rank_convex(p, w, g, f)))
    for w, gamma, share in itertools.product(WEIGHTS, GAMMAS, SENTENCE_SHARES):
        rules.append((f"convex w={w} gamma={gamma} sentence={share}",
                      lambda p, w=w, g=gamma, s=share: rank_convex(p, w, g, 0.0, s)))
    for a, b in itertools.product((0.5, 1.0, 2.0, 4.0), (0.0, 0.5, 1.0)):
        rules.append((f"per-question w, a={a} b={b}", lambda p, a=a, b=b: rank_by_leads(p, a, b)))
    print("rule".ljust(40) + "".join(f"{name} {metric}".rjust(24) for name, _, metric, _, _ in collected))
    for label, rank in rules:
        row = [measure(dataset, sources, pools, rank, metric) for _, dataset, metric, sources, pools in collected]
        print(label.ljust(40) + "".join(f"{value:24.4f}" for value in row), flush=True)


if __name__ == "__main__":
    main()
