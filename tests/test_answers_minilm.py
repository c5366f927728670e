"""Real questions over the sample articles, answered by the packaged all-MiniLM-L6-v2."""

import re

import pytest

from rag.country_names import countries_in
from tests.conftest import DRILLS_QUESTION, SAMPLES

BANDAR_ABBAS = ("Last year, two Chinese warships docked at Iran’s principle Bandar Abbas port to take "
                "part in joint naval exercises in the Gulf for the first time in history, the New York "
                "Times reported.")
BOILERPLATE = ("Related Articles", "Comments", "Daily8", "Download", "OPEC", "Fox News", "logo",
               "Orange background", "Try Our AI Features", "decision point", "app-store")


def test_drills_question_cites_bandar_abbas(minilm_samples_library):
    answer = minilm_samples_library.ask(DRILLS_QUESTION)
    assert not answer.abstained
    bandar_abbas = next(c for c in answer.citations if c.evidence == BANDAR_ABBAS)
    # paragraph 3: the photo caption that opened the file is not stored
    assert bandar_abbas.document_id == "000-806c210b4fa405d6" and bandar_abbas.paragraph == 3
    assert f"{BANDAR_ABBAS} [{bandar_abbas.n}]" in answer.text
    # the 2025 article's "joint naval drills" is cited too
    assert any("joint naval drills" in c.evidence for c in answer.citations)
    for citation in answer.citations:
        document = minilm_samples_library.document(citation.document_id)
        assert document.text[citation.start:citation.end] == citation.passage
        assert document.text[citation.evidence_start:citation.evidence_end] == citation.evidence
        for word in BOILERPLATE:
            assert word not in citation.passage


def test_the_short_drills_question_is_answered(minilm_samples_library):
    # "happened" frames the question and is in no passage; the answer is judged by "joint drills"
    answer = minilm_samples_library.ask("what joint drills happened?")
    assert not answer.abstained
    cited = [c.evidence for c in answer.citations]
    assert BANDAR_ABBAS in cited and any("joint naval drills" in e for e in cited)
    # the entry "The joint training lasted ..." comes with the sentence that says which training
    training = next(i for i, e in enumerate(cited) if e.startswith("The joint training"))
    assert training > 0 and cited[training - 1] == BANDAR_ABBAS


def test_both_drills_passages_rank_in_the_top_three(minilm_samples_library):
    top = minilm_samples_library.search(DRILLS_QUESTION, k=3)
    texts = [hit.passage.text for hit in top]
    assert any("Bandar Abbas" in t for t in texts)
    assert any("joint naval drills" in t for t in texts)


@pytest.mark.parametrize("question", [
    "who won the 2018 football world cup?",
    "how do I bake sourdough bread?",
    "what is the boiling point of water at altitude?",
    # every word is in "... where US President Donald Trump said the US would meet with Iran",
    # which was cited at 0.88; but that president is another country's
    "Who is the president of Iran?",
])
def test_unanswerable_questions_abstain(minilm_samples_library, question):
    answer = minilm_samples_library.ask(question)
    assert answer.abstained
    assert answer.citations == () and "[" not in answer.text
    assert answer.text == "The library has no passage that answers this."
    assert answer.nearest  # still shown, for the user to judge


@pytest.mark.parametrize("question, expected", [
    ("how much crude did Iran's largest oil client import in June?", "2.76 million tons"),
    # the paragraph that names the city ("The two-day gathering began ... in the Chinese coastal
    # city of Qingdao") is no hit; it continues the one that says which gathering, and is cited with it
    ("which city hosted the SCO defense ministers' meeting?", "Qingdao"),
    # "The SCO gathering coincided with a meeting of NATO leaders at The Hague" opens its paragraph
    # by naming again the gathering the paragraph before placed in Qingdao: cited with it
    ("Where did the SCO defense ministers meet?", "Qingdao"),
    ("who is China's defense minister?", "Dong Jun"),
    # the sentence that gives the office to India, not the one listing India among the members
    ("Who is India's defense minister?", "Rajnath Singh"),
    # the article spells the name out once, then says "the SCO" in the sentence that answers
    ("When was the Shanghai Cooperation Organization created?", "Founded in 2001"),
    # what someone said is the sentence that quotes them (by one name: the article named him
    # in full before), not "... Nasirzadeh is one of nine ministers that state media say attended"
    ("What did Nasirzadeh say?", "expressed gratitude to China"),
])
def test_answers_contain_the_fact(minilm_samples_library, question, expected):
    answer = minilm_samples_library.ask(question)
    assert not answer.abstained
    assert expected in answer.text
    assert any(expected in c.evidence for c in answer.citations)


def test_the_minister_who_went_to_qingdao_is_named(minilm_samples_library):
    """Issue 17 item 3: the name is in one paragraph and Qingdao in the next ("The two-day
    gathering began ... in Qingdao"); the answer cited Rajnath Singh, then the Qingdao
    sentence alone, which names no minister."""
    answer = minilm_samples_library.ask("Who is the Iranian defense minister that went to Qingdao?")
    assert not answer.abstained
    first, second = answer.citations[:2]
    assert "Aziz Nasirzadeh" in first.evidence and "Qingdao" in second.evidence
    assert second.paragraph == first.paragraph + 1
    assert "Rajnath Singh" not in first.evidence
    # the confidence is about the claim the two sentences make together, and says so
    assert "[1] read with [2]" in answer.confidence_statement
    assert answer.to_json()["confidence_statement"] == answer.confidence_statement


@pytest.mark.xfail(strict=True, reason="the Qingdao paragraph leaves its subject to the paragraph before it "
                   "and ranks 8th in every mode; the answer reaches it from that paragraph (see above), "
                   "retrieval does not: read with its neighbours' words it ranked 2nd on the samples but "
                   "lost on SQuAD articles (docs/evaluation.md, 'Not done / limits')")
def test_hybrid_retrieves_the_qingdao_paragraph(minilm_samples_library):
    """The retrieval half of the case above: dense alone misses it, hybrid finds it."""
    question = "which city hosted the SCO defense ministers' meeting?"
    assert not any("Qingdao" in h.passage.text for h in minilm_samples_library.search(question, k=5, mode="dense"))
    assert any("Qingdao" in h.passage.text for h in minilm_samples_library.search(question, k=3))


def test_a_list_answer_does_not_repeat_its_entries(minilm_samples_library):
    """Issue 17 item 4: after the sentence that lists the members, a sentence naming only
    members already listed ("frictions between members, including Pakistan and India") is
    padding, however close its meaning."""
    answer = minilm_samples_library.ask("Which countries are members of the SCO?")
    assert not answer.abstained and "Kazakhstan" in answer.citations[0].evidence
    assert not any("frictions between members" in c.evidence for c in answer.citations)
    # each further entry names a country no earlier one names ("... as an SCO member, ministry
    # spokesman Zhang Xiaogang told CNN that 'China ...'" names only China again)
    named = countries_in(answer.citations[0].evidence)
    for citation in answer.citations[1:]:
        assert countries_in(citation.evidence) - named
        named |= countries_in(citation.evidence)


def test_no_near_duplicate_evidence(minilm_samples_library):
    answer = minilm_samples_library.ask("what did China's defense minister say at the SCO gathering?")
    evidence = [c.evidence for c in answer.citations]
    assert len(evidence) == len(set(evidence))
    assert sorted(int(n) for n in re.findall(r"\[(\d+)\]", answer.text)) == [c.n for c in answer.citations]


@pytest.mark.parametrize("question, expected", [
    ("who is China's defense minister?", "Dong Jun"),
    ("when was the SCO founded?", "2001"),
    ("where did the Chinese warships dock?", "Bandar Abbas"),
    ("how much crude did Iran's largest oil client import in June?", "2.76 million tons"),
])
def test_a_single_fact_question_cites_the_answer_and_nothing_else(minilm_samples_library, question, expected):
    """One claim: the sentence that answers (with its neighbour at most), not two more from
    other passages for the reader to sort out."""
    answer = minilm_samples_library.ask(question)
    assert any(expected in c.evidence for c in answer.citations)
    assert len({(c.document_id, c.start) for c in answer.citations}) == 1  # one passage
    assert len(answer.citations) <= 2


@pytest.mark.parametrize("question, answering", [
    ("What did Trump say about Iran?", "Donald Trump said the US would meet with Iran"),
    ("Did Iran strike Israel?", "a ceasefire between Iran and Israel"),
])
def test_a_sentence_that_says_all_the_question_asks_is_cited_without_the_paragraph_before(
        minilm_samples_library, question, answering):
    """Its paragraph opens by naming again the gathering the one before introduced ("The SCO
    gathering coincided ...", "The two-day gathering began ... a day after a ceasefire between
    Iran and Israel"), but it holds every word asked: the sentence before came first, as padding."""
    answer = minilm_samples_library.ask(question)
    assert not answer.abstained
    assert [answering in c.evidence for c in answer.citations] == [True]


def test_the_sco_members_question_cites_the_members_not_the_nuclear_deal(minilm_samples_library):
    answer = minilm_samples_library.ask("Which countries are members of the SCO?")
    assert any("Kazakhstan, Kyrgyzstan, Tajikistan, Uzbekistan and Belarus" in c.evidence for c in answer.citations)
    assert not any("nuclear" in c.evidence for c in answer.citations)


def test_the_drills_question_lists_each_drill_once(minilm_samples_library):
    answer = minilm_samples_library.ask(DRILLS_QUESTION)
    evidence = [c.evidence for c in answer.citations]
    assert sum("Bandar Abbas" in e for e in evidence) == 1
    assert sum("joint naval drills" in e for e in evidence) == 1
    # every other cited sentence continues one of those entries: same passage, next sentence
    entries = [c for c in answer.citations if "Bandar Abbas" in c.evidence or "joint naval drills" in c.evidence]
    for c in answer.citations:
        assert c in entries or any(c.start == e.start and c.document_id == e.document_id for e in entries)
    assert sorted(int(n) for n in re.findall(r"\[(\d+)\]", answer.text)) == [c.n for c in answer.citations]


def test_in_a_library_of_one_article_common_question_words_still_count(tmp_path, minilm_encoder):
    """Over one article "SCO" and "countries" are in over half the passages, where BM25's IDF is
    zero: "which countries are members of the SCO?" weighed "members" alone and cited "...
    frictions between members, including Pakistan and India" before the sentence that lists
    the members. The evidence weights never reach zero (`bm25_postings.evidence_idf`)."""
    from rag import Library

    library = Library.open(tmp_path / "library", encoder=minilm_encoder)
    library.add([SAMPLES / "003_f6b81b0075e755a8.txt"])
    answer = library.ask("Which countries are members of the SCO?")
    assert "Kazakhstan, Kyrgyzstan, Tajikistan, Uzbekistan and Belarus" in answer.citations[0].evidence


PORT_STORY = (
    "Dockworkers strike shuts Rotterdam container terminals\n\n"
    "Thousands of dockworkers walked off the job at Europe's largest port on Tuesday as talks over "
    "automation and pay collapsed.\n\n"
    "\"We are not against machines, we are against being thrown away like old cranes,\" union "
    "negotiator Niek Stam told reporters outside the terminal gates. Stam said employers had refused "
    "to guarantee jobs for workers replaced by automated cranes.\n\n"
    "The Port of Rotterdam Authority said the stoppage would cost shippers an estimated 30 million "
    "euros a day. Its chief executive, Boudewijn Siemons, urged both sides to return to the table.\n"
)


def test_a_pasted_story_answers_who_and_what_was_said(tmp_path, minilm_encoder):
    """"Its chief executive, Boudewijn Siemons, ..." is cited with the sentence that says whose;
    "Stam said ..." is what Niek Stam said, though it calls him "Stam"."""
    from rag import Library, TextRecord

    library = Library.open(tmp_path / "library", encoder=minilm_encoder)
    library.add_texts([TextRecord(source="wire/port", text=PORT_STORY)])
    who = library.ask("Who is Boudewijn Siemons?")
    assert [c.evidence.split(",")[0].split(" said")[0] for c in who.citations] == [
        "The Port of Rotterdam Authority", "Its chief executive"]
    assert "[1] read with [2]" in who.confidence_statement
    said = library.ask("What did Niek Stam say about employers?")
    assert said.citations[0].evidence.startswith("Stam said employers had refused")
