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
from rag.evaluation.abstention import Outcome, contains_answer, curve, outcome, summary
from rag.evaluation.datasets import Dataset, Question
from rag.evaluation.embedding_cache import CachingEncoder, cache_dir
from rag.evaluation.metrics import (
    documents_by_best_passage,
    ndcg_at,
    recall_at,
    reciprocal_rank_at,
)
from rag.ingest import pipeline_fingerprint
from rag.lexical import ANALYSER_VERSION
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
    # The analyser too: a library indexed by an older one would be re-indexed in place on
    # open, under any other checkout still reading the same cache.
    key = hashlib.sha256(f"{dataset.fingerprint}|{fingerprint}|{ANALYSER_VERSION}".encode()).hexdigest()[:20]
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


def _evaluate(dataset: Dataset, mode: str, model: str, on_progress: Progress | None, stage: str,
              score: Callable[[Library, Question, str], dict[str, float]]) -> EvaluationResult:
    """Open the dataset's library, score every question, and average each metric."""
    mode = check_mode(mode)
    encoder = _encoder(model)
    totals: dict[str, float] = {}
    with open_evaluation_library(dataset, encoder, on_progress) as library:
        encoder.encode([q.text for q in dataset.questions])  # one batch, not one per query
        for done, question in enumerate(dataset.questions, 1):
            for name, value in score(library, question, mode).items():
                totals[name] = totals.get(name, 0.0) + value
            if on_progress:
                on_progress(stage, done, len(dataset.questions))
    count = len(dataset.questions)
    return EvaluationResult(dataset.name, dataset.split, mode, count,
                            {name: total / count for name, total in totals.items()})


def _score_beir(library: Library, question: Question, mode: str) -> dict[str, float]:
    ranked = _rank_documents(library, question.text, BEIR_DEPTH, mode)
    return {
        "ndcg@10": ndcg_at(10, ranked, question.relevant),
        "recall@10": recall_at(10, ranked, question.relevant),
        "recall@100": recall_at(100, ranked, question.relevant),
        "mrr@10": reciprocal_rank_at(10, ranked, question.relevant),
    }


def evaluate_beir(
    dataset: Dataset,
    *,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    on_progress: Progress | None = None,
) -> EvaluationResult:
    return _evaluate(dataset, mode, model, on_progress, "searching", _score_beir)


def _score_squad(library: Library, question: Question, mode: str) -> dict[str, float]:
    ranked = _rank_documents(library, question.text, SQUAD_DEPTH, mode)
    scores = {f"recall@{k}": recall_at(k, ranked, question.relevant) for k in (1, 5, 20)}
    scores["mrr@10"] = reciprocal_rank_at(10, ranked, question.relevant)
    answer = library.ask(question.text, k=ASK_K, mode=mode)
    found = False
    if not answer.abstained:
        strongest = max(answer.citations, key=lambda c: c.evidence_score)
        found = contains_answer(strongest.evidence, question.answers)
    scores["evidence_accuracy"] = float(found)
    return scores


def evaluate_squad(
    dataset: Dataset,
    *,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    on_progress: Progress | None = None,
) -> EvaluationResult:
    """Passage recall and MRR, and evidence accuracy: the share of questions whose strongest
    evidence sentence from `ask` contains a gold answer (an abstention counts as a miss)."""
    return _evaluate(dataset, mode, model, on_progress, "asking", _score_squad)


@dataclass(frozen=True)
class AbstentionResult:
    dataset: str
    split: str
    mode: str
    answerable: int
    unanswerable: int
    figures: dict[str, float]  # at the product's threshold (`rag.confidence.ANSWER_FROM`)
    curve: list[dict[str, float]]  # the same figures at other thresholds
    outcomes: list[Outcome]  # one per question, for calibration

    def to_json(self) -> dict:
        rounded = lambda row: {k: round(v, 4) for k, v in row.items()}  # noqa: E731
        return {
            "dataset": self.dataset, "split": self.split, "mode": self.mode,
            "answerable": self.answerable, "unanswerable": self.unanswerable,
            "metrics": rounded(self.figures), "curve": [rounded(row) for row in self.curve],
        }


def _ask_all(dataset: Dataset, encoder, mode: str, answerable: bool, on_progress: Progress | None) -> list[Outcome]:
    outcomes = []
    with open_evaluation_library(dataset, encoder, on_progress) as library:
        encoder.encode([q.text for q in dataset.questions])
        for done, question in enumerate(dataset.questions, 1):
            answer = library.ask(question.text, k=ASK_K, mode=mode, min_confidence=0.0)
            outcomes.append(outcome(answer, question, answerable=answerable))
            if on_progress:
                on_progress("asking", done, len(dataset.questions))
    return outcomes


def evaluate_abstention(
    answerable: Dataset,
    unanswerable: list[Dataset],
    *,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    on_progress: Progress | None = None,
) -> AbstentionResult:
    """Ask every answerable question of its library and every unanswerable one of a library
    lacking its answer; report answered, answered-and-right and refused, and the curve."""
    mode = check_mode(mode)
    encoder = _encoder(model)
    outcomes = _ask_all(answerable, encoder, mode, True, on_progress)
    for dataset in unanswerable:
        outcomes += _ask_all(dataset, encoder, mode, False, on_progress)
    return AbstentionResult(
        answerable.name, answerable.split, mode, len(answerable.questions),
        sum(len(d.questions) for d in unanswerable), summary(outcomes), curve(outcomes), outcomes,
    )


def evaluate_abstention_in_parts(
    parts: list[tuple[Dataset, list[Dataset]]],
    *,
    mode: str = DEFAULT_MODE,
    model: str = DEFAULT_MODEL,
    on_progress: Progress | None = None,
) -> AbstentionResult:
    """`evaluate_abstention` over several small libraries (e.g. `news_months.by_month`), each
    part's questions asked of its own libraries; the figures over all of them together."""
    results = [evaluate_abstention(a, u, mode=mode, model=model, on_progress=on_progress) for a, u in parts]
    outcomes = [o for r in results for o in r.outcomes]
    first = parts[0][0]
    return AbstentionResult(
        f"{first.name.rsplit('-', 1)[0]} by part", first.split, check_mode(mode),
        sum(r.answerable for r in results), sum(r.unanswerable for r in results),
        summary(outcomes), curve(outcomes), outcomes,
    )
