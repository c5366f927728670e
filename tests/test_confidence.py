"""One confidence per answer (rag/confidence.py) and the abstention it decides."""

from dataclasses import replace

import pytest

from rag import confidence
from rag.confidence import ANSWER_FROM, Signals, estimate, known_share, names, share_missing
from rag.evaluation.abstention import Outcome, curve, summary

STRONG = Signals(passage_cosine=0.7, best_cosine=0.7, sentence_cosine=0.65, sentence_coverage=0.8,
                 passage_coverage=0.9, known_terms=1.0, cosine_margin=0.2, agreement=1.0,
                 rarest_term=1.0, names_missing=0.0, cosine_peak=0.2, question_terms=0.5,
                 coverage_margin=0.3, best_cosine_squared=0.49, cosine_known=0.7)
WEAK = Signals(passage_cosine=0.1, best_cosine=0.12, sentence_cosine=0.1, sentence_coverage=0.0,
               passage_coverage=0.0, known_terms=0.2, cosine_margin=-0.02, agreement=0.0,
               rarest_term=0.0, names_missing=1.0, cosine_peak=0.01, question_terms=0.3,
               coverage_margin=-0.2, best_cosine_squared=0.0144, cosine_known=0.02)


def test_confidence_is_a_probability_that_grows_with_the_evidence():
    assert 0 <= estimate(WEAK) < ANSWER_FROM < estimate(STRONG) <= 1
    # more of the question's meaning or words in the cited sentence never lowers it
    for field in ("sentence_cosine", "sentence_coverage", "passage_cosine", "best_cosine", "coverage_margin"):
        assert estimate(replace(WEAK, **{field: getattr(WEAK, field) + 0.3})) > estimate(WEAK)
    # the same holds when a cosine moves with the signals derived from it
    better = replace(WEAK, best_cosine=0.42, best_cosine_squared=0.42**2, passage_cosine=0.4,
                     cosine_known=0.4 * WEAK.known_terms)
    assert estimate(better) > estimate(WEAK)


def test_every_signal_has_a_fitted_weight():
    assert set(confidence.WEIGHTS) == set(Signals.__dataclass_fields__)


def test_known_share_names_and_missing_names():
    assert known_share({"opec": 3.0, "oil": 1.0}, {"opec": 0, "oil": 12}) == pytest.approx(0.25)
    assert known_share({}, {}) == 1.0
    assert names("What did OPEC+ decide in 2023 about Saudi output?") == ["OPEC", "2023", "Saudi"]
    assert share_missing(["OPEC", "Saudi"], "Saudi Arabia cut its output.") == 0.5
    assert share_missing([], "anything") == 0.0


def test_summary_and_curve_count_answered_right_and_refused():
    outcomes = [Outcome(True, 0.9, True, None), Outcome(True, 0.3, False, None),
                Outcome(False, 0.2, False, None), Outcome(False, 0.6, False, None)]
    assert summary(outcomes, 0.5) == {"answered": 0.5, "answered_right": 0.5,
                                      "right_if_always_answered": 0.5, "refused": 0.5}
    points = curve(outcomes)
    assert [p["answered"] for p in points] == sorted((p["answered"] for p in points), reverse=True)
    assert [p["refused"] for p in points] == sorted(p["refused"] for p in points)


@pytest.mark.parametrize("question", [
    "what are Iranian sleeper cells planning?",  # only the removed "Related Articles" block says so
    "who won the 2018 FIFA World Cup?",
    "how long should I boil an egg?",
])
def test_questions_the_library_cannot_answer_are_refused_with_the_nearest_passages(minilm_samples_library, question):
    answer = minilm_samples_library.ask(question)
    assert answer.abstained and not answer.citations and answer.nearest
    assert answer.confidence < ANSWER_FROM and answer.to_json()["confidence"] == round(answer.confidence, 4)


def test_a_question_answered_by_the_top_passage_is_answered(minilm_samples_library):
    """Issue 17 item 5: this was refused on the dense cosine alone (0.19), then at 0.08 with
    every signal: the sentence that says what he criticised calls him "Dong", not "Dong Jun".
    The document named him in full first, so "Dong" holds the question's "Jun" too."""
    answer = minilm_samples_library.ask("What did Dong Jun criticise in his speech?")
    assert not answer.abstained and answer.confidence >= ANSWER_FROM
    assert "Unilateralism and protectionism are surging" in answer.citations[0].evidence
    assert "Dong said" in answer.citations[0].evidence


def test_derived_signals_follow_the_signals_they_come_from(minilm_samples_library):
    """What a user can check in the JSON: the derived signals are what their comments say."""
    signals = minilm_samples_library.ask("which Chinese warships docked at Bandar Abbas?").to_json()["signals"]
    assert signals["best_cosine_squared"] == pytest.approx(signals["best_cosine"] ** 2, abs=1e-3)
    assert signals["cosine_known"] == pytest.approx(signals["passage_cosine"] * signals["known_terms"], abs=1e-3)
    assert -1 <= signals["coverage_margin"] <= 1


def test_min_confidence_zero_always_answers_and_keeps_the_confidence(minilm_samples_library):
    question = "who won the 2018 FIFA World Cup?"
    refused = minilm_samples_library.ask(question)
    forced = minilm_samples_library.ask(question, min_confidence=0)
    assert not forced.abstained and forced.citations
    assert forced.confidence == pytest.approx(refused.confidence)


def test_min_confidence_outside_zero_to_one_is_refused(minilm_samples_library):
    from rag import RagError

    with pytest.raises(RagError, match="from 0 to 1"):
        minilm_samples_library.ask("what joint drills happened?", min_confidence=1.5)
