"""Abstention measured: does the library answer what it can and refuse what it cannot?

Owns the unanswerable question sets and the answered/refused figures. Two kinds of sets:
- a BEIR-layout folder whose questions cannot be answered from its corpus (the news tuning
  set's `unanswerable/`, marked by its `removed.tsv`), and
- SQuAD with each question's whole article removed from the library: the split's articles
  are cut into `SQUAD_GROUPS` groups, each group's questions asked of a library built
  without that group's articles (same genre, other topics: the hard case).
Every question is asked with `min_confidence=0`, so each answer carries its confidence and
its citations; a threshold is then applied afterwards, which gives the whole curve from one
run. An answer is right when its first claim answers: for SQuAD, the first cited sentence
(with its cited neighbour from the same passage) contains a gold answer; for BEIR-layout
sets, the first citation comes from a relevant document. Where a BEIR-layout question's
answer is known and its passage spells it out (the held-out news set's quiz choices), the
figures also say how often the first claim quotes it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rag.confidence import ANSWER_FROM, Signals
from rag.evaluation.datasets import Dataset, Question, contains_answer, quotes_answer
from rag.results import Answer, first_claim as first_claim_citations

SQUAD_GROUPS = 3
CURVE_POINTS = tuple(round(0.05 * i, 2) for i in range(1, 20))


@dataclass(frozen=True)
class Outcome:
    """One question asked: how confident the library was, and whether it would be right."""

    answerable: bool
    confidence: float
    right: bool  # the first claim answers (always False for an unanswerable question)
    signals: Signals | None
    # whether the first claim quotes the question's known answer (`Question.quoted_answers`);
    # None when it has none
    quotes_answer: bool | None = None


def first_claim(answer: Answer) -> str:
    """The text of the answer's first claim (`rag.results.first_claim`); empty for a refusal."""
    return " ".join(c.evidence for c in first_claim_citations(answer.citations))


def is_right(answer: Answer, question: Question) -> bool:
    if answer.abstained or not answer.citations:
        return False
    if question.answers:
        return contains_answer(first_claim(answer), question.answers)
    return answer.citations[0].source in question.relevant


def outcome(answer: Answer, question: Question, *, answerable: bool) -> Outcome:
    quotes = quotes_answer(first_claim(answer), question.quoted_answers) if question.quoted_answers else None
    return Outcome(answerable, answer.confidence, answerable and is_right(answer, question), answer.signals,
                   quotes)


def squad_without_articles(dataset: Dataset, article_of: dict[str, int]) -> list[Dataset]:
    """`dataset`'s questions split into SQUAD_GROUPS sets, each with a corpus lacking every
    paragraph of its questions' articles. `article_of`: record source -> article number."""
    asked = sorted({article_of[s] for q in dataset.questions for s in q.relevant})
    variants = []
    for group in range(SQUAD_GROUPS):
        removed = set(asked[group::SQUAD_GROUPS])
        if not removed:
            continue
        records = tuple(r for r in dataset.records if article_of[r.source] not in removed)
        questions = tuple(q for q in dataset.questions if all(article_of[s] in removed for s in q.relevant))
        variants.append(replace(
            dataset, name=f"{dataset.name}-without-{group}", records=records, questions=questions,
            fingerprint=f"{dataset.fingerprint}-without-{'-'.join(map(str, sorted(removed)))}",
        ))
    return variants


def answerable_in(answerable: Dataset, unanswerable: Dataset) -> Dataset:
    """The questions of `answerable` whose passages `unanswerable` kept, asked of the same
    library as its unanswerable questions: answerable and unanswerable questions then meet
    a library of one size, so nothing that grows with the library's size can tell them apart."""
    kept = {r.source for r in unanswerable.records}
    questions = tuple(q for q in answerable.questions if set(q.relevant) <= kept)
    return replace(unanswerable, questions=questions)


def summary(outcomes: list[Outcome], threshold: float = ANSWER_FROM) -> dict[str, float]:
    """answered / answered_right (share of answerable questions), refused (share of
    unanswerable ones) at `threshold`."""
    answerable = [o for o in outcomes if o.answerable]
    unanswerable = [o for o in outcomes if not o.answerable]
    figures: dict[str, float] = {}
    if answerable:
        figures["answered"] = sum(o.confidence >= threshold for o in answerable) / len(answerable)
        figures["answered_right"] = sum(o.confidence >= threshold and o.right for o in answerable) / len(answerable)
        figures["right_if_always_answered"] = sum(o.right for o in answerable) / len(answerable)
    if unanswerable:
        figures["refused"] = sum(o.confidence < threshold for o in unanswerable) / len(unanswerable)
    # where the answer is known and the question's passage spells it: is it in the quote?
    quotable = [o for o in answerable if o.quotes_answer is not None]
    if quotable:
        figures["answered_quoting_answer"] = (sum(o.confidence >= threshold and o.quotes_answer for o in quotable)
                                              / len(quotable))
        figures["quoting_answer_if_always_answered"] = sum(o.quotes_answer for o in quotable) / len(quotable)
    return figures


def curve(outcomes: list[Outcome]) -> list[dict[str, float]]:
    """`summary` at every threshold of CURVE_POINTS."""
    return [{"threshold": t, **summary(outcomes, t)} for t in CURVE_POINTS]
