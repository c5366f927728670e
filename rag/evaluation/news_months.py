"""The news tuning set cut into one small library per month, as an analyst's library is.

The whole news set is one library of about 2,000 passages; an analyst often asks over a few
dozen articles, where the library's own word statistics are thin (a common word such as
"happened" may be in no passage) and there are fewer near misses to answer from. To measure
and calibrate the confidence at that size too, each month of questions (RealTime QA ids start
with the quiz date, YYYYMMDD) gets its own library of the passages its questions were written
on (answerable/), and its own library of what unanswerable/ keeps of them.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from rag.evaluation.datasets import Dataset


def month_of(question_id: str) -> str:
    return question_id[:6]


def _part(dataset: Dataset, month: str, month_of_source: dict[str, str]) -> Dataset:
    fingerprint = hashlib.sha256(f"{dataset.fingerprint}|{month}".encode()).hexdigest()[:16]
    return replace(
        dataset, name=f"{dataset.name}-{month}", fingerprint=fingerprint,
        records=tuple(r for r in dataset.records if month_of_source.get(r.source) == month),
        questions=tuple(q for q in dataset.questions if month_of(q.id) == month),
    )


def by_month(answerable: Dataset, unanswerable: Dataset) -> list[tuple[Dataset, list[Dataset]]]:
    """Per month: its answerable set, and its unanswerable set when it has questions. A
    passage belongs to the month of the question written on it (unanswerable/ keeps the
    passages of answerable/ whose question it dropped, so answerable/ tells their month)."""
    month_of_source = {source: month_of(q.id) for q in answerable.questions for source in q.relevant}
    parts = []
    for month in sorted({month_of(q.id) for q in answerable.questions}):
        without = _part(unanswerable, month, month_of_source)
        parts.append((_part(answerable, month, month_of_source), [without] if without.questions else []))
    return parts
