"""Extractive answers: the best evidence sentences of the top passages, each cited.

Owns sentence scoring, the `[n]` markers and abstention.

- Abstain when the answer's confidence (`rag.confidence`: the estimated probability that
  its first citation answers, from the dense, lexical and sentence evidence together) is
  below `confidence.ANSWER_FROM`, whatever the search mode. Fitted and measured on tuning
  splits: docs/evaluation.md, "Abstention".
- A sentence's evidence score is its cosine to the question, plus `LEXICAL_WEIGHT` times
  the share of the question's term weight (BM25 IDF) that the sentence contains (rare names
  and numbers count most; a short form its document defines counts as its long form), plus
  `ANSWER_KIND_WEIGHT` when it holds the kind of thing the question asks for (a date for
  "when ...", a number for "how many ..."), for "who is <country>'s <office>?" plus it again
  when it gives that office to that country ("Chinese Defense Minister ...") and minus it when
  it names no such office, minus `SCENE_PENALTY` times the share of the term weight of the
  scene a question sets before it asks (`rag.question_scene`) that the sentence holds (a
  lede restating the scene is not the detail asked), minus `RANK_PENALTY` per place its
  passage ranks below the first, minus `STATES_NOTHING_PENALTY` for a subheading or a
  question (`rag.headings`), minus `STALE_PENALTY` times its document's staleness
  (`rag.freshness`: an old page in a library of this week's news).
  Measured on SQuAD's tuning articles and the news tuning set (bench/tune_evidence_score.py):
  the strongest sentence holds the answer for 75.3% of SQuAD's tuning questions (cosine
  alone: 66.4%).
- Which scored sentences are cited (the one that answers, and for a list question one per
  distinct fact) is `rag.evidence_selection`'s choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag import confidence, lexical
from rag.abbreviations import expansions
from rag.answer_types import expected_kind, holds_kind
from rag.country_names import countries_named_by_both
from rag.evidence_selection import select_evidence
from rag.freshness import staleness
from rag.headings import states_nothing
from rag.office_holders import asked_office_evidence, offices_of_other_countries
from rag.question_scene import scene_terms
from rag.relative_dates import resolve_dates
from rag.results import Answer, Citation, Hit, Passage, SentenceSpan, first_claim

# The three weights were chosen together on SQuAD's tuning articles and the news tuning set
# (bench/tune_evidence_score.py: the strongest sentence holds a gold answer / is from the
# question's passage): 0.6 / 0.05 / none gave 0.7456 / 0.6478 (SQuAD / news), these 0.7532 /
# 0.6594, the best mean of the grid (lexical 0.4-1.0, rank 0-0.05, kind 0-0.2).
LEXICAL_WEIGHT = 0.4
RANK_PENALTY = 0.02
# Added when the question asks for a kind of thing (a date, a number, a name, a place) and the
# sentence holds one the question does not say (`rag.answer_types`).
ANSWER_KIND_WEIGHT = 0.05
# Times the share of the question's scene ("Liz Cheney lost her seat ... Who won?": all but the
# asking sentence) the sentence holds: the scene's words count 0.3 instead of 0.4. Chosen by
# bench/tune_evidence_score.py on the tuning sets (the strongest sentence right, SQuAD tune /
# news / news quiz answers): 0 gave 0.7556 / 0.6630 / 0.7079, 0.1 0.7559 / 0.6650 / 0.7124 (the
# best of the grid on all three, with 0.15), 0.4 (scene words count nothing) 0.7545 / 0.6620 / 0.7044.
SCENE_PENALTY = 0.1
# Taken off the score of a heading ("What happens next") or a question ("Which pop star will
# perform?", `rag.headings`): it states nothing, so it must never be the strongest sentence
# nor come within any margin of it.
STATES_NOTHING_PENALTY = 1.0

# Times the staleness of the sentence's document (`rag.freshness`: 0 when current or undated,
# towards 1 with age) for a question about the present ("this week", "recently"). Chosen on
# whole news pages (bench/news_articles.py): docs/evaluation.md.
STALE_PENALTY = 0.1

NO_ANSWER = "The library has no passage that answers this."


@dataclass(frozen=True)
class Context:
    """The passages next to the hits in their documents (`rag.answerer.Retrieved`): their
    sentences are never cited alone, only beside a sentence of a hit that they continue or
    that continues them (`rag.evidence_selection`)."""

    adjacent: dict[int, tuple[int | None, int | None]]  # hit passage id -> (before, after) ids
    hits: list[Hit]  # the neighbours that are no hit, each ranked as the hit it adjoins
    cosines: list[float]
    sentence_vectors: list[np.ndarray]


@dataclass(frozen=True)
class Evidence:
    hit: Hit
    cosine: float  # question vs the whole passage
    index: int  # position of the sentence in its passage
    sentence: SentenceSpan  # absolute start, end, paragraph
    text: str
    score: float
    similarity: float = 0.0  # question vs this sentence alone
    coverage: float = 0.0  # share of the question's term weight this sentence holds
    # the sentence's terms, with those of the long forms of the short forms it uses
    terms: frozenset[str] = frozenset()
    holds_kind: bool = False  # holds the kind of thing the question asks for
    states_nothing: bool = False  # a heading or a question (`rag.headings`): never cited

    @property
    def dense(self) -> float:
        """The score without its lexical part: what meaning, rank and the answer kind say."""
        return self.score - LEXICAL_WEIGHT * self.coverage


def compose(
    question: str,
    query_vector: np.ndarray | None,
    hits: list[Hit],
    passage_cosines: list[float],
    sentence_vectors: list[np.ndarray],  # per hit: one unit vector per sentence
    term_weights: dict[str, float] | None = None,  # the question's terms -> evidence weight
    *,
    passage_counts: dict[str, int] | None = None,  # the question's terms -> passages holding them
    definitions: dict[str, dict[str, str]] | None = None,  # document id -> its short forms' long forms
    answer_from: float = confidence.ANSWER_FROM,
    context: Context | None = None,
    news_date: str | None = None,  # the question's "now" (`rag.freshness`); None: no document is stale
) -> Answer:
    if not hits:
        return Answer(question, NO_ANSWER, abstained=True, citations=(), confidence=0.0)
    term_weights = term_weights or {}
    scored = score_sentences(question, query_vector, hits, passage_cosines, sentence_vectors, term_weights,
                             definitions, news_date=news_date)
    if not any(scored.values()):
        return Answer(question, NO_ANSWER, abstained=True, citations=(), nearest=tuple(hits), confidence=0.0)
    around = {}
    if context and context.hits:
        around = score_sentences(question, query_vector, context.hits, context.cosines, context.sentence_vectors,
                                 term_weights, definitions, ranks=[h.rank - 1 for h in context.hits],
                                 news_date=news_date)
    chosen = select_evidence(question, scored, term_weights, context=around,
                             adjacent=context.adjacent if context else None)
    # The penalty keeps a heading or a question out of reach whenever any sentence states
    # something; only the sentence before a possessive opening comes whatever it scores, and
    # where nothing else was retrieved one may still be strongest: neither is cited.
    chosen = [e for e in chosen if not e.states_nothing]
    if not chosen:
        return Answer(question, NO_ANSWER, abstained=True, citations=(), nearest=tuple(hits), confidence=0.0)
    counts = passage_counts if passage_counts is not None else {t: 1 for t in term_weights}
    citations = tuple(_cite(n, e) for n, e in enumerate(chosen, 1))
    # The confidence is the first claim's, judged on its strongest sentence of a hit (a
    # context sentence has no rank among the hits to compare): "The two-day gathering began
    # ... in Qingdao" carries the claim it makes with the sentence before it, which says whose
    # gathering. Without a hit's sentence in the claim, the strongest one's, which always is.
    claim = [e for e in chosen[: len(first_claim(citations))] if e.hit.passage.id in scored]
    first = max(claim, key=lambda e: e.score) if claim else next(e for e in chosen if e.hit.passage.id in scored)
    signals = _signals(question, first, hits, passage_cosines, term_weights, counts)
    # An old page answering a question that says it is about the present is seldom right
    # (whole news pages of 16 weeks of 2022, bench/news_articles.py: 2 of 18 such first claims
    # from a stale page quoted the answer, 67 of 121 from a current one): its chance is cut
    # by the page's staleness. The fitted model never saw a dated document (its tuning sets
    # hold none). `news_date` is None for other questions, where nothing is cut.
    stale = staleness(first.hit.passage.published, news_date)
    estimate = confidence.estimate(signals) * (1.0 - stale)
    older_page = (first.hit.passage.published, news_date) if stale > 0 else None
    if estimate < answer_from:
        return Answer(question, NO_ANSWER, abstained=True, citations=(), nearest=tuple(hits),
                      confidence=estimate, signals=signals, older_page=older_page)
    text = " ".join(f"{c.evidence} [{c.n}]" for c in citations)
    return Answer(question, text, abstained=False, citations=citations, confidence=estimate, signals=signals,
                  older_page=older_page)


def _signals(question: str, first: Evidence, hits, cosines, term_weights, passage_counts) -> confidence.Signals:
    """How well the first cited sentence and its passage fit the question, next to the rest."""
    cosines = [float(c) for c in cosines]
    position = next(i for i, h in enumerate(hits) if h.passage.id == first.hit.passage.id)
    others = cosines[:position] + cosines[position + 1 :]
    contexts = [f"{h.passage.title}\n{h.passage.text}" for h in hits]
    coverages = [lexical.coverage(text, term_weights) for text in contexts]
    # the cited passage holds at least what its cited sentence holds (with the long forms of
    # the short forms it uses), or a passage that says "the SCO" would cover less than its sentence
    present = lexical.term_set(contexts[position]) | first.terms
    coverages[position] = lexical.weighted_share(present, term_weights)
    best_by_meaning = cosines[position] >= max(cosines)
    best_by_words = coverages[position] >= max(coverages)
    rarest = confidence.rarest_known(term_weights, passage_counts)
    other_coverages = coverages[:position] + coverages[position + 1 :]
    known = confidence.known_share(term_weights, passage_counts)
    return confidence.Signals(
        rarest_term=float(rarest is not None and rarest in present),
        names_missing=confidence.share_missing(confidence.names(question), contexts[position]),
        cosine_peak=max(cosines) - sum(cosines) / len(cosines),
        question_terms=len(term_weights) / 10,
        passage_cosine=cosines[position],
        best_cosine=max(cosines),
        sentence_cosine=first.similarity,
        sentence_coverage=first.coverage,
        passage_coverage=coverages[position],
        known_terms=known,
        cosine_margin=cosines[position] - max(others) if others else 0.0,
        agreement=(best_by_meaning + best_by_words) / 2,
        coverage_margin=coverages[position] - max(other_coverages) if other_coverages else 0.0,
        best_cosine_squared=max(cosines) ** 2,
        cosine_known=cosines[position] * known,
    )


def score_sentences(question: str, query_vector, hits, cosines, sentence_vectors, term_weights,
                    definitions: dict[str, dict[str, str]] | None = None,
                    ranks: list[int] | None = None, news_date: str | None = None) -> dict[int, list[Evidence]]:
    """Every sentence of every hit, scored; keyed by passage id, in passage order. A sentence
    that says "the SCO" holds the words of the long form its document defines for it.
    `ranks`: each hit's places below the first (default: its position in `hits`).
    `news_date`: the question's "now", against which a document's staleness is judged."""
    definitions = definitions or {}
    kind = expected_kind(question)
    scene = scene_terms(question)
    scene_weights = {t: w for t, w in term_weights.items() if t in scene}
    scored: dict[int, list[Evidence]] = {}
    ranks = ranks if ranks is not None else list(range(len(hits)))
    for rank, hit, cosine, vectors in zip(ranks, hits, cosines, sentence_vectors):
        similarities = vectors @ query_vector if len(vectors) else []
        defined = definitions.get(hit.passage.document_id, {})
        stale = staleness(hit.passage.published, news_date)
        scored[hit.passage.id] = []
        for i, (span, similarity) in enumerate(zip(hit.passage.sentences, similarities)):
            text = hit.passage.sentence_text(span)
            # "Indian Defense Minister" holds the "india" of "India's defense minister?", and "US
            # President Donald Trump" no "president" of "who is the president of Iran?"
            present = ((lexical.term_set(" ".join([text, *expansions(text, defined)]))
                        | countries_named_by_both(text, question))
                       - offices_of_other_countries(text, question))
            covered = lexical.weighted_share(present, term_weights)
            typed = holds_kind(text, question, kind)
            # "Chinese Defense Minister Dong Jun" says whose minister he is: as telling as a name;
            # a sentence naming no minister cannot say who is one
            whose = asked_office_evidence(text, question)
            empty = states_nothing(hit.passage, i)
            restates = lexical.weighted_share(present, scene_weights) if scene_weights else 0.0
            score = (float(similarity) + LEXICAL_WEIGHT * covered + ANSWER_KIND_WEIGHT * (typed + whose)
                     - SCENE_PENALTY * restates - RANK_PENALTY * rank - STATES_NOTHING_PENALTY * empty
                     - STALE_PENALTY * stale)
            scored[hit.passage.id].append(Evidence(hit, float(cosine), i, span, text, score,
                                                   float(similarity), covered, present, typed, empty))
    return scored


def _cite(n: int, evidence: Evidence) -> Citation:
    start, end, paragraph = evidence.sentence
    return cite_span(n, evidence.hit.passage, start, end, paragraph, score=evidence.cosine,
                     evidence_score=evidence.score)


def cite_span(n: int, passage: Passage, start: int, end: int, paragraph: int, *, score: float,
              evidence_score: float) -> Citation:
    """Citation [n] of passage's text[start:end] (absolute offsets: a sentence, or two adjacent),
    with the relative dates in it resolved against the passage's publication date."""
    evidence = passage.text[start - passage.start: end - passage.start]
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
        evidence=evidence,
        evidence_start=start,
        evidence_end=end,
        score=float(score),
        evidence_score=float(evidence_score),
        dates=resolve_dates(evidence, passage.published, offset=start),
    )
