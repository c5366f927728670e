"""Does the confidence hold on a small library? Abstention on one month of news at a time.

The whole news tuning set (../shared/tools/build-news-dev.py) is one library of about 2,000
passages; an analyst's is often a few dozen articles. This asks each month's questions of
that month's own libraries (`rag.evaluation.news_months`) and prints answered,
answered-and-right and refused at `ANSWER_FROM`, beside the same figures on the whole set
(the baseline, measured in the same run), with the monthly curve.

    .venv/bin/python bench/abstention_small_libraries.py ~/.cache/rag-dev/news
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.confidence import ANSWER_FROM  # noqa: E402
from rag.evaluation.abstention import summary  # noqa: E402
from rag.evaluation.datasets import load_beir  # noqa: E402
from rag.evaluation.news_months import by_month  # noqa: E402
from rag.evaluation.runner import evaluate_abstention, evaluate_abstention_in_parts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("news", type=Path, help="folder with answerable/ and unanswerable/")
    args = parser.parse_args()
    answerable, unanswerable = load_beir(args.news / "answerable"), load_beir(args.news / "unanswerable")
    parts = by_month(answerable, unanswerable)
    whole = evaluate_abstention(answerable, [unanswerable])
    monthly = evaluate_abstention_in_parts(parts)
    sizes = [len(a.records) for a, _ in parts]
    print(f"at ANSWER_FROM {ANSWER_FROM}; {len(parts)} monthly libraries of {min(sizes)}-{max(sizes)} "
          f"passages (median {median(sizes):.0f}) against the whole set ({len(answerable.records)} passages)")
    print(f"{'library':<24}{'answered':>10}{'right':>10}{'refused':>10}")
    for label, figures in (("whole set (baseline)", whole.figures), ("one month each", monthly.figures)):
        print(f"{label:<24}{figures['answered']:>10.4f}{figures['answered_right']:>10.4f}{figures['refused']:>10.4f}")
    print("threshold: answered / right / refused, whole set | monthly libraries")
    for threshold in (0.05, 0.08, 0.10, 0.14, 0.20, 0.30):
        w, m = summary(whole.outcomes, threshold), summary(monthly.outcomes, threshold)
        print(f"  {threshold:.2f}: {w['answered']:.4f} / {w['answered_right']:.4f} / {w['refused']:.4f}"
              f" | {m['answered']:.4f} / {m['answered_right']:.4f} / {m['refused']:.4f}")


if __name__ == "__main__":
    main()
