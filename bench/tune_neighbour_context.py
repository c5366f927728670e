"""Measure neighbour context on documents of many paragraphs: SQuAD articles as documents.

Every other tuning set here is made of one-paragraph documents (SQuAD paragraphs, news
passages, SciFact abstracts), so none can show what reading a passage with words of the
passage before it (`rag.passages.PassageSettings.neighbour_context_words`) does. This script
makes each SQuAD article one document (its paragraphs in order, titled), asks the tuning
articles' questions (`--split tune`) of a library of all 48 articles, and prints per setting:
passage Recall@1 / @5 (a hit is right when it is the question's paragraph or a piece of it),
evidence accuracy (the strongest cited sentence holds a gold answer, as `rag eval squad`),
and the first claim right with `min_confidence=0` (as the confidence is fitted).

    .venv/bin/python bench/tune_neighbour_context.py ../shared/datasets/squad-v1.1-dev/dev-v1.1.json
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import passages  # noqa: E402
from rag.evaluation.abstention import contains_answer, first_claim  # noqa: E402
from rag.evaluation.datasets import TUNE_EVERY, Dataset, Question  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import open_evaluation_library  # noqa: E402
from rag.ingest import TextRecord  # noqa: E402

SETTINGS = [(0, "start"), (24, "start"), (24, "end"), (48, "start")]


def squad_as_articles(path: Path, split: str) -> tuple[Dataset, dict[str, str]]:
    """One record per article; the tuning (or test) articles' questions; each question's paragraph."""
    raw = path.read_bytes()
    articles = json.loads(raw)["data"]
    records, questions, paragraph_of = [], [], {}
    for a, article in enumerate(articles):
        source = f"squad-article-{a:02d}"
        texts = [" ".join(p["context"].split()) for p in article["paragraphs"]]
        records.append(TextRecord(source=source, text="\n\n".join(texts), title=article["title"].replace("_", " ")))
        if (split == "tune") != (a % TUNE_EVERY == 0):
            continue
        for text, paragraph in zip(texts, article["paragraphs"]):
            for qa in paragraph["qas"]:
                questions.append(Question(qa["id"], qa["question"], {source: 1},
                                          tuple(answer["text"] for answer in qa["answers"])))
                paragraph_of[qa["id"]] = text
    return Dataset("squad-articles", split, tuple(records), tuple(questions),
                   hashlib.sha256(raw).hexdigest()[:16]), paragraph_of


def is_from(passage_text: str, paragraph: str) -> bool:
    return " ".join(passage_text.split()) in paragraph


def measure(dataset: Dataset, paragraph_of: dict[str, str]) -> dict[str, float]:
    encoder = CachingEncoder(Encoder(DEFAULT_MODEL))
    totals = dict.fromkeys(("recall@1", "recall@5", "evidence_accuracy", "first_claim_right"), 0.0)
    with open_evaluation_library(dataset, encoder) as library:
        encoder.encode([q.text for q in dataset.questions])
        for question in dataset.questions:
            paragraph = paragraph_of[question.id]
            hits = library.search(question.text, k=5)
            totals["recall@1"] += bool(hits) and is_from(hits[0].passage.text, paragraph)
            totals["recall@5"] += any(is_from(h.passage.text, paragraph) for h in hits)
            answer = library.ask(question.text, k=5, min_confidence=0)
            if answer.citations:
                strongest = max(answer.citations, key=lambda c: c.evidence_score)
                totals["evidence_accuracy"] += contains_answer(strongest.evidence, question.answers)
                totals["first_claim_right"] += contains_answer(first_claim(answer), question.answers)
    return {name: round(total / len(dataset.questions), 4) for name, total in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--split", default="tune", choices=("tune", "test"))
    args = parser.parse_args()
    dataset, paragraph_of = squad_as_articles(args.squad, args.split)
    default = passages.SETTINGS
    for words, side in SETTINGS:
        passages.SETTINGS = dataclasses.replace(default, neighbour_context_words=words, neighbour_from=side)
        print(json.dumps({"neighbour_words": words, "from": side, "questions": len(dataset.questions),
                          **measure(dataset, paragraph_of)}), flush=True)
    passages.SETTINGS = default


if __name__ == "__main__":
    main()
