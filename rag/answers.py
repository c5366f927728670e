"""Extractive answers: the best evidence sentences of the top passages, each cited.

Owns evidence selection, near-duplicate suppression, the `[n]` markers and abstention.

- Abstain when the question's cosine similarity to the best passage is below
  `ABSTAIN_BELOW`, whatever the search mode (fused scores are not comparable across
  questions). The threshold is measured: see README, "How answers work".
- A sentence's evidence score is its cosine to the question plus a bonus for sharing the
  question's content words (names and numbers matter to analysts).
- The best passage gives its best sentence, plus its neighbouring sentence when that one
  scores nearly as well (a sentence like "The joint training lasted four days" needs the one
  before it to say which training). Other top passages each give their best sentence when
  it clears `EVIDENCE_MIN`. At most `MAX_EVIDENCE` sentences; near-duplicates are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.results import Answer, Citation, Hit

ABSTAIN_BELOW = 0.35
EVIDENCE_MIN = 0.35
NEIGHBOUR_MARGIN = 0.15
LEXICAL_WEIGHT = 0.15
MAX_EVIDENCE = 3
# Sentences sharing this share of content words with an earlier one add nothing new.
DUPLICATE_OVERLAP = 0.6

NO_ANSWER = "The library has no passage that answers this."

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS = frozenset(
    """a an and are as at be by did do does for from had has have how in is it its of on or
    that the their this to was were what when where which who whom whose why will with
    happen happened""".split()
)


def content_words(text: str) -> set[str]:
    words = (m.group().casefold() for m in _WORD.finditer(text))
    return {w.rstrip("s") for w in words if w not in _STOPWORDS and len(w) > 1}


@dataclass(frozen=True)
class Evidence:
    hit: Hit
    cosine: float  # question vs the whole passage
    index: int  # position of the sentence in its passage
    sentence: tuple[int, int, int]  # absolute start, end, paragraph
    text: str
    score: float


def compose(
    question: str,
    query_vector: np.ndarray | None,
    hits: list[Hit],
    passage_cosines: list[float],
    encode,  # list[str] -> unit vectors
    *,
    threshold: float = ABSTAIN_BELOW,
) -> Answer:
    if not hits or max(passage_cosines) < threshold:
        return Answer(question, NO_ANSWER, abstained=True, citations=(), nearest=tuple(hits))
    scored = _score_sentences(question, query_vector, hits, passage_cosines, encode)
    chosen = _select(scored, hits[0].passage.id)
    citations = tuple(_cite(n, e) for n, e in enumerate(chosen, 1))
    text = " ".join(f"{c.evidence} [{c.n}]" for c in citations)
    return Answer(question, text, abstained=False, citations=citations)


def _score_sentences(question, query_vector, hits, cosines, encode) -> dict[int, list[Evidence]]:
    """Every sentence of every hit, scored; keyed by passage id, in passage order."""
    question_words = content_words(question)
    spans = [(hit, cosine, i, span) for hit, cosine in zip(hits, cosines)
             for i, span in enumerate(hit.passage.sentences)]
    texts = [_slice(hit, span) for hit, _, _, span in spans]
    similarities = encode(texts) @ query_vector if texts else []
    scored: dict[int, list[Evidence]] = {hit.passage.id: [] for hit in hits}
    for (hit, cosine, i, span), text, similarity in zip(spans, texts, similarities):
        score = float(similarity) + LEXICAL_WEIGHT * _overlap(question_words, content_words(text))
        scored[hit.passage.id].append(Evidence(hit, float(cosine), i, tuple(span), text, score))
    return scored


def _select(scored: dict[int, list[Evidence]], top_passage: int) -> list[Evidence]:
    top = scored[top_passage]
    best = max(top, key=lambda e: e.score)
    group = [best]
    neighbours = [e for e in top if abs(e.index - best.index) == 1 and e.score >= best.score - NEIGHBOUR_MARGIN]
    if neighbours:
        group.append(max(neighbours, key=lambda e: e.score))
    chosen = sorted(group, key=lambda e: e.index)  # read in document order
    others = [max(sentences, key=lambda e: e.score) for pid, sentences in scored.items()
              if pid != top_passage and sentences]
    for evidence in sorted(others, key=lambda e: -e.score):
        if len(chosen) >= MAX_EVIDENCE or evidence.score < EVIDENCE_MIN:
            break
        words = content_words(evidence.text)
        if not any(_overlap(words, content_words(c.text)) >= DUPLICATE_OVERLAP for c in chosen):
            chosen.append(evidence)
    return chosen


def _slice(hit: Hit, span) -> str:
    passage = hit.passage
    return passage.text[span[0] - passage.start : span[1] - passage.start]


def _overlap(reference: set[str], other: set[str]) -> float:
    return len(reference & other) / len(reference) if reference else 0.0


def _cite(n: int, evidence: Evidence) -> Citation:
    passage = evidence.hit.passage
    start, end, paragraph = evidence.sentence
    return Citation(
        n=n,
        document_id=passage.document_id,
        title=passage.title,
        published=passage.published,
        source=passage.source,
        paragraph=paragraph,
        start=passage.start,
        end=passage.end,
        passage=passage.text,
        evidence=evidence.text,
        evidence_start=start,
        evidence_end=end,
        score=evidence.cosine,
        evidence_score=evidence.score,
    )
