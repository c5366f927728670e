"""Tune sentence-level rescoring of the hybrid ranking on tuning splits only.

For each tuning question (SciFact train, SQuAD's tuning articles) it pools both retrievers'
top passages as `Library.search` does, computes each pooled passage's best-sentence
coverage of the question's IDF weight (`rag.lexical.coverage`), and prints nDCG@10, R@1
and R@5 for fused = w * cosine/best + (1 - w) * bm25/best + gamma * coverage over a grid.
(The product applies the bonus to the fused head only; see rag/fusion.py.)

    .venv/bin/python bench/tune_sentence_rescoring.py \
        --beir ../shared/datasets/beir-scifact --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

sys.path.insert(0, str(Path(__file__).resolve().parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag.evaluation.datasets import load_beir, load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.metrics import documents_by_best_passage, ndcg_at, recall_at  # noqa: E402
from tune_retrieval import collect  # noqa: E402

WEIGHTS = (0.4, 0.5, 0.6)
GAMMAS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5)


def report(name, dataset, encoder) -> None:
    sources, pools = collect(dataset, encoder, with_coverage=True)
    print(f"\n## {name}: {len(dataset.questions)} tuning questions (nDCG@10, R@1, R@5)")
    for w in WEIGHTS:
        for gamma in GAMMAS:
            ndcg, r1, r5 = [], [], []
            for question, (ids, dense, bm25, _, _, covered, *_) in zip(dataset.questions, pools):
                if not ids:
                    ndcg.append(0.0), r1.append(0.0), r5.append(0.0)
                    continue
                fused = (w * dense / max(dense.max(), 1e-9) + (1 - w) * bm25 / max(bm25.max(), 1e-9)
                         + gamma * covered)
                ranked = documents_by_best_passage([sources[ids[i]] for i in np.argsort(-fused, kind="stable")])
                ndcg.append(ndcg_at(10, ranked, question.relevant))
                r1.append(recall_at(1, ranked, question.relevant))
                r5.append(recall_at(5, ranked, question.relevant))
            print(f"w={w} gamma={gamma:<5} {np.mean(ndcg):.4f}  {np.mean(r1):.4f}  {np.mean(r5):.4f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path)
    parser.add_argument("--squad", type=Path)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    encoder = CachingEncoder(Encoder(args.model))
    if args.squad:
        report("SQuAD tuning articles", load_squad(args.squad, "tune"), encoder)
    if args.beir:
        report("SciFact train", load_beir(args.beir, "train"), encoder)


if __name__ == "__main__":
    main()
