"""Tune the hybrid fusion rule on tuning splits only (SciFact train, SQuAD tuning articles).

For every tuning question it collects, once, both retrievers' scores for every passage
either one ranks in its top DEPTH (the same pool `Library.search` fuses), then scores
fusion rules offline in milliseconds each: reciprocal rank fusion and convex combinations
under several normalisations and weights. Prints one table per dataset.

    .venv/bin/python bench/tune_retrieval.py \
        --beir ../shared/datasets/beir-scifact --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json

Reporting on test splits is `python -m rag eval`'s job; this script never reads them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag.evaluation.datasets import load_beir, load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.metrics import documents_by_best_passage, ndcg_at, recall_at  # noqa: E402
from rag.evaluation.runner import open_evaluation_library  # noqa: E402
from rag.search import (  # noqa: E402
    SearchRun,
    best_sentence_cosines,
    build_query,
    complete_scores,
    expand_short_forms,
    normalise_query,
    retrieve,
    sentence_coverage,
)

DEPTH = 100
WEIGHTS = [round(w, 2) for w in np.arange(0.1, 0.95, 0.1)]


def collect(dataset, encoder, *, with_coverage=False):
    """Per question: (pooled ids, dense scores, bm25 scores, dense ranking, lexical ranking),
    and with_coverage each pooled passage's best-sentence coverage of the question too."""
    library = open_evaluation_library(dataset, encoder)
    sources = dict(library._db.execute(
        "SELECT p.id, d.source FROM passages p JOIN documents d ON d.id = p.document_id"))
    vectors = library._current_vectors()
    texts = [expand_short_forms(library._db, normalise_query(q.text)) for q in dataset.questions]
    encoder.encode(texts)
    pools = []
    for question in dataset.questions:  # as `Library.search` reads the question
        query = build_query(library._db, question.text, DEPTH, None, "hybrid", encoder.encode_query, needs_vector=True)
        run, vector = SearchRun(library._db, vectors, query), query.vector
        candidates = retrieve(run, DEPTH)
        complete = complete_scores(run, candidates)
        ids = [i for i, _ in complete.dense]
        pool = (
            ids,
            np.array([s for _, s in complete.dense]),
            np.array([s for _, s in complete.lexical]),
            [i for i, _ in candidates.dense],
            [i for i, _ in candidates.lexical],
        )
        if with_coverage:
            covered = sentence_coverage(run, ids)
            pool += (np.array([covered[i] for i in ids]),)
            pool += (np.array(best_sentence_cosines(library._db, ids, pool[1], vector)),)
        pools.append(pool)
    return sources, pools


def rrf(pool, k=60):
    ids, _, _, dense_rank, lexical_rank = pool
    score = dict.fromkeys(ids, 0.0)
    for ranking in (dense_rank, lexical_rank):
        for r, i in enumerate(ranking, 1):
            score[i] += 1 / (k + r)
    return sorted(ids, key=lambda i: -score[i])


def convex(pool, weight, dense_low, lexical_norm):
    ids, dense, bm25, _, _ = pool
    if not ids:
        return []
    top = dense.max()
    if dense_low == "pool":
        d = (dense - dense.min()) / max(top - dense.min(), 1e-9)
    else:
        d = (dense - dense_low) / max(top - dense_low, 1e-9)
    if lexical_norm == "pool":
        b = (bm25 - bm25.min()) / max(bm25.max() - bm25.min(), 1e-9)
    else:  # divide by the best score: 0 stays 0
        b = bm25 / max(bm25.max(), 1e-9)
    fused = weight * d + (1 - weight) * b
    return [ids[i] for i in np.argsort(-fused, kind="stable")]


def score(dataset, sources, pools, rank):
    ndcg, r1, r5 = [], [], []
    for question, pool in zip(dataset.questions, pools):
        ranked = documents_by_best_passage([sources[i] for i in rank(pool)])
        ndcg.append(ndcg_at(10, ranked, question.relevant))
        r1.append(recall_at(1, ranked, question.relevant))
        r5.append(recall_at(5, ranked, question.relevant))
    return np.mean(ndcg), np.mean(r1), np.mean(r5)


def report(name, dataset, sources, pools):
    print(f"\n## {name}: {len(dataset.questions)} tuning questions  (nDCG@10, R@1, R@5)")
    rows = [
        ("dense", lambda p: p[3]),
        ("lexical", lambda p: p[4]),
        ("rrf k=60", rrf),
    ]
    for low in (0.0, -1.0, "pool"):
        for norm in ("max", "pool"):
            for w in WEIGHTS:
                rows.append((f"convex w={w} dense_low={low} bm25={norm}",
                             lambda p, w=w, low=low, norm=norm: convex(p, w, low, norm)))
    for label, rank in rows:
        n, r1, r5 = score(dataset, sources, pools, rank)
        print(f"{label:<44} {n:.4f}  {r1:.4f}  {r5:.4f}")


# -- evidence sentences ----------------------------------------------------------------------
def collect_evidence(dataset, encoder, k=5):
    """Per SQuAD tuning question, every sentence of its top-k hybrid passages with features."""
    from rag import lexical
    from rag import bm25_postings
    from rag.evaluation.runner import contains_answer

    library = open_evaluation_library(dataset, encoder)
    rows = []
    for question in dataset.questions:
        text = normalise_query(question.text)
        vector = encoder.encode_query(text)
        hits = library.search(text, k=k, mode="hybrid")
        q_terms = set(lexical.terms(text))
        idf = bm25_postings.term_idf(library._db, q_terms)
        spans = [(rank, hit, span) for rank, hit in enumerate(hits, 1) for span in hit.passage.sentences]
        texts = [hit.passage.text[s[0] - hit.passage.start : s[1] - hit.passage.start] for _, hit, s in spans]
        if not texts:
            rows.append([])
            continue
        cosines = encoder.encode(texts) @ vector
        passage_cos = library._current_vectors().vectors([h.passage.id for h in hits]) @ vector
        features = []
        for (rank, hit, _), sentence, cosine in zip(spans, texts, cosines):
            s_terms = set(lexical.terms(sentence))
            total = sum(idf.values()) or 1.0
            features.append((
                float(cosine),
                sum(w for t, w in idf.items() if t in s_terms) / total,
                len(q_terms & s_terms) / max(len(q_terms), 1),
                rank,
                float(passage_cos[rank - 1]),
                contains_answer(sentence, question.answers),
            ))
        rows.append(features)
    return rows


def report_evidence(rows):
    print(f"\n## evidence: {len(rows)} SQuAD tuning questions (accuracy of the strongest sentence)")
    def accuracy(score, top_passages):
        right = 0
        for features in rows:
            pool = [f for f in features if f[3] <= top_passages]
            if pool:
                right += max(pool, key=score)[5]
        return right / len(rows)
    print(f"{'oracle (any sentence of top 5 has it)':<52} {np.mean([any(f[5] for f in r) for r in rows]):.4f}")
    for top in (1, 2, 3, 5):
        print(f"top {top} passages, cosine only                          {accuracy(lambda f: f[0], top):.4f}")
        for weight in (0.1, 0.15, 0.2, 0.3, 0.4, 0.6):
            print(f"top {top}, cosine + {weight} * plain overlap               {accuracy(lambda f: f[0] + weight * f[2], top):.4f}")
            print(f"top {top}, cosine + {weight} * idf coverage                {accuracy(lambda f: f[0] + weight * f[1], top):.4f}")
            for prior in (0.05, 0.1, 0.2):
                print(f"top {top}, cos + {weight} idf cov + {prior} passage cos       "
                      f"{accuracy(lambda f: f[0] + weight * f[1] + prior * f[4], top):.4f}")
                print(f"top {top}, cos + {weight} idf cov - {prior} * (rank-1)       "
                      f"{accuracy(lambda f: f[0] + weight * f[1] - prior * (f[3] - 1), top):.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path)
    parser.add_argument("--squad", type=Path)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    encoder = CachingEncoder(Encoder(args.model))
    if args.beir:
        dataset = load_beir(args.beir, "train")
        report(f"{dataset.name} train", dataset, *collect(dataset, encoder))
    if args.squad:
        dataset = load_squad(args.squad, "tune")
        report(f"{dataset.name} tuning articles", dataset, *collect(dataset, encoder))
        report_evidence(collect_evidence(dataset, encoder))



if __name__ == "__main__":
    main()
