"""Measure the title context on tuning splits: every mode, with and without it.

Builds (or reuses) the evaluation libraries with `rag.passages.SETTINGS.title_context` on and
off (the settings are part of the pipeline fingerprint, so each setting gets its own cached library) and
prints one JSON line per (setting, dataset, mode): SQuAD's tuning articles and SciFact train.

    .venv/bin/python bench/ablate_title_context.py \
        --beir ../shared/datasets/beir-scifact --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag import passages  # noqa: E402
from rag.evaluation.datasets import load_beir, load_squad  # noqa: E402
from rag.evaluation.runner import evaluate_beir, evaluate_squad  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--beir", type=Path, required=True)
    parser.add_argument("--squad", type=Path, required=True)
    args = parser.parse_args()
    for title in (True, False):
        passages.SETTINGS = dataclasses.replace(passages.SETTINGS, title_context=title)
        for mode in ("hybrid", "dense", "lexical"):
            for result in (evaluate_squad(load_squad(args.squad, "tune"), mode=mode),
                           evaluate_beir(load_beir(args.beir, "train"), mode=mode)):
                print(json.dumps({"title_context": title, **result.to_json()}), flush=True)


if __name__ == "__main__":
    main()
