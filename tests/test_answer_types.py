"""What a question asks for, and whether a sentence holds it (rag.answer_types)."""

import numpy as np
import pytest

from rag import TextRecord, lexical
from rag.answer_types import COUNTRY, DATE, NAME, NUMBER, PLACE, QUOTE, expected_kind, holds_kind
from rag.country_names import countries_in
from rag.answers import ANSWER_KIND_WEIGHT, score_sentences
from rag.evidence_reading import EvidenceReader
from rag.results import Hit
from tests.conftest import sentences_passage


@pytest.mark.parametrize("question, kind", [
    ("When was the SCO founded?", DATE),
    ("In what year did the war end?", DATE),
    ("which year did Iran sign the deal?", DATE),
    ("How many defense ministers attended?", NUMBER),
    ("how much crude did China import in June?", NUMBER),
    ("What percentage of voters turned out?", NUMBER),
    ("Where did the Chinese warships dock?", PLACE),
    ("which city hosted the SCO defense ministers' meeting?", PLACE),
    ("In which country is Qingdao?", COUNTRY),
    ("Which countries are members of the SCO?", COUNTRY),
    ("Who is China's defense minister?", NAME),
    ("whose ships docked at Bandar Abbas?", NAME),
    ("What did Dong Jun criticise in his speech?", None),
    ("what joint drills happened?", None),
    ("Why did China condemn the strikes?", None),
    ("Did an Indian defense minister visit China?", None),
    # the question phrase inside the sentence, or in the sentence after the scene is set
    ("A 7.4 magnitude earthquake struck the southern part of which country?", COUNTRY),
    ("A winning ticket was sold this week in which US state?", PLACE),
    ("Kelly was found guilty of one charge of racketeering and how many charges of sex trafficking?", NUMBER),
    ("A Mantle card from 1952 sold at auction for a record price. How much did the card sell for?", NUMBER),
    ("Deadly clashes erupted in the capital. Where did this happen?", PLACE),
    ("Which Nordic country scrapped its coronavirus laws?", COUNTRY),
    ("Which member of the royal family is expected to retire?", NAME),
    ("Which two players reached the final?", NAME),
    # "who" asked after a preposition or at the end, and "which" before a noun no kind lists
    ("This week the world's richest man denied that he had an alleged affair with who?", NAME),
    ("Nadal withdrew from Wimbledon, paving the way for who to advance to the final?", NAME),
    ("The senator was replaced by whom?", NAME),
    ("Sotheby's is selling the 76-million-year-old skeleton of which dinosaur?", NAME),
    ("Which chain announced it will close its stores?", NAME),
    ("Which region will see half its population infected, according to the WHO?", PLACE),
    ("NASA slammed a spacecraft into an asteroid. What was the name of the mission?", NAME),
    ("What's the new official brand name of the vaccine?", NAME),
    ("What dinosaur was sold?", None),
    ("Which is bigger, the bridge or the tunnel?", None),
    # the words someone said
    ("What did Nasirzadeh say?", QUOTE),
    ("What did President Joe Biden say was a “moral obligation” for the country?", QUOTE),
    ("What has the minister said about the talks?", QUOTE),
    ("Who said the talks would resume?", NAME),
    ("What did state officials use to build the wall?", None),
    ("According to tradition, what does this mean?", None),
    # the asking sentence decides, wherever it stands
    ("What is the name of the variant? Experts say it spreads faster than others in many countries.", NAME),
    # inside a sentence "who", "when" and "which" without a noun are relative, not asking
    ("The man who founded the company died. What did he found?", None),
    ("The bill, which passed when the session ended, did what?", None),
])
def test_the_kind_a_question_asks_for(question, kind):
    assert expected_kind(question) == kind


def test_a_date_question_is_answered_by_a_sentence_with_a_date_the_question_lacks():
    question = "When was the Shanghai Cooperation Organization created?"
    assert holds_kind("Founded in 2001 by China and Russia, the SCO has grown.", question, DATE)
    assert holds_kind("The gathering began in June.", question, DATE)
    assert not holds_kind("Nine ministers attended a gathering of the Shanghai Cooperation Organization.",
                          question, DATE)
    # a year the question already names is not an answer to it
    assert not holds_kind("In 2001 the talks stalled.", "What happened to the talks in 2001?", DATE)
    # a relative date answers "when?" as a year does (`rag.relative_dates`)
    assert holds_kind("Last year, two Chinese warships docked at Bandar Abbas.", "When did warships dock?", DATE)
    assert holds_kind("The ministers met three weeks ago in Qingdao.", "When did the ministers meet?", DATE)


def test_a_number_question_needs_a_figure_or_a_number_word():
    question = "How many defense ministers attended?"
    assert holds_kind("Nine defense ministers attended the gathering.", question, NUMBER)
    assert holds_kind("It imported 2.76 million tons in June.", "how much crude did China import?", NUMBER)
    assert not holds_kind("Defense ministers attended the gathering.", question, NUMBER)


def test_a_name_or_place_is_a_capitalised_word_past_the_first_that_the_question_lacks():
    assert holds_kind("The gathering began in the coastal city of Qingdao.", "which city hosted it?", PLACE)
    assert holds_kind("The ministry named Dong Jun as minister.", "Who is China's defense minister?", NAME)
    # the sentence's first word is capitalised whatever it is; month and day names are no names
    assert not holds_kind("Officials met on Wednesday in March.", "Who met?", NAME)
    # only names the question already gives
    assert not holds_kind("the minister of China spoke.", "Who is China's defense minister?", NAME)


def test_a_country_question_needs_a_country_the_question_does_not_name():
    question = "Which country is mulling an anti-gay bill?"
    assert holds_kind("The legislation is being voted on in Ghana.", question, COUNTRY)
    assert holds_kind("The earthquake struck the Mexican state of Oaxaca.", question, COUNTRY)  # a demonym
    assert not holds_kind("Lawmakers in Florida approved the bill.", question, COUNTRY)  # a place, no country
    # "Chinese" is China: a sentence naming only the question's countries names no new one
    assert not holds_kind("The Chinese ministry spoke.", "Which country did China's minister visit?", COUNTRY)


def test_a_question_about_what_was_said_needs_a_quotation():
    question = "What did Nasirzadeh say?"
    # the apostrophe of "Iran's" inside the quotation neither opens nor closes one
    assert holds_kind("Iran's Nasirzadeh 'expressed gratitude to China for its support of Iran's stance,' "
                      "Xinhua reported.", question, QUOTE)
    assert holds_kind('He called it "a disgrace to the nation."', question, QUOTE)
    assert not holds_kind("Aziz Nasirzadeh is one of nine ministers that state media say attended.", question, QUOTE)
    assert not holds_kind("The 'Big Apple' is New York.", question, QUOTE)  # a quoted name, no words said
    # a quotation the question already gives is no answer
    asked = "What did Biden say was 'a moral obligation for us'?"
    assert not holds_kind("Biden said it was 'a moral obligation for us'", asked, QUOTE)


@pytest.mark.parametrize("text, countries", [
    ("China, Russia, India and Iran", {"China", "Russia", "India", "Iran"}),
    ("the U.S. and the UK", {"United States", "United Kingdom"}),
    ("North Korea fired at South Korea", {"North Korea", "South Korea"}),  # the longest name wins
    ("America’s allies and the Iranian navy", {"United States", "Iran"}),
    ("the Democratic Republic of the Congo", {"Democratic Republic of the Congo"}),
    ("a turkey dinner on china plates", set()),  # only capitalised words name a country
    ("Florida and Qingdao", set()),
])
def test_countries_are_found_by_any_of_their_names(text, countries):
    assert countries_in(text) == countries


def test_no_kind_means_no_match():
    assert not holds_kind("Founded in 2001.", "What did Dong Jun criticise?", None)


def test_sentence_scores_read_defined_short_forms_and_reward_the_asked_kind():
    """Two sentences equally close in meaning: the one saying "the SCO" holds the words of the
    long form its document defines, and the one with a year answers "when"."""
    question = "When was the Shanghai Cooperation Organization created?"
    restating = "Ministers attended a gathering of the Shanghai Cooperation Organization."
    answering = "Founded in 2001 by six countries, the SCO has grown."
    hit = Hit(1, 1.0, sentences_passage(1, [restating, answering], "doc"))
    vectors = np.eye(3)[[1, 1]]  # both sentences at the same cosine to the question
    query = np.eye(3)[1]
    weights = dict.fromkeys(lexical.terms(question), 1.0)

    without = score_sentences(question, query, [hit], [0.5], [vectors], weights)[1]
    with_forms = score_sentences(question, query, [hit], [0.5], [vectors], weights,
                                 {"doc": {"SCO": "Shanghai Cooperation Organization"}})[1]
    assert without[1].coverage < without[0].coverage  # "SCO" alone is not the long form
    assert with_forms[1].coverage == with_forms[0].coverage  # read with its definition
    assert with_forms[1].holds_kind and not with_forms[0].holds_kind
    assert with_forms[1].score == pytest.approx(with_forms[0].score + ANSWER_KIND_WEIGHT)
    # a definition of another document does not count
    other = score_sentences(question, query, [hit], [0.5], [vectors], weights,
                            {"other": {"SCO": "Shanghai Cooperation Organization"}})[1]
    assert other[1].coverage == without[1].coverage


def test_a_changed_document_is_read_with_its_new_definitions(tiny_library):
    """The short forms a document defines are remembered per text: once the document
    changes, "the SCO" means what the new text says."""
    question = "When was the Shanghai Cooperation Organization founded?"
    founded = "Founded in 2001, the SCO has grown since then with new members from Asia."
    first = "Ministers of the Shanghai Cooperation Organization (SCO) met in Qingdao in June."
    tiny_library.add_texts([TextRecord(source="sco", text=f"{first}\n\n{founded}")])

    def founded_coverage():
        answer = tiny_library.ask(question, min_confidence=0)
        cited = next(c for c in answer.citations if c.evidence == founded)
        assert cited is answer.citations[0]
        return answer.signals.sentence_coverage

    before = founded_coverage()
    other = "Members of the Southern Cricket Office (SCO) met in Leeds in June."
    tiny_library.add_texts([TextRecord(source="sco", text=f"{other}\n\n{founded}")])
    assert founded_coverage() < before


def test_definitions_are_remembered_for_a_bounded_number_of_documents(tiny_library):
    """Documents stored without their definitions are read when asked about; a server
    answering over an archive asks about more documents than it should hold: the reader keeps
    the most recently asked ones, and what it forgets it reads again the same."""
    texts = [f"Delegates of the Northern Fishing Council (NFC) met in port {n}. The NFC set quotas for "
             f"cod in zone {n}." for n in range(6)]
    ids = tiny_library.add_texts([TextRecord(source=f"nfc/{n}", text=t) for n, t in enumerate(texts)]).added
    tiny_library._db.execute("UPDATE documents SET definitions = ''")  # as stored before schema 9
    reader = EvidenceReader(tiny_library._db, tiny_library._encode, lambda: tiny_library.encoder.dimension,
                            definitions_kept=2)
    first = {d: reader.definitions({d})[d] for d in ids}
    assert len(reader._definitions) == 2
    assert all(first[d]["NFC"] == "Northern Fishing Council" for d in ids)
    assert {d: reader.definitions({d})[d] for d in ids} == first  # forgotten ones read again, the same
