"""Answers that reach across a paragraph break, measured on documents of many paragraphs.

Every tuning set the product is scored on is made of one-paragraph documents (SQuAD
paragraphs, news passages, SciFact abstracts), so none shows what reading the passages next
to the hits does (`rag.evidence_reading.EvidenceReader.adjacent`: a sentence that opens by
pointing back, "The two-day gathering began ... in Qingdao", is cited with the sentence of
the passage before it that says which gathering, and the other way round). This script makes
each SQuAD article one document (its paragraphs in order, titled), asks the split's
questions of a library of all 48 articles with `min_confidence=0`, and prints, with the
neighbouring passages read and without (the same library; only the reader's neighbours are
withheld): evidence accuracy (the strongest citation holds a gold answer, as `rag eval squad`
scores it), the first claim right (as the confidence is fitted), a gold answer in any
citation, sentences per answer, and how many answers cite a sentence of a passage that is
no hit.

    HF_HUB_OFFLINE=1 nice -n 5 .venv/bin/python bench/neighbour_passages.py \
        ../shared/datasets/squad-v1.1-dev/dev-v1.1.json [--split tune]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag.evaluation.abstention import first_claim  # noqa: E402
from rag.evaluation.datasets import TUNE_EVERY, Dataset, Question  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import ASK_K, contains_answer, open_evaluation_library  # noqa: E402
from rag.evidence_reading import EvidenceReader  # noqa: E402
from rag.ingest import TextRecord  # noqa: E402


def squad_as_articles(path: Path, split: str) -> Dataset:
    """One record per article, titled; the questions of the split's articles."""
    raw = path.read_bytes()
    records, questions = [], []
    for a, article in enumerate(json.loads(raw)["data"]):
        source = f"squad-article-{a:02d}"
        texts = [" ".join(p["context"].split()) for p in article["paragraphs"]]
        records.append(TextRecord(source=source, text="\n\n".join(texts), title=article["title"].replace("_", " ")))
        if (split == "tune") != (a % TUNE_EVERY == 0):
            continue
        questions += [Question(qa["id"], qa["question"], {source: 1}, tuple(x["text"] for x in qa["answers"]))
                      for paragraph in article["paragraphs"] for qa in paragraph["qas"]]
    return Dataset("squad-articles", split, tuple(records), tuple(questions), hashlib.sha256(raw).hexdigest()[:16])


def measure(library, questions) -> dict[str, float]:
    totals = dict.fromkeys(("evidence_accuracy", "first_claim_right", "any_citation", "sentences_per_answer",
                            "cites_a_neighbour"), 0.0)
    for question in questions:
        hits = {(h.passage.document_id, h.passage.start) for h in library.search(question.text, k=ASK_K)}
        answer = library.ask(question.text, k=ASK_K, min_confidence=0)
        if not answer.citations:
            continue
        strongest = max(answer.citations, key=lambda c: c.evidence_score)
        totals["evidence_accuracy"] += contains_answer(strongest.evidence, question.answers)
        totals["first_claim_right"] += contains_answer(first_claim(answer), question.answers)
        totals["any_citation"] += any(contains_answer(c.evidence, question.answers) for c in answer.citations)
        totals["sentences_per_answer"] += len(answer.citations)
        totals["cites_a_neighbour"] += any((c.document_id, c.start) not in hits for c in answer.citations)
    return {name: round(total / len(questions), 4) for name, total in totals.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("squad", type=Path)
    parser.add_argument("--split", default="tune", choices=("tune", "test"))
    args = parser.parse_args()
    dataset = squad_as_articles(args.squad, args.split)
    with open_evaluation_library(dataset, CachingEncoder(Encoder(DEFAULT_MODEL))) as library:
        with mock.patch.object(EvidenceReader, "adjacent", lambda self, hits: ({}, [])):
            without = measure(library, dataset.questions)
        with_neighbours = measure(library, dataset.questions)
    for name, figures in (("without neighbouring passages", without), ("with them (the product)", with_neighbours)):
        print(json.dumps({"setting": name, "questions": len(dataset.questions), **figures}), flush=True)


if __name__ == "__main__":
    main()
