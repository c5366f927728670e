"""How much of an answer is evidence: sentences cited, and how many of the extras are padding.

For every question of a SQuAD split (single-answer questions), `Library.ask` answers over the
evaluation library `python -m rag eval squad` builds (cached, same pipeline), and this counts:

- evidence_accuracy: the strongest citation (highest evidence score, as `rag eval` scores it)
  contains a gold answer; first_citation_accuracy: the same for citation [1];
- sentences_per_answer: citations per answered question;
- padding: the share of extra citations (all but the strongest) that contain no gold answer,
  i.e. sentences a reader reads for nothing (a needed neighbour such as "The joint training
  lasted four days" counts as padding here too, so this is an upper bound);
- the same split by question kind (`rag.evidence_selection.question_kind`), so list-shaped
  questions, which may cite several entries, are seen apart.

    HF_HUB_OFFLINE=1 nice -n 5 .venv/bin/python bench/evidence_padding.py \
        ../shared/datasets/squad-v1.1-dev/dev-v1.1.json --split tune
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag.evaluation.datasets import load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import ASK_K, contains_answer, open_evaluation_library  # noqa: E402

try:
    from rag.evidence_selection import question_kind
except ImportError:  # before rag/evidence_selection.py existed: every question is one kind
    def question_kind(question: str) -> str:
        return "single"


def _new_totals() -> dict[str, float]:
    return dict.fromkeys(("questions", "answered", "strongest_right", "first_right", "any_right",
                          "cited", "extras", "padding"), 0)


def _summary(t: dict[str, float]) -> dict[str, float]:
    return {
        "questions": int(t["questions"]),
        "answered": int(t["answered"]),
        "evidence_accuracy": round(t["strongest_right"] / max(t["questions"], 1), 4),
        "first_citation_accuracy": round(t["first_right"] / max(t["questions"], 1), 4),
        "any_citation_accuracy": round(t["any_right"] / max(t["questions"], 1), 4),
        "sentences_per_answer": round(t["cited"] / max(t["answered"], 1), 3),
        "extras_per_answer": round(t["extras"] / max(t["answered"], 1), 3),
        "padding_share_of_extras": round(t["padding"] / max(t["extras"], 1), 4),
        "padding_per_answer": round(t["padding"] / max(t["answered"], 1), 3),
    }


def measure(path: Path, split: str, model: str) -> dict:
    dataset = load_squad(path, split)
    encoder = CachingEncoder(Encoder(model))
    by_kind: dict[str, dict[str, float]] = {"all": _new_totals()}
    with open_evaluation_library(dataset, encoder) as library:
        encoder.encode([q.text for q in dataset.questions])
        for question in dataset.questions:
            answer = library.ask(question.text, k=ASK_K)
            kind = question_kind(question.text)
            for totals in (by_kind["all"], by_kind.setdefault(kind, _new_totals())):
                totals["questions"] += 1
                if answer.abstained:
                    continue
                right = [contains_answer(c.evidence, question.answers) for c in answer.citations]
                strongest = max(range(len(right)), key=lambda i: answer.citations[i].evidence_score)
                totals["answered"] += 1
                totals["strongest_right"] += right[strongest]
                totals["first_right"] += right[0]
                totals["any_right"] += any(right)
                totals["cited"] += len(right)
                totals["extras"] += len(right) - 1
                totals["padding"] += sum(not r for i, r in enumerate(right) if i != strongest)
    return {"dataset": dataset.name, "split": split,
            **{kind: _summary(totals) for kind, totals in by_kind.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path, help="SQuAD v1.1 JSON (e.g. dev-v1.1.json)")
    parser.add_argument("--split", default="tune", choices=("tune", "test", "all"))
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    started = time.perf_counter()
    result = measure(args.squad, args.split, args.model)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
