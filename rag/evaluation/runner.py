"""Run an evaluation: build (or reuse) the dataset's library, search or ask, score.

The library is built by `Library.add_texts`, the same cleaning, passages, embeddings and
index a user's documents get, and searched by `Library.search` / `Library.ask`, so the
figures describe what users get. A document cut into several passages ranks at its best
passage. Built libraries are kept under the cache folder, keyed by the dataset files and the
pipeline fingerprint (cleaning rules, model, window, title context), so a rerun with another
mode only searches.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from embeddings import DEFAULT_MODEL, Encoder
from rag.evaluation.datasets import Dataset
from rag.evaluation.embedding_cache import CachingEncoder, cache_dir
from rag.evaluation.metrics import (
    documents_by_best_passage,
    ndcg_at,
    recall_at,
    reciprocal_rank_at,
)
from rag.ingest import pipeline_fingerprint
from rag.library import Library
from rag.search import DEFAULT_MODE, check_mode

# Passages retrieved per question: enough for 100 distinct documents when some documents
# are cut into several passages.
BEIR_DEPTH = 300
SQUAD_DEPTH = 60
# Passages `ask` reads per question, as in the UI and CLI default.
ASK_K = 5

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class EvaluationResult:
    dataset: str
    split: str
    mode: str
    queries: int
    metrics: dict[str, float]

    def to_json(self) -> dict:
        return {
            "dataset": self.dataset,
            "split": self.split,
            "mode": self.mode,
            "queries": self.queries,
            "metrics": {name: round(value, 4) for name, value in self.metrics.items()},
        }


def open_evaluation_library(dataset: Dataset, encoder, on_progress: Progress | None = None) -> Library:
    """The dataset's library, built once per dataset and pipeline, then reused."""
    fingerprint = pipeline_fingerprint(encoder.name, encoder.max_tokens)
    key = hashlib.sha256(f"{dataset.fingerprint}|{fingerprint}".encode()).hexdigest()[:20]
    folder = cache_dir() / "eval-libraries" / f"{dataset.name}-{key}"
    if not folder.exists():
        building = folder.with_name(f"{folder.name}.building-{os.getpid()}")
        shutil.rmtree(building, ignore_errors=True)
        with Library.open(building, encoder=encoder) as library:
            library.add_texts(dataset.records, on_progress=on_progress)
        try:
            building.rename(folder)  # atomic: a reader sees a complete library or none
        except OSError:  # another process finished first; theirs is as good
            shutil.rmtree(building, ignore_errors=True)
    return Library.open(folder, encoder=encoder)


def _encoder(model: str) -> CachingEncoder:
    return CachingEncoder(Encoder(model))


def _rank_documents(library: Library, question: str, depth: int, mode: str) -> list[str]:
    hits = library.search(question, k=depth, mode=mode)
    return documents_by_best_passage([h.passage.source for h in hits])


def evaluate_beir(
    dataset: Dataset,
    *,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    on_progress: Progress | None = None,
) -> EvaluationResult:
    mode = check_mode(mode)
    encoder = _encoder(model)
    with open_evaluation_library(dataset, encoder, on_progress) as library:
        encoder.encode([q.text for q in dataset.questions])  # one batch, not one per query
        totals = {"ndcg@10": 0.0, "recall@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
        for done, question in enumerate(dataset.questions, 1):
            ranked = _rank_documents(library, question.text, BEIR_DEPTH, mode)
            totals["ndcg@10"] += ndcg_at(10, ranked, question.relevant)
            totals["recall@10"] += recall_at(10, ranked, question.relevant)
            totals["recall@100"] += recall_at(100, ranked, question.relevant)
            totals["mrr@10"] += reciprocal_rank_at(10, ranked, question.relevant)
            if on_progress:
                on_progress("searching", done, len(dataset.questions))
    count = len(dataset.questions)
    return EvaluationResult(dataset.name, dataset.split, mode, count,
                            {name: total / count for name, total in totals.items()})


def contains_answer(sentence: str, answers) -> bool:
    """Whether a gold answer string occurs in the sentence (case and spacing ignored)."""
    haystack = " ".join(sentence.casefold().split())
    return any(" ".join(a.casefold().split()) in haystack for a in answers)


def evaluate_squad(
    dataset: Dataset,
    *,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    on_progress: Progress | None = None,
) -> EvaluationResult:
    """Passage recall and MRR, and evidence accuracy: the share of questions whose strongest
    evidence sentence from `ask` contains a gold answer (an abstention counts as a miss)."""
    mode = check_mode(mode)
    encoder = _encoder(model)
    with open_evaluation_library(dataset, encoder, on_progress) as library:
        encoder.encode([q.text for q in dataset.questions])
        totals = {"recall@1": 0.0, "recall@5": 0.0, "recall@20": 0.0, "mrr@10": 0.0,
                  "evidence_accuracy": 0.0}
        for done, question in enumerate(dataset.questions, 1):
            ranked = _rank_documents(library, question.text, SQUAD_DEPTH, mode)
            for k in (1, 5, 20):
                totals[f"recall@{k}"] += recall_at(k, ranked, question.relevant)
            totals["mrr@10"] += reciprocal_rank_at(10, ranked, question.relevant)
            answer = library.ask(question.text, k=ASK_K, mode=mode)
            if not answer.abstained:
                strongest = max(answer.citations, key=lambda c: c.evidence_score)
                totals["evidence_accuracy"] += contains_answer(strongest.evidence, question.answers)
            if on_progress:
                on_progress("asking", done, len(dataset.questions))
    count = len(dataset.questions)
    return EvaluationResult(dataset.name, dataset.split, mode, count,
                            {name: total / count for name, total in totals.items()})
