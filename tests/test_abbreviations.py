"""Short forms a document defines: found strictly, and searched as their long form."""

import dataclasses

import pytest

from rag import TextRecord, passages
from rag.abbreviations import expansions, find_definitions, query_short_forms
from rag.bm25_postings import Bm25Postings
from rag.ingest import pipeline_fingerprint
from rag.search import expand_short_forms


@pytest.mark.parametrize("text, expected", [
    ("a gathering of the Shanghai Cooperation Organization (SCO), a China-led bloc",
     {"SCO": "Shanghai Cooperation Organization"}),
    ("the SCO (Shanghai Cooperation Organization) met", {"SCO": "Shanghai Cooperation Organization"}),
    ("the North Atlantic Treaty Organization (NATO) said", {"NATO": "North Atlantic Treaty Organization"}),
    ("Organization of the Petroleum Exporting Countries (OPEC) output",
     {"OPEC": "Organization of the Petroleum Exporting Countries"}),
    ("agents of the Federal Bureau of Investigation (FBI)", {"FBI": "Federal Bureau of Investigation"}),
    ("gross domestic product (GDP) grew", {"GDP": "gross domestic product"}),
    ("several non-governmental organizations (NGOs) said", {"NGO": "non-governmental organizations"}),
    ("the Association of South-East Asian Nations (ASEAN)", {"ASEAN": "Association of South-East Asian Nations"}),
    ("U.S. Customs and Border Protection (CBP) said", {"CBP": "Customs and Border Protection"}),
    # first definition wins
    ("Shanghai Cooperation Organization (SCO) ... Some Crazy Outfit (SCO)", {"SCO": "Shanghai Cooperation Organization"}),
    # not definitions
    ("WASHINGTON (AP) — The president said", {}),
    ("the minister said on Monday (AP)", {}),
    ("according to police (AP), two people died", {}),
    ("Iran's oil exports rose, traders said (Reuters)", {}),
    ("the nuclear deal (2015) collapsed", {}),
    ("the Group of Seven (G7) leaders", {}),
    ("he spoke (briefly) to reporters (in English)", {}),
    ("the Chinese defense Ministry (CDM)", {}),  # mixed case: neither a name nor a phrase
    ("the SCO (which China leads) met", {}),
])
def test_definitions(text, expected):
    assert find_definitions(text) == expected


@pytest.mark.parametrize("passage, expected", [
    ("The SCO met in Qingdao.", ["Shanghai Cooperation Organization"]),
    ("SCO's members and the SCOs of old", ["Shanghai Cooperation Organization"]),
    ("The Shanghai Cooperation Organization (SCO) met.", []),  # spelled out already
    ("The SCOTUS ruled; a disco opened.", []),  # not the word itself
    ("The sco met.", []),  # case matters: "sco" is not the short form
])
def test_expansions(passage, expected):
    assert expansions(passage, {"SCO": "Shanghai Cooperation Organization"}) == expected


def test_question_short_forms():
    assert query_short_forms("Which countries belong to the SCO, NATO or NGOs? Is it US-led? I ask") == \
        ["SCO", "NATO", "NGO", "US"]


def _sco_library(tiny_library):
    tiny_library.add_texts([
        TextRecord(source="sco", title="Ministers meet", text=(
            "Defense ministers attended a gathering of the Shanghai Cooperation Organization (SCO) "
            "in a coastal city this week.\n\n"
            "Afterwards SCO members agreed to hold more joint exercises and to share border intelligence.")),
        TextRecord(source="drills", title="Autumn drills", text=(
            "The Shanghai Cooperation Organization held autumn drills on the steppe, with thousands "
            "of troops taking part over ten days.")),
        TextRecord(source="other", title="Harvest", text=(
            "Farmers brought in a record wheat harvest this year after a warm spring and a wet summer.")),
    ])
    return tiny_library


def test_passage_using_the_short_form_is_found_by_the_long_form(tiny_library):
    library = _sco_library(tiny_library)
    hits = library.search("Shanghai Cooperation Organization", k=5, mode="lexical")
    found = [h.passage for h in hits if h.passage.text.startswith("Afterwards SCO members")]
    assert found  # it has none of the question's words itself
    assert library.document(found[0].document_id).text[found[0].start:found[0].end] == found[0].text


def test_question_using_the_short_form_finds_the_long_form(tiny_library):
    library = _sco_library(tiny_library)
    assert expand_short_forms(library._db, "Where did the SCO hold drills?") == \
        "Where did the SCO (Shanghai Cooperation Organization) hold drills?"
    for mode in ("lexical", "hybrid"):
        hits = library.search("Where did the SCO hold drills?", k=2, mode=mode)
        assert "drills" in hits[0].passage.source
    assert expand_short_forms(library._db, "What did the WHO say?") == "What did the WHO say?"


def test_the_in_memory_lexical_copy_finds_the_same_long_forms(tiny_library):
    library = _sco_library(tiny_library)
    postings = Bm25Postings.build(library._db, library.stats().generation)
    for question in ["Where did the SCO hold drills?", "Which countries are members of the SCO?",
                     "What did the WHO say?", "Did the PLA and the SCO meet?", "Who leads the IRGC?"]:
        assert expand_short_forms(library._db, question, postings) == expand_short_forms(library._db, question)
    assert expand_short_forms(library._db, "Where did the SCO hold drills?", postings) == \
        "Where did the SCO (Shanghai Cooperation Organization) hold drills?"


def test_every_passage_setting_is_in_the_fingerprint(monkeypatch):
    base = pipeline_fingerprint("model", 256)
    for field in dataclasses.fields(passages.PassageSettings):
        value = getattr(passages.SETTINGS, field.name)
        changed = (not value) if isinstance(value, bool) else value + 1
        monkeypatch.setattr(passages, "SETTINGS", dataclasses.replace(passages.SETTINGS, **{field.name: changed}))
        assert pipeline_fingerprint("model", 256) != base, field.name
        monkeypatch.setattr(passages, "SETTINGS", passages.PassageSettings())
    assert pipeline_fingerprint("model", 256) == base


def test_a_changed_setting_re_embeds_on_the_next_ingest(tiny_library, monkeypatch, samples_copy):
    tiny_library.add([samples_copy])
    assert tiny_library.add([samples_copy]).skipped  # unchanged: nothing to do
    monkeypatch.setattr(passages, "SETTINGS", dataclasses.replace(passages.SETTINGS, min_words=30))
    report = tiny_library.add([samples_copy])
    assert len(report.updated) == 2 and report.passages_embedded > 0
