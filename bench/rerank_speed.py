"""What re-reading the head (`rag.rerank`) costs a warm hybrid search, against the same search
without it in the same run.

Library: SQuAD v1.1 dev's 2,067 paragraphs as `python -m rag eval` builds them (cached), the
packaged MiniLM; or `--library DIR`, any library (e.g. bench/large_library.py's 100k one in
.cache/bench/library-100000). Questions: the first N of the dataset, each embedded once
beforehand, so the figures are the search after the embedding. Baseline: the hybrid stages
with the re-ranking stage replaced by the plain cut to k (the fused order); rounds alternate
the two.

    .venv/bin/python bench/rerank_speed.py ../shared/datasets/squad-v1.1-dev/dev-v1.1.json [--questions 300] [--library DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import Library, search_stages  # noqa: E402
from rag.evaluation.datasets import load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import open_evaluation_library  # noqa: E402


class CutToK:
    """The fused order, cut to k: the baseline without re-ranking."""

    def __call__(self, run) -> None:
        run.ranked = run.ranked[: run.query.k]


def timings(library, questions, rounds: int) -> dict[str, list[float]]:
    product = search_stages.STAGES["hybrid"]
    baseline = tuple(CutToK() if isinstance(s, search_stages.Rerank) else s for s in product)
    found = {"with re-ranking": [], "without (baseline)": []}
    for _ in range(rounds):
        for label, stages in (("with re-ranking", product), ("without (baseline)", baseline)):
            search_stages.STAGES["hybrid"] = stages
            try:
                for question in questions:
                    start = time.perf_counter()
                    library.search(question, k=5)
                    found[label].append((time.perf_counter() - start) * 1000)
            finally:
                search_stages.STAGES["hybrid"] = product
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--library", type=Path, help="time this library instead of the SQuAD one")
    args = parser.parse_args()
    encoder = CachingEncoder(Encoder(DEFAULT_MODEL))
    dataset = load_squad(args.squad, "all")
    library = (Library.open(args.library, encoder=encoder) if args.library
               else open_evaluation_library(dataset, encoder))
    questions = [q.text for q in dataset.questions[: args.questions]]
    encoder.encode(questions)  # cached: the timed searches do not embed
    library.build_lexical_postings()  # warm: what the first searches start in the background
    library.search(questions[0])
    found = timings(library, questions, args.rounds)
    print(f"{len(questions)} questions x {args.rounds} rounds, library of {library.stats().passages} passages, "
          f"load average {os.getloadavg()[0]:.2f}")
    print("hybrid search, k=5".ljust(24) + "p50 ms".rjust(10) + "p95 ms".rjust(10))
    for label, values in found.items():
        values.sort()
        print(label.ljust(24) + f"{statistics.median(values):10.2f}{values[int(0.95 * len(values))]:10.2f}")


if __name__ == "__main__":
    main()
