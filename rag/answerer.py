"""Answering behind one small interface: what an answerer is given, and the default one.

An answerer turns what search retrieved for a question into an `Answer`: a text whose every
claim cites evidence with exact offsets, a confidence, or an abstention with the nearest
passages. The default quotes the sentences that answer (`rag.answers.compose`); another
answerer (one that writes with a language model, say) is a class with the same `answer`
method, given to `Library` as its `answerer`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.answers import Context, compose
from rag.query import Query
from rag.results import Answer, Hit


@dataclass(frozen=True)
class Retrieved:
    """What the library found for a question, read once for whichever answerer runs."""

    hits: list[Hit]
    cosines: list[float]  # each hit's cosine to the question
    sentence_vectors: list[np.ndarray]  # per hit: one unit vector per sentence
    term_weights: dict[str, float]  # the question's terms -> evidence weight (bm25_postings.evidence_idf)
    passage_counts: dict[str, int]  # the question's terms -> passages holding them
    definitions: dict[str, dict[str, str]]  # document id -> its short forms' long forms
    # Each hit's neighbours in its document (passage id -> the ids before and after), and those
    # of them that are no hit, read as context: a sentence that points back across a paragraph
    # break ("The two-day gathering began ...") names its subject in the passage before.
    adjacent: dict[int, tuple[int | None, int | None]] = field(default_factory=dict)
    context_hits: list[Hit] = field(default_factory=list)  # ranked as the hit they adjoin
    context_cosines: list[float] = field(default_factory=list)
    context_sentence_vectors: list[np.ndarray] = field(default_factory=list)


class Answerer(Protocol):
    def answer(self, query: Query, retrieved: Retrieved, *, answer_from: float) -> Answer:
        """An answer, or an abstention when its confidence is below `answer_from`."""


class ExtractiveAnswerer:
    """Today's answers: the sentences that answer, quoted with their citations."""

    def answer(self, query: Query, retrieved: Retrieved, *, answer_from: float) -> Answer:
        return compose(query.text, query.vector, retrieved.hits, retrieved.cosines, retrieved.sentence_vectors,
                       retrieved.term_weights, passage_counts=retrieved.passage_counts,
                       definitions=retrieved.definitions, answer_from=answer_from, news_date=query.news_date,
                       context=Context(retrieved.adjacent, retrieved.context_hits, retrieved.context_cosines,
                                       retrieved.context_sentence_vectors))
