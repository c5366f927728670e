"""`rag.check` and `python -m rag check`: each kind of damage is found, named, and repaired
only where the library can rebuild it from what it stores."""

import json
import shutil
import sqlite3

import pytest

from embeddings import Encoder
from rag import Library, RagError, TextRecord, store
from rag.check import CHECKS, check_library
from rag.check_snapshot import Snapshot
from rag.schema import SCHEMA_VERSION
from rag.cli import main
from tests.conftest import SAMPLES


@pytest.fixture
def library(tiny_library):
    tiny_library.add([SAMPLES])
    return tiny_library


def sql(library, statement, *arguments):
    with sqlite3.connect(library.folder / "library.sqlite") as db:
        db.execute(statement, arguments)


def vector_file(library):
    return library.folder / library._meta()["vector_file"]


def test_a_fresh_library_is_consistent(library):
    report = check_library(library.folder)
    assert report.ok and report.problems == report.leftovers == report.repaired == ()
    assert report.checks == ("database", *(check.name for check in CHECKS))


def test_an_empty_library_is_consistent(tiny_library):
    assert check_library(tiny_library.folder).ok


@pytest.mark.parametrize("damage, check, words", [
    (lambda lib: sql(lib, "DELETE FROM passages WHERE id IN (3, 4)"), ("passage vectors", "lexical index"),
     "2 vectors belong to no passage (ids 3, 4)"),
    (lambda lib: sql(lib, "DELETE FROM passage_terms WHERE rowid = 5"), "lexical index",
     "1 passages are missing from the lexical index (passage ids 5)"),
    (lambda lib: sql(lib, "UPDATE passage_terms SET terms = 'zeppelin' WHERE rowid = 6"), "lexical index",
     "1 lexical index rows do not match their passage's text (ids 6)"),
    (lambda lib: sql(lib, "INSERT INTO passage_terms(rowid, terms) VALUES (999, 'stray')"), "lexical index",
     "1 lexical index rows belong to no passage (ids 999)"),
    (lambda lib: vector_file(lib).unlink(), "vector file", "cannot read vector file"),
    (lambda lib: vector_file(lib).write_bytes(vector_file(lib).read_bytes()[:-100]), "vector file",
     "truncated or damaged"),
    (lambda lib: sql(lib, "UPDATE meta SET value = '2' WHERE key = 'next_passage_id'"), "metadata",
     "would collide"),
    (lambda lib: sql(lib, "UPDATE passages SET sentence_vectors = x'0102' WHERE id = 7"), "sentence vectors",
     "1 passages store sentence vectors that do not fit their sentences (passage ids 7)"),
])
def test_repairable_damage_is_found_and_repaired(library, damage, check, words):
    hits = {mode: library.search("joint naval drills", k=5, mode=mode) for mode in ("dense", "lexical", "hybrid")}
    damage(library)
    report = check_library(library.folder)
    expected = list(check) if isinstance(check, tuple) else [check]
    assert not report.ok and [f.check for f in report.problems] == expected
    assert words in report.problems[0].message and "--repair" in report.problems[0].message
    repaired = check_library(library.folder, repair=True, encoder=library.encoder)
    assert repaired.ok and repaired.repaired
    assert check_library(library.folder).ok
    reopened = Library.open(library.folder, encoder=library.encoder)
    if "passage vectors" not in check:  # there, two passages are really gone
        for mode in ("dense", "lexical", "hybrid"):
            assert reopened.search("joint naval drills", k=5, mode=mode) == hits[mode]


def test_passages_without_vectors_are_re_embedded_to_the_same_vectors(library):
    before = library._current_vectors()
    ids = [p.id for p in library.passages("000-806c210b4fa405d6")]
    index = Library.open(library.folder, encoder=library.encoder)._current_vectors()
    index.remove(ids)
    library.writer.replace_vectors(index)
    report = check_library(library.folder)
    assert f"{len(ids)} passages have no vector" in report.problems[0].message
    assert f"re-embedded {len(ids)} passages" in check_library(library.folder, repair=True).repaired[0]
    after = Library.open(library.folder, encoder=library.encoder)._current_vectors()
    assert after.vectors(ids) == pytest.approx(before.vectors(ids), abs=1e-6)


def test_offsets_outside_the_document_are_reported_not_repaired(library):
    sql(library, "UPDATE passages SET end = 999999 WHERE id = 7")
    sql(library, "UPDATE passages SET sentences = ? WHERE id = 9", json.dumps([[0, 5, 1]]))
    report = check_library(library.folder, repair=True)
    assert [f.check for f in report.problems] == ["offsets", "offsets"]
    assert "passage 7 of document" in report.problems[0].message
    assert "do not slice text" in report.problems[0].message
    assert "sentence at 0:5" in report.problems[1].message
    assert "python -m rag remove" in report.problems[0].message
    assert not any(f.repairable for f in report.problems) and report.repaired == ()


def test_leftover_files_are_harmless_and_deleted_by_repair(library):
    shutil.copy(vector_file(library), library.folder / "vectors-000099.faiss")
    (library.folder / "vectors-000100.faiss.abc.tmp").write_bytes(b"half")
    report = check_library(library.folder)
    assert report.ok and len(report.leftovers) == 2
    assert "vectors-000099.faiss is not used" in report.leftovers[0].message
    repaired = check_library(library.folder, repair=True)
    assert repaired.ok and repaired.leftovers == ()
    assert sorted(p.name for p in library.folder.glob("vectors-*")) == [vector_file(library).name]


def test_a_schema_problem_stops_the_other_checks(library):
    sql(library, "UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    report = check_library(library.folder, repair=True)
    assert report.checks == ("database", "schema") and report.repaired == ()
    assert "schema 99" in report.problems[0].message


@pytest.mark.parametrize("make", [
    lambda folder: folder.mkdir(),
    lambda folder: (folder.mkdir(), (folder / "library.sqlite").write_bytes(b"not a database" * 100)),
])
def test_not_a_library(tmp_path, make):
    make(tmp_path / "x")
    report = check_library(tmp_path / "x")
    assert not report.ok and report.problems[0].check == "database"
    assert "not a library" in report.problems[0].message or "cannot be read" in report.problems[0].message


def test_cli_exit_status_and_output(library, capsys):
    assert main(["check", "--library", str(library.folder)]) == 0
    assert capsys.readouterr().out.endswith("ok        leftover files\nThe library is consistent.\n")
    vector_file(library).unlink()
    assert main(["check", "--library", str(library.folder)]) == 1
    out = capsys.readouterr().out
    assert "PROBLEM   vector file: the vector file vectors-000001.faiss cannot be used" in out
    assert out.endswith("1 problem found.\n")
    assert main(["check", "--library", str(library.folder), "--repair"]) == 0
    assert "repaired  vectors: re-embedded" in capsys.readouterr().out


# ------------------------------------------------------------------ damage check used to miss
# Each test damages a real library the way a disk, a careless copy or an edit would, then
# asks what a user sees: searching gives a RagError that says what to run (never a
# traceback), `check` names the damage, and `--repair` fixes it only from trusted data.
QUESTION = "joint naval drills"
MODES = ("dense", "lexical", "hybrid")


def results(library):
    return {mode: library.search(QUESTION, k=5, mode=mode) for mode in MODES}


def reopened(library):
    return Library.open(library.folder, encoder=library.encoder)


def a_document(library):
    return library.documents()[0].id


def damage_text(library, document_id, new_bytes_at_100: bytes):
    """Replace one byte of the stored text (as bytes) at offset 100."""
    sql(library, "UPDATE documents SET text = CAST(substr(CAST(text AS BLOB), 1, 100) || ? || "
                 "substr(CAST(text AS BLOB), 102) AS TEXT) WHERE id = ?", new_bytes_at_100, document_id)


def test_a_damaged_fts5_index_is_found_and_rebuilt(library):
    before = results(library)
    sql(library, "DELETE FROM passage_terms_data WHERE id > 10")  # the inverted index; the rows stay
    with pytest.raises(RagError, match="check --repair"):
        reopened(library).search(QUESTION, mode="lexical")
    report = check_library(library.folder)
    assert [f.check for f in report.problems] == ["lexical index"]
    assert "integrity-check" in report.problems[0].message and "--repair" in report.problems[0].message
    repaired = check_library(library.folder, repair=True, encoder=library.encoder)
    rows = library.stats().passages
    assert repaired.ok and repaired.repaired == (f"lexical index: rebuilt {rows} rows from the stored text",)
    assert results(reopened(library)) == before


def test_damaged_sentence_offsets_are_named_and_derived_again(library):
    document_id = a_document(library)
    passages = library.passages(document_id)
    sql(library, "UPDATE passages SET sentences = '[[1, 2' WHERE id = ?", passages[1].id)
    with pytest.raises(RagError, match=f"document {document_id}.*check --repair"):
        reopened(library).passages(document_id)
    report = check_library(library.folder)
    assert [f.check for f in report.problems] == ["sentences"]
    assert f"passages of document {document_id}" in report.problems[0].message
    assert f"(passage ids {passages[1].id})" in report.problems[0].message
    repaired = check_library(library.folder, repair=True, encoder=library.encoder)
    assert repaired.ok and "sentence offsets: derived again" in repaired.repaired[0]
    assert reopened(library).passages(document_id) == passages  # the same spans ingest found


def test_damaged_offsets_in_damaged_text_name_the_document_to_ingest_again(library):
    document_id = a_document(library)
    passage = library.passages(document_id)[1]
    sql(library, "UPDATE passages SET sentences = 'garbage' WHERE id = ?", passage.id)
    damage_text(library, document_id, b"#")
    report = check_library(library.folder, repair=True, encoder=library.encoder)
    assert report.repaired == () and [d for d, _ in report.reingest] == [document_id]
    assert [f.check for f in report.problems] == ["texts"]


def test_invalid_utf8_in_a_stored_text_names_the_document(library, capsys):
    document_id = a_document(library)
    source = library.document(document_id).source
    damage_text(library, document_id, b"\xff")
    with pytest.raises(RagError, match="python -m rag check"):
        reopened(library).ask(QUESTION, k=20)
    with pytest.raises(RagError, match=f"text of document {document_id} is damaged"):
        reopened(library).document(document_id)
    report = check_library(library.folder, repair=True, encoder=library.encoder)
    assert [f.check for f in report.problems] == ["texts"] and [d for d, _ in report.reingest] == [document_id]
    message = report.problems[0].message
    assert f"document {document_id} ({source})" in message and "not valid UTF-8 (byte 100" in message
    assert "python -m rag remove" in message
    main(["check", "--library", str(library.folder)])
    assert f"Ingest again (remove, then ingest): {document_id} ({source})" in capsys.readouterr().out
    # Following the advice gives a consistent library again.
    fixed = reopened(library)
    fixed.remove(document_id)
    fixed.add([source])
    assert check_library(library.folder).ok


def test_a_flipped_bit_in_valid_utf8_is_never_repaired_from(library):
    document_id = a_document(library)
    passage = library.passages(document_id)[0]
    original = library.document(document_id).text[100]
    damage_text(library, document_id, b"Q" if original != "Q" else b"R")
    other = library.passages(library.documents()[1].id)[0]
    sql(library, "DELETE FROM passage_terms WHERE rowid = ?", other.id)  # so the lexical index is rebuilt
    report = check_library(library.folder, repair=True, encoder=library.encoder)
    assert report.repaired[0].startswith("lexical index: rebuilt")
    assert [f.check for f in report.problems] == ["texts"] and [d for d, _ in report.reingest] == [document_id]
    assert "does not match the checksum recorded when it was ingested" in report.problems[0].message
    with sqlite3.connect(library.folder / "library.sqlite") as db:  # nothing indexed from the damaged text
        assert db.execute("SELECT terms FROM passage_terms WHERE rowid = ?", (passage.id,)).fetchall() == []


def upgraded_without(library, column: str, version: str, upgrade) -> None:
    """The library as schema `version` stored it (without `column`), upgraded by `upgrade`:
    then clean, with the same search results."""
    sql(library, f"ALTER TABLE documents DROP COLUMN {column}")
    sql(library, "UPDATE meta SET value = ? WHERE key = 'schema_version'", version)
    before = results(library)
    upgrade(library)
    report = check_library(library.folder)
    assert report.ok and report.repaired == ()
    assert results(reopened(library)) == before


@pytest.mark.parametrize("upgrade", [reopened, lambda library: check_library(library.folder)])
def test_an_upgrade_records_checksums_of_the_present_text(library, upgrade):
    upgraded_without(library, "text_sha256", "5", upgrade)
    damage_text(library, a_document(library), b"#")
    assert check_library(library.folder).problems[0].check == "texts"


@pytest.mark.parametrize("upgrade", [reopened, lambda library: check_library(library.folder)])
def test_an_upgrade_from_schema_6_gives_documents_no_link_words_and_changes_no_result(library, upgrade):
    upgraded_without(library, "link_words", "6", upgrade)
    assert [d.link_words for d in map(reopened(library).document, [d.id for d in library.documents()])] == [
        ""] * len(library.documents())


@pytest.mark.parametrize("upgrade", [reopened, lambda library: check_library(library.folder)])
def test_an_upgrade_from_schema_8_stores_no_definitions_and_changes_no_result(library, upgrade):
    """Schema 8 read a document's short forms and full names at question time: upgraded, its
    documents have none stored, and answers read them as before."""
    asked = [library.ask(q, min_confidence=0) for q in (QUESTION, "Which countries are members of the SCO?")]
    upgraded_without(library, "definitions", "8", upgrade)
    with sqlite3.connect(library.folder / "library.sqlite") as db:
        assert {row[0] for row in db.execute("SELECT definitions FROM documents")} == {""}
    again = reopened(library)
    assert [again.ask(q.question, min_confidence=0) for q in asked] == asked


def test_check_upgrades_an_older_schema_as_opening_does(library):
    sql(library, "UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    report = check_library(library.folder)
    assert report.ok and report.repaired == (f"schema: upgraded from version 4 to {SCHEMA_VERSION}",)


def test_an_upgrade_of_a_library_with_undecodable_text_names_the_document(library):
    document_id = a_document(library)
    damage_text(library, document_id, b"\xff")
    sql(library, "UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    report = check_library(library.folder)
    assert report.repaired == (f"schema: upgraded from version 5 to {SCHEMA_VERSION}",)
    assert [f.check for f in report.problems] == ["texts"] and [d for d, _ in report.reingest] == [document_id]


@pytest.mark.parametrize("key, value, repaired", [
    ("generation", "abc", "generation set to 1"),
    ("next_passage_id", "-3", "next_passage_id set to 26"),
    ("dimension", "64.0", "dimension set to 64"),
])
def test_a_metadata_value_that_is_not_a_number_is_an_error_and_repaired(library, key, value, repaired):
    before = results(library)
    open_library = reopened(library)
    sql(library, "UPDATE meta SET value = ? WHERE key = ?", value, key)
    for attempt in (lambda: Library.open(library.folder, encoder=library.encoder),
                    lambda: open_library.search(QUESTION), open_library.stats):
        with pytest.raises(RagError, match=f"meta.{key} is '{value}'.*check --repair"):
            attempt()
    report = check_library(library.folder)
    assert [f.check for f in report.problems] == ["metadata"]
    fixed = check_library(library.folder, repair=True, encoder=library.encoder)
    assert fixed.ok and fixed.repaired == (f"metadata: {repaired}",)
    assert results(reopened(library)) == before


def test_a_vector_file_outside_the_folder_is_never_read_nor_its_own_deleted(library, tmp_path, tiny_encoder):
    other = Library.open(tmp_path / "other", encoder=tiny_encoder)
    other.add_texts([TextRecord("other.txt", "Zebras graze on the savanna at dawn. " * 5)])
    foreign = other.folder / other._meta()["vector_file"]
    foreign_bytes = foreign.read_bytes()
    before = results(library)
    sql(library, "UPDATE meta SET value = ? WHERE key = 'vector_file'", f"../other/{foreign.name}")
    with pytest.raises(RagError, match="meta.vector_file"):
        Library.open(library.folder, encoder=library.encoder)
    report = check_library(library.folder)
    assert report.problems[0].check == "metadata" and "inside the library folder" in report.problems[0].message
    assert report.leftovers == ()  # its own file is not taken for a leftover
    repaired = check_library(library.folder, repair=True, encoder=library.encoder)
    assert repaired.ok and repaired.repaired[0] == "metadata: vector_file dropped"
    assert results(reopened(library)) == before
    assert foreign.read_bytes() == foreign_bytes


def test_a_vector_file_of_an_older_generation_is_detected(library):
    old = vector_file(library).read_bytes()
    library.add_texts([TextRecord("zebras.txt", "Zebras graze on the savanna at dawn, far from any naval drills. " * 3)])
    current = vector_file(library)
    current.write_bytes(old)  # a restore of the wrong file
    with pytest.raises(RagError, match=f"{current.name} does not belong to it.*generation 1.*check --repair"):
        reopened(library).search("zebras savanna", mode="hybrid")
    report = check_library(library.folder)
    assert report.problems[0].check == "vector file"
    assert "holds the vectors of generation 1, not of generation 2" in report.problems[0].message
    assert check_library(library.folder, repair=True, encoder=library.encoder).ok
    fixed = reopened(library)
    for mode in MODES:
        assert fixed.search("zebras savanna", k=1, mode=mode)[0].passage.source == "zebras.txt"


def test_other_weights_at_the_model_path_are_noticed(tmp_path, tiny_model_dir):
    model = tmp_path / "model"
    shutil.copytree(tiny_model_dir, model)
    library = Library.open(tmp_path / "library", encoder=Encoder(str(model)))
    library.add([SAMPLES])
    weights = model / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01  # one weight changes
    weights.write_bytes(bytes(data))
    vector_file(library).unlink()  # damage a repair would re-embed with the other weights
    report = check_library(library.folder, repair=True)
    assert report.repaired == () and [f.check for f in report.problems] == ["model", "vector file"]
    assert "has other weights than the library was built with" in report.problems[0].message
    with pytest.raises(RagError, match="other weights"):
        Library.open(library.folder).add_texts([TextRecord("new.txt", "A new text about drills at sea.")])


def test_a_damaged_fts5_index_is_found_through_a_read_only_connection_too(library):
    database = library.folder / "library.sqlite"
    reader = store.connect(database, read_only=True)
    assert Snapshot(library.folder, reader, {}).lexical_index_damage() is None
    sql(library, "DELETE FROM passage_terms_data WHERE id > 10")
    assert "malformed" in Snapshot(library.folder, reader, {}).lexical_index_damage()
    reader.close()
