"""Try dense pseudo-relevance feedback on the three tuning sets: is a question's vector moved
towards its first hits a better query?

Rocchio's rule on the unit vectors: q' = normalise(q + beta * mean(top m passage vectors of a
first dense search)), then the product's hybrid search with q' in place of q (the lexical side
is unchanged). Runs through `Library.search` with one stage put before hybrid's stages, so
everything else is the product's. Prints nDCG@10 (news answerable/, SciFact train) and R@1
(SQuAD tuning articles) per (m, beta); (0, 0) is the product as it is.

    .venv/bin/python bench/tune_query_feedback.py --news ~/.cache/rag-dev/news/answerable \
        --beir ../shared/datasets/beir-scifact --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json

Never reads a test split.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import search_stages  # noqa: E402
from rag.evaluation.datasets import load_beir, load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.metrics import documents_by_best_passage, ndcg_at, recall_at  # noqa: E402
from rag.evaluation.runner import BEIR_DEPTH, SQUAD_DEPTH, open_evaluation_library  # noqa: E402

GRID = [(0, 0.0), (3, 0.3), (3, 0.6), (5, 0.3), (5, 0.6), (10, 0.5)]


class Feedback:
    def __init__(self, m: int, beta: float):
        self.m, self.beta = m, beta

    def __call__(self, run) -> None:
        q = run.query.vector
        _, ids = run.vectors.search(q, self.m)
        found = [int(i) for i in ids[0] if i >= 0]
        if not found:
            return
        moved = q + self.beta * run.vectors.vectors(found).mean(axis=0)
        run.query = dataclasses.replace(run.query, vector=(moved / np.linalg.norm(moved)).astype(q.dtype))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--news", type=Path, required=True)
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--squad", type=Path, required=True)
    args = parser.parse_args()
    sets = [("news", load_beir(args.news), "ndcg@10", BEIR_DEPTH),
            ("scifact-train", load_beir(args.beir, "train"), "ndcg@10", BEIR_DEPTH),
            ("squad-tune", load_squad(args.squad, "tune"), "recall@1", SQUAD_DEPTH)]
    hybrid = search_stages.STAGES["hybrid"]
    encoder = CachingEncoder(Encoder(DEFAULT_MODEL))
    for name, dataset, metric, depth in sets:
        with open_evaluation_library(dataset, encoder) as library:
            encoder.encode([q.text for q in dataset.questions])
            for m, beta in GRID:
                search_stages.STAGES["hybrid"] = ((Feedback(m, beta),) if m else ()) + tuple(hybrid)
                total = 0.0
                for question in dataset.questions:
                    ranked = documents_by_best_passage([h.passage.source for h in library.search(question.text, k=depth)])
                    total += (ndcg_at(10, ranked, question.relevant) if metric == "ndcg@10"
                              else recall_at(1, ranked, question.relevant))
                print(json.dumps({"set": name, "m": m, "beta": beta, metric: round(total / len(dataset.questions), 4)}),
                      flush=True)
    search_stages.STAGES["hybrid"] = hybrid


if __name__ == "__main__":
    main()
