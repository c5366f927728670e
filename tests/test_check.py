"""`rag.check` and `python -m rag check`: each kind of damage is found, named, and repaired
only where the library can rebuild it from what it stores."""

import json
import shutil
import sqlite3

import pytest

from rag import Library
from rag.check import CHECKS, check_library
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
