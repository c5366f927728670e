"""A document's short forms and full names, read once at ingest and stored with it: the same
as reading the stored text again, trusted only when stored by this version of the reading,
and giving the same answers as reading them at question time."""

import sqlite3

import pytest

from rag import TextRecord, document_definitions
from tests.conftest import SAMPLES

QUESTIONS = ["Which countries are members of the SCO?", "What did Dong say?",
             "Who is the Iranian defense minister?", "what joint drills happened?"]


def _stored(library) -> dict[str, str]:
    return dict(library._db.execute("SELECT id, definitions FROM documents"))


def test_ingest_stores_what_reading_the_stored_text_gives(tiny_library):
    tiny_library.add([SAMPLES])
    tiny_library.add_texts([TextRecord(source="sco", text="Ministers of the Shanghai Cooperation Organization "
                                                          "(SCO) met. Chinese Defense Minister Dong Jun spoke.\n\n"
                                                          "The SCO grew. Dong said the bloc would expand.")])
    stored = _stored(tiny_library)
    assert len(stored) == 3
    for document_id, kept in stored.items():
        assert document_definitions.decoded(kept) == document_definitions.read(tiny_library.document(document_id).text)
    sco = document_definitions.decoded(next(v for k, v in stored.items() if tiny_library.document(k).source == "sco"))
    assert sco["SCO"] == "Shanghai Cooperation Organization" and sco["Dong"] == "Dong Jun"


@pytest.mark.parametrize("kept", ["", "not json", "[1, 2]", '{"version": "0", "forms": {"SCO": "x"}}',
                                  '{"version": "1", "forms": {"SCO": 3}}', '{"version": "1"}'])
def test_nothing_is_trusted_that_this_version_did_not_store(kept):
    assert document_definitions.decoded(kept) is None


def test_what_is_stored_round_trips():
    forms = {"SCO": "Shanghai Cooperation Organization", "Dong": "Dong Jun", "Émile": "Émile Zola"}
    assert document_definitions.decoded(document_definitions.encoded(forms)) == forms
    assert document_definitions.decoded(document_definitions.encoded({})) == {}


def test_answers_are_the_same_read_at_ingest_or_at_question_time(tiny_library, tiny_encoder):
    tiny_library.add([SAMPLES])
    stored = [tiny_library.ask(q, min_confidence=0) for q in QUESTIONS]
    tiny_library.close()
    with sqlite3.connect(tiny_library.folder / "library.sqlite") as db:  # as a document stored without them
        db.execute("UPDATE documents SET definitions = 'damaged'")
    from rag import Library

    with Library.open(tiny_library.folder, encoder=tiny_encoder) as reopened:
        assert [reopened.ask(q, min_confidence=0) for q in QUESTIONS] == stored
        assert reopened.evidence._definitions  # they were read from the text, now
