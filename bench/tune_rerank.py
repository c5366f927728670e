"""Fit the head re-ranker's weights (`rag.rerank`) on the three tuning sets, and show what
they do out of fold against the rule in the product.

For every question the product's own stages pool and fuse both retrievers' passages
(`rag.search_stages`), and `rag.rerank.head_features` reads the top RERANK_DEPTH; the fit is
then offline. Score of a head passage: a x fused + w . features, a and w >= 0; loss: the
listwise softmax likelihood of the question's relevant passages among the head, each set
weighted equally, a small L2 penalty. Reported per set (news and SciFact nDCG@10, SQuAD R@1):
the product's current weights, the fit scored out of fold (5 folds grouped by news date,
SQuAD article, SciFact question: a fold is never scored by a fit that saw its group), and the
fit on everything, whose weights (w / a) are printed for `rag.rerank.WEIGHTS`.

    .venv/bin/python bench/tune_rerank.py --news ~/.cache/rag-dev/news/answerable \
        --beir ../shared/datasets/beir-scifact --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json

Never reads a test split (SciFact: train qrels; SQuAD: `--split tune`; news: a tuning set).
"""

from __future__ import annotations

import argparse
import pickle
import sys
import zlib
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import tuning_sets  # noqa: E402
from embeddings import Encoder  # noqa: E402
from rag import rerank  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.metrics import documents_by_best_passage, ndcg_at, recall_at  # noqa: E402
from rag.evaluation.runner import open_evaluation_library  # noqa: E402
from rag.search import SearchRun, build_query  # noqa: E402
from rag.search_stages import FUSED  # noqa: E402

FOLDS = 5
L2 = 1e-3
TAIL = 70  # passages kept after the head, so document metrics at 10 see enough documents


def collect(dataset, encoder):
    """Per question: head ids, fused scores, features, tail ids, head relevance (0/1)."""
    library = open_evaluation_library(dataset, encoder)
    sources = dict(library._db.execute(
        "SELECT p.id, d.source FROM passages p JOIN documents d ON d.id = p.document_id"))
    vectors = library._current_vectors()
    encoder.encode([q.text for q in dataset.questions])
    rows = []
    for question in dataset.questions:
        query = build_query(library._db, question.text, 10, None, "hybrid", encoder.encode_query, needs_vector=True)
        run = SearchRun(library._db, vectors, query)
        for stage in FUSED:
            stage(run)
        head = run.ranked[: rerank.RERANK_DEPTH]
        ids = [i for i, _ in head]
        features = rerank.head_features(run, ids)
        tail = [i for i, _ in run.ranked[rerank.RERANK_DEPTH: rerank.RERANK_DEPTH + TAIL]]
        relevant = np.array([question.relevant.get(sources[i], 0) > 0 for i in ids], dtype=float)
        rows.append((ids, np.array([s for _, s in head]), features, tail, relevant))
    return sources, rows


def padded(rows):
    """The head rows as arrays [questions, depth, 1 + features], a mask and the relevance."""
    depth, width = rerank.RERANK_DEPTH, len(rerank.FEATURES) + 1
    x = np.zeros((len(rows), depth, width))
    mask = np.zeros((len(rows), depth), dtype=bool)
    relevant = np.zeros((len(rows), depth))
    for n, (ids, fused, features, _, rel) in enumerate(rows):
        x[n, : len(ids), 0] = fused
        x[n, : len(ids), 1:] = features
        mask[n, : len(ids)] = True
        relevant[n, : len(ids)] = rel
    keep = relevant.any(axis=1)  # a head without a relevant passage teaches nothing
    return x[keep], mask[keep], relevant[keep]


def loss_and_gradient(params, sets):
    total, gradient = 0.0, np.zeros_like(params)
    for x, mask, relevant in sets:
        s = np.where(mask, x @ params, -np.inf)
        top = s.max(axis=1, keepdims=True)
        e = np.where(mask, np.exp(s - top), 0.0)
        p_all = e / e.sum(axis=1, keepdims=True)
        e_rel = e * relevant
        p_rel = e_rel / e_rel.sum(axis=1, keepdims=True)
        loss = -np.log(e_rel.sum(axis=1) / e.sum(axis=1))
        total += loss.mean()
        gradient += np.einsum("qd,qdf->f", p_all - p_rel, x) / len(x)
    total += L2 * float(params @ params)
    return total, gradient + 2 * L2 * params


def fit(sets):
    width = sets[0][0].shape[2]
    start = np.zeros(width)
    start[0] = 10.0
    result = minimize(loss_and_gradient, start, args=(sets,), jac=True, method="L-BFGS-B",
                      bounds=[(0, None)] * width)
    return result.x


def product_weights(params):
    return params[1:] / max(params[0], 1e-9)


def measure(questions, sources, rows, weights, metric, depth=rerank.RERANK_DEPTH):
    values = []
    for question, (ids, fused, features, tail, _) in zip(questions, rows):
        ranked = rerank.rerank(list(zip(ids, fused)), features[:depth], weights)
        docs = documents_by_best_passage([sources[i] for i, _ in ranked] + [sources[i] for i in tail])
        values.append(ndcg_at(10, docs, question.relevant) if metric == "ndcg@10"
                      else recall_at(1, docs, question.relevant))
    return float(np.mean(values))


def group_of(name, question):
    if name == "news":
        return question.id.split("_")[0]
    if name == "squad-tune":
        return next(iter(question.relevant)).split("-")[1]
    return question.id


def fold_of(group: str) -> int:
    return zlib.crc32(group.encode()) % FOLDS


def out_of_fold(collected):
    """Each set's metric when every question is ranked by a fit that never saw its group."""
    folds = {name: [fold_of(group_of(name, q)) for q in dataset.questions]
             for name, dataset, _, _, _ in collected}
    scores = {name: [] for name, *_ in collected}
    for fold in range(FOLDS):
        train = [padded([r for r, f in zip(rows, folds[name]) if f != fold])
                 for name, _, _, _, rows in collected]
        weights = product_weights(fit(train))
        for name, dataset, metric, sources, rows in collected:
            chosen = [n for n, f in enumerate(folds[name]) if f == fold]
            value = measure([dataset.questions[n] for n in chosen], sources, [rows[n] for n in chosen],
                            weights, metric)
            scores[name].append((value, len(chosen)))
    return {name: sum(v * n for v, n in values) / sum(n for _, n in values) for name, values in scores.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    tuning_sets.add_arguments(parser)
    parser.add_argument("--without", nargs="*", default=[], help="features to leave out of the fit")
    parser.add_argument("--rows", type=Path, help="keep the collected features in this file (pickle), "
                        "and read them from it when it exists: refits without re-asking")
    args = parser.parse_args()
    encoder = CachingEncoder(Encoder(args.model))
    sets = tuning_sets.tuning_sets(args)
    saved = pickle.loads(args.rows.read_bytes()) if args.rows and args.rows.exists() else {}
    collected = []
    for name, dataset, metric in sets:
        if name not in saved:
            print(f"collecting {name}: {len(dataset.questions)} questions", file=sys.stderr, flush=True)
            saved[name] = collect(dataset, encoder)
            if args.rows:
                args.rows.write_bytes(pickle.dumps(saved))
        sources, rows = saved[name]
        dropped = [rerank.FEATURES.index(f) for f in args.without]
        for _, _, features, _, _ in rows:
            features[:, dropped] = 0.0
        collected.append((name, dataset, metric, sources, rows))
    previous = (0.1,) + (0.0,) * (len(rerank.FEATURES) - 1)  # the best sentence's coverage, top 20
    lines = [("previous rule (coverage 0.1, top 20)", {name: measure(d.questions, s, r, previous, m, 20)
                                                       for name, d, m, s, r in collected})]
    lines.append(("rag.rerank.WEIGHTS", {name: measure(d.questions, s, r, rerank.WEIGHTS, m)
                                         for name, d, m, s, r in collected}))
    lines.append(("fit, out of fold", out_of_fold(collected)))
    weights = product_weights(fit([padded(rows) for *_, rows in collected]))
    lines.append(("fit on all (in sample)", {name: measure(d.questions, s, r, weights, m)
                                             for name, d, m, s, r in collected}))
    print("rule".ljust(40) + "".join(f"{name} {metric}".rjust(24) for name, _, metric, _, _ in collected))
    for label, values in lines:
        print(label.ljust(40) + "".join(f"{values[name]:24.4f}" for name, *_ in collected))
    print("WEIGHTS = (" + ", ".join(f"{w:.3f}" for w in weights) + ")  # " + ", ".join(rerank.FEATURES))


if __name__ == "__main__":
    main()
