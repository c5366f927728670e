"""A document's title and publication date set by the user (`Library.edit_document`):
answers, resolved dates and filters follow, a new title is embedded and indexed again, every
change is one generation commit, the values survive re-ingests, and bad input is refused."""

import shutil
import sqlite3

import pytest

from rag import Library, RagError, SearchFilters, TextRecord, schema, store
from rag.check import check_library
from rag.errors import UnknownDocumentError
from tests.conftest import SAMPLES

OLD = "000-806c210b4fa405d6"  # the 2015 sample: no date, title taken from its first line
NEW = "003-f6b81b0075e755a8"
WARSHIPS = "when did Chinese warships dock at Bandar Abbas for joint naval exercises?"


@pytest.fixture
def library(tmp_path, tiny_encoder, samples_copy):
    with Library.open(tmp_path / "library", encoder=tiny_encoder) as library:
        library.add([samples_copy])
        yield library


def warships_citation(library, **kwargs):
    answer = library.ask(WARSHIPS, **kwargs)
    return next(c for c in answer.citations if "Bandar Abbas" in c.evidence)


def test_the_2015_sample_has_no_date_so_nothing_is_resolved(library):
    assert library.document(OLD).published is None
    citation = warships_citation(library)
    assert citation.published is None and citation.dates == ()


def test_setting_the_date_resolves_dates_and_moves_filters_without_re_embedding(library):
    generation, vector_file = library.stats().generation, library._meta()["vector_file"]
    embedded = library.passages_embedded
    in_2015 = SearchFilters(published_from="2015-01-01", published_to="2015-12-31")
    assert library.search("warships", filters=in_2015) == []

    document = library.edit_document(OLD, published="2015-10-15")

    assert document.published == "2015-10-15" and library.document(OLD).published == "2015-10-15"
    assert library.stats().generation == generation + 1  # one commit, which replicas see
    assert library._meta()["vector_file"] == vector_file  # a date rewrites no vectors
    assert library.passages_embedded == embedded
    citation = warships_citation(library)
    assert citation.published == "2015-10-15"
    (last_year,) = [d for d in citation.dates if d.text == "Last year"]
    assert last_year.value == "2014"
    assert library.document(OLD).text[last_year.start:last_year.end] == "Last year"
    hits = library.search("warships", filters=in_2015)
    assert hits and {h.passage.document_id for h in hits} == {OLD}
    assert {h.passage.document_id for h in library.search("warships", filters=SearchFilters(
        published_from="2025-01-01"))} == {NEW}
    assert [d.id for d in library.documents()][0] == OLD  # listed by date: 2015 first now
    assert check_library(library.folder).ok


def test_a_new_title_is_embedded_and_indexed_with_every_passage(library):
    before = library.passages(OLD)
    assert not library.search("zeppelin", mode="lexical")  # no document has the word yet
    embedded = library.passages_embedded
    generation = library.stats().generation

    document = library.edit_document(OLD, title="Zeppelin delegation in Tehran")

    assert document.title == "Zeppelin delegation in Tehran" and document.text == library.document(OLD).text
    assert library.passages_embedded - embedded == len(library.passages(OLD))
    assert library.stats().generation == generation + 1
    hits = library.search("zeppelin", mode="lexical")  # the word is only in the new title
    assert hits and {h.passage.document_id for h in hits} == {OLD}
    assert all(h.passage.title == "Zeppelin delegation in Tehran" for h in hits)
    assert library.search("zeppelin", mode="dense")[0].passage.document_id == OLD
    after = library.passages(OLD)
    assert [(p.start, p.end) for p in after] == [(p.start, p.end) for p in before]  # same cut: short title
    citation = warships_citation(library)
    assert citation.title == "Zeppelin delegation in Tehran"
    assert library.document(OLD).text[citation.start:citation.end] == citation.passage
    report = check_library(library.folder)
    assert report.ok, report.problems


def test_title_and_date_together_and_unchanged_values_change_nothing(library):
    document = library.edit_document(OLD, title="China seeks closer military ties with Iran",
                                     published="2015-10-15")
    assert (document.title, document.published) == ("China seeks closer military ties with Iran", "2015-10-15")
    generation = library.stats().generation
    assert library.edit_document(OLD, title=document.title, published="2015-10-15") == document
    assert library.stats().generation == generation


def test_empty_values_clear_a_date_and_a_title(library):
    library.edit_document(NEW, published="")
    assert library.document(NEW).published is None
    library.edit_document(NEW, title="")
    assert library.document(NEW).title == ""
    assert library.search("Qingdao", mode="lexical")  # passages without a title still searchable


def test_the_users_values_survive_a_re_ingest_of_the_changed_file(library, samples_copy):
    library.edit_document(OLD, title="Zeppelin delegation in Tehran", published="2015-10-15")
    changed = samples_copy / "000_806c210b4fa405d6.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nThe visit ended on Saturday with a banquet "
                       "for the admirals and officers.", encoding="utf-8")

    report = library.add([samples_copy])

    assert report.updated == (OLD,)
    document = library.document(OLD)
    assert "banquet" in document.text
    assert (document.title, document.published) == ("Zeppelin delegation in Tehran", "2015-10-15")
    assert {h.passage.document_id for h in library.search("zeppelin", mode="lexical")} == {OLD}
    banquet = next(c for c in library.ask("visit ended on Saturday with a banquet for the admirals").citations
                   if "banquet" in c.evidence)
    assert [(d.text, d.value) for d in banquet.dates] == [("Saturday", "2015-10-10")]
    assert check_library(library.folder).ok


def test_a_removed_document_forgets_what_the_user_set(library, samples_copy):
    library.edit_document(OLD, published="2015-10-15")
    library.remove(OLD)
    library.add([samples_copy])
    assert library.document(OLD).published is None


def test_a_text_record_keeps_the_users_date_when_its_text_changes(tiny_library):
    tiny_library.add_texts([TextRecord(source="crm/1", text="The harbour master counted forty boats yesterday.")])
    (doc,) = tiny_library.documents()
    tiny_library.edit_document(doc.id, published="2024-03-01")
    tiny_library.add_texts([TextRecord(source="crm/1", text="The harbour master counted fifty boats yesterday.")])
    stored = tiny_library.document(doc.id)
    assert "fifty" in stored.text and stored.published == "2024-03-01"
    # min_confidence=0: this is about the date the citation carries, not about abstention
    citation = next(c for c in tiny_library.ask("how many boats did the harbour master count?",
                                                min_confidence=0).citations
                    if "fifty" in c.evidence)
    assert [(d.text, d.value) for d in citation.dates] == [("yesterday", "2024-02-29")]


@pytest.mark.parametrize("kwargs, message", [
    ({"published": "15/10/2015"}, "write YYYY-MM-DD"),
    ({"published": "2015-02-30"}, "write YYYY-MM-DD"),
    ({"published": "October 2015"}, "write YYYY-MM-DD"),
    ({"title": "x" * 301}, "shorten it"),
])
def test_bad_values_are_refused_and_change_nothing(library, kwargs, message):
    generation = library.stats().generation
    with pytest.raises(RagError, match=message):
        library.edit_document(OLD, **kwargs)
    assert library.stats().generation == generation and library.document(OLD).published is None


def test_an_unknown_document_is_refused(library):
    with pytest.raises(UnknownDocumentError, match="python -m rag docs"):
        library.edit_document("no-such-document", published="2015-10-15")


def test_a_replica_refuses_and_then_sees_the_writers_change(library, tiny_encoder):
    with Library.open(library.folder, encoder=tiny_encoder, read_only=True) as replica:
        with pytest.raises(RagError, match="read-only"):
            replica.edit_document(OLD, published="2015-10-15")
        assert replica.document(OLD).published is None
        library.edit_document(OLD, published="2015-10-15")
        assert replica.document(OLD).published == "2015-10-15"
        assert warships_citation(replica).dates  # answers from the replica follow
        library.edit_document(OLD, title="Zeppelin delegation in Tehran")
        assert {h.passage.document_id for h in replica.search("zeppelin", mode="lexical")} == {OLD}


def test_a_schema_3_library_is_upgraded_and_can_be_edited(tmp_path, tiny_encoder):
    folder = tmp_path / "old"
    shutil.copytree(SAMPLES, tmp_path / "docs")
    with Library.open(folder, encoder=tiny_encoder) as library:
        library.add([tmp_path / "docs"])
    connection = sqlite3.connect(folder / store.DATABASE_NAME)
    connection.execute("DROP TABLE document_edits")  # exactly the schema-3 layout
    connection.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    connection.commit()
    connection.close()

    with pytest.raises(RagError, match="upgrade"):  # a replica never writes, so never upgrades
        Library.open(folder, encoder=tiny_encoder, read_only=True)
    with Library.open(folder, encoder=tiny_encoder) as library:
        assert library._meta()["schema_version"] == str(schema.SCHEMA_VERSION)
        assert library.passages_embedded == 0
        library.edit_document(OLD, published="2015-10-15")
        assert library.document(OLD).published == "2015-10-15"
    assert check_library(folder).ok


def test_a_document_embedded_elsewhere_without_the_users_title_gets_it_at_commit(library, samples_copy):
    """The Ray path: workers prepare and embed with the file's own title; the driver's commit
    (`Writer.store_embedded`, shared with local ingests) re-embeds such a document with the user's."""
    from rag.document_vectors import embed_documents
    from rag.ingest import FileInput, pipeline_fingerprint, prepare

    library.edit_document(OLD, title="Zeppelin delegation in Tehran")
    changed = samples_copy / "000_806c210b4fa405d6.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n\nA late paragraph about the admirals and "
                       "their officers visiting the port.", encoding="utf-8")
    item = FileInput(changed)
    encoder = library.encoder
    prepared = prepare(item, count_tokens=encoder.count_tokens, max_tokens=encoder.max_tokens)
    assert prepared.title != "Zeppelin delegation in Tehran"
    with library.writer.writing():
        library.writer.store_embedded([(embed_documents(encoder, [prepared])[0], OLD)], [], [],
                                       pipeline_fingerprint(encoder.name, encoder.max_tokens))
    assert library.document(OLD).title == "Zeppelin delegation in Tehran"
    assert {h.passage.document_id for h in library.search("zeppelin", mode="lexical")} == {OLD}
    assert library.search("zeppelin delegation", mode="dense")[0].passage.document_id == OLD
    assert check_library(library.folder).ok
