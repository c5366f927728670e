"""The three tuning sets the retrieval benches read, chosen on the command line.

`--news` (the news tuning set in BEIR layout, built by ../shared/tools/build-news-dev.py),
`--beir` (SciFact; its train queries) and `--squad` (SQuAD v1.1 dev; its tuning articles).
Never a test split.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from embeddings import DEFAULT_MODEL
from rag.evaluation.datasets import load_beir, load_squad


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--news", type=Path)
    parser.add_argument("--beir", type=Path)
    parser.add_argument("--squad", type=Path)
    parser.add_argument("--model", default=DEFAULT_MODEL)


def tuning_sets(args: argparse.Namespace) -> list[tuple[str, object, str]]:
    """(name, dataset, the metric it is judged by) for each set asked for."""
    sets = []
    if args.news:
        sets.append(("news", load_beir(args.news, "test"), "ndcg@10"))
    if args.beir:
        sets.append(("scifact-train", load_beir(args.beir, "train"), "ndcg@10"))
    if args.squad:
        sets.append(("squad-tune", load_squad(args.squad, "tune"), "recall@1"))
    return sets
