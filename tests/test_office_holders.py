"""Offices of another country: which office words of a sentence do not hold the question's."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag import lexical
from rag.country_names import countries_named_by_both
from rag.office_holders import asked_office_evidence, offices_of_other_countries

PRESIDENT = frozenset(lexical.terms("president"))
MINISTER = frozenset(lexical.terms("minister"))
TRUMP = "The meeting coincided with NATO's, where US President Donald Trump said the US would meet Iran."


@pytest.mark.parametrize("sentence, question, other", [
    # another country's office, before or after the office word
    (TRUMP, "Who is the president of Iran?", PRESIDENT),
    ("Indian Defense Minister Rajnath Singh also attended.", "Who is China's defense minister?", MINISTER),
    ("The minister of India attended.", "Who is the Chinese defense minister?", MINISTER),
    # the asked country's office, by its name or its demonym
    ("Chinese Defense Minister Dong Jun spoke.", "Who is China's defense minister?", frozenset()),
    ("Sun told Iran’s defense minister Hoseein Deghan about it.", "Who is Iran's defense minister?", frozenset()),
    (TRUMP, "Who is the US president?", frozenset()),
    # one mention of the asked country's office is enough
    ("US President Trump called Iran's President Pezeshkian.", "Who is the president of Iran?", frozenset()),
    # an office no country qualifies may be anyone's; a question without a country or an office asks none
    ("The president spoke to Iran's envoy.", "Who is the president of Iran?", frozenset()),
    (TRUMP, "Who is the president?", frozenset()),
    (TRUMP, "What did Iran say?", frozenset()),
])
def test_offices_of_other_countries(sentence, question, other):
    assert offices_of_other_countries(sentence, question) == other


def test_a_demonym_says_the_country_the_question_names():
    assert countries_named_by_both("Indian Defense Minister Rajnath Singh", "Who is India's defense minister?") \
        == frozenset(lexical.terms("India"))
    assert countries_named_by_both("Indian Defense Minister Rajnath Singh", "Who is China's defense minister?") \
        == frozenset()


_WORDS = ["US", "Iran's", "Indian", "President", "president", "of", "Iran", "the", "minister", "Minister",
          "Defense", "China", "said", ",", "."]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=30), st.sampled_from([
    "Who is the president of Iran?", "Who is India's defense minister?", "Who is the minister?"]))
def test_only_the_question_s_office_words_are_ever_taken_out(words, question):
    taken = offices_of_other_countries(" ".join(words), question)
    assert taken <= frozenset(lexical.terms(question))


@pytest.mark.parametrize("sentence, question, evidence", [
    ("Chinese Defense Minister Dong Jun did not address it.", "who is China's defense minister?", 1),
    ("The talks were led by the president of Iran, Masoud Pezeshkian.", "Who is Iran's president?", 1),
    # the office with no country beside it, though the sentence names the country elsewhere
    ("Aziz Nasirzadeh is one of nine defense ministers that Chinese state media say attended.",
     "who is China's defense minister?", 0),
    # another country's office; no such office at all; a question that names no country
    ("Indian Defense Minister Rajnath Singh also attended.", "who is China's defense minister?", -1),
    ("US President Trump called Iran's President Pezeshkian.", "Who is the president of Iran?", 1),
    ("SCO countries include China, Russia and India.", "Who is India's defense minister?", -1),
    ("Chinese Defense Minister Dong Jun spoke.", "who is the defense minister?", 0),
    ("SCO countries include China, Russia and India.", "Which countries are in the SCO?", 0),
    # a question naming an office on the way to asking something else
    ("TikTok's owner was given until November.", "US President Trump set a deadline for which Chinese company?", 0),
])
def test_a_sentence_that_says_whose_office_it_is(sentence, question, evidence):
    assert asked_office_evidence(sentence, question) == evidence
