"""`python -m rag` as a user runs it: real processes, the packaged model, JSON on stdout."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import DRILLS_QUESTION, REPO, SAMPLES

CITATION_KEYS = {"n", "document_id", "title", "published", "source", "paragraph", "start", "end",
                 "passage", "evidence", "evidence_start", "evidence_end", "score", "evidence_score", "dates"}


def run(*args, library=None, check=True):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    if library is not None:
        env["RAG_LIBRARY"] = str(library)
    result = subprocess.run([sys.executable, "-m", "rag", *args], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def cli_library(tmp_path_factory):
    """Built by the first `ask`, as a newcomer's first command would build it."""
    folder = tmp_path_factory.mktemp("cli") / "library"
    result = run("ask", DRILLS_QUESTION, "--json", library=folder)
    return folder, result


def test_first_ask_builds_the_library_and_prints_one_json_object(cli_library):
    folder, result = cli_library
    assert (folder / "library.sqlite").exists()
    assert "building it from" in result.stderr
    answer = json.loads(result.stdout)
    assert set(answer) >= {"question", "answer", "abstained", "confidence", "citations"}
    assert 0 <= answer["confidence"] <= 1
    assert answer["question"] == DRILLS_QUESTION and answer["abstained"] is False
    citations = answer["citations"]
    assert [c["n"] for c in citations] == list(range(1, len(citations) + 1))
    assert all(set(c) == CITATION_KEYS and f"[{c['n']}]" in answer["answer"] for c in citations)
    bandar_abbas = next(c for c in citations if "Bandar Abbas" in c["evidence"])
    raw = (SAMPLES / "000_806c210b4fa405d6.txt").read_text(encoding="utf-8")
    assert bandar_abbas["evidence"] in raw  # cleaned text, but the sentence itself is verbatim


def test_ask_says_its_confidence_as_the_json_gives_it_and_the_ui_words_it(cli_library):
    from rag.confidence import UNCERTAIN_BELOW, statement

    folder, _ = cli_library
    question = "does China still buy Iranian oil?"  # answered, but not surely (~0.35)
    given = json.loads(run("ask", question, "--json", library=folder).stdout)
    printed = run("ask", question, library=folder).stdout.splitlines()
    line = given["confidence_statement"]
    assert line in printed and line.startswith(f"confidence {given['confidence']:.2f}")
    assert line == statement(given["confidence"], given["abstained"])  # the claim is [1] alone here
    assert ("uncertain" in line) == (not given["abstained"] and given["confidence"] < UNCERTAIN_BELOW)


def test_search_json_and_docs(cli_library):
    folder, _ = cli_library
    hits = json.loads(run("search", "oil imports", "--k", "3", "--json", library=folder).stdout)
    assert hits["query"] == "oil imports" and [h["rank"] for h in hits["hits"]] == [1, 2, 3]
    assert set(hits["hits"][0]) == {"rank", "document_id", "title", "published", "source",
                                    "paragraph", "start", "end", "passage", "score"}
    docs = run("docs", library=folder).stdout
    assert "000-806c210b4fa405d6" in docs and "2025-06-26" in docs


def test_docs_columns_line_up_whatever_the_id_lengths(tmp_path, tiny_library):
    from rag import TextRecord

    tiny_library.add_texts([
        TextRecord(source="a", text="The harbour master counted forty fishing boats in the bay on Sunday."),
        TextRecord(source="crm/very-long-record-name-4711", text="The ferry to the island left an hour late."),
    ])
    tiny_library.close()
    lines = run("docs", library=tiny_library.folder).stdout.splitlines()
    assert len(lines) == 2
    # the date column starts at the same place on every line
    assert len({line.index("----------") for line in lines}) == 1


def test_ingest_remove_and_errors(cli_library, tmp_path):
    folder, _ = cli_library
    good = tmp_path / "harbour.txt"
    good.write_text("Harbour Report\n\nThe harbour master counted forty fishing boats in the bay on Sunday morning.",
                    encoding="utf-8")
    untitled = tmp_path / "quay_notes.txt"
    untitled.write_text("The ferry left the northern quay at noon with two hundred passengers.", encoding="utf-8")
    out = run("ingest", str(good), str(untitled), library=folder).stdout
    assert "added    harbour" in out and "2 added" in out
    docs = run("docs", library=folder).stdout
    assert "harbour" in docs
    # no headline, no title: the listing shows the file as the source, not as a title
    assert "paragraphs  (no title) quay_notes.txt" in docs
    assert "removed  quay-notes" in run("remove", "quay-notes", library=folder).stdout
    assert "removed  harbour" in run("remove", "harbour", library=folder).stdout
    assert "harbour" not in run("docs", library=folder).stdout

    bad = tmp_path / "binary.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    failed = run("ingest", str(bad), library=folder, check=False)
    assert failed.returncode == 1 and "binary" in failed.stderr and "1 failed" in failed.stdout

    missing = run("ingest", str(tmp_path / "nope"), library=folder, check=False)
    assert missing.returncode == 1 and missing.stderr.startswith("error: No such file or folder")
    unknown = run("remove", "no-such-doc", library=folder, check=False)
    assert unknown.returncode == 1 and "python -m rag docs" in unknown.stderr
    empty = run("ask", "   ", library=folder, check=False)
    assert empty.returncode == 1 and "empty" in empty.stderr and empty.stdout == ""


def test_help_and_opening_a_library_do_not_import_torch(cli_library):
    folder, _ = cli_library
    code = (
        "import sys, contextlib, io\n"
        "from rag.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    main(['docs', '--library', {str(folder)!r}])\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True)
    assert result.stdout.split() == ["False", "False"], result.stderr
    assert run("--help").stdout.startswith("usage: python -m rag")


def test_cli_modes_are_the_library_modes():
    """The CLI lists the modes itself (so --help stays import-free); they must not drift."""
    from rag import SEARCH_MODES, cli

    assert cli.MODES == SEARCH_MODES


TERMINAL_TRICKS = "\x1b[2J\x1b]0;pwned\x07Harbour \u202eReport"  # clear screen, retitle, reorder


def test_titles_and_file_names_cannot_drive_the_terminal_or_forge_lines(tmp_path, tiny_library):
    from rag import TextRecord

    tiny_library.add_texts([TextRecord(source="crm/1", title=TERMINAL_TRICKS,
                                       text="The harbour master counted forty fishing boats in the bay on Sunday.")])
    tiny_library.close()
    folder = tiny_library.folder
    docs = run("docs", library=folder).stdout
    asked = run("ask", "how many fishing boats did the harbour master count?", "--k", "1", library=folder).stdout
    for out in (docs, asked):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
        assert "\\x1b[2J\\x1b]0;pwned\\x07Harbour \\u202eReport" in out
    forged = tmp_path / "bad\nadded    forged.txt"
    forged.write_bytes(bytes(range(256)) * 4)
    failed = run("ingest", str(forged), library=folder, check=False)
    assert failed.returncode == 1 and not any(line.startswith("added") for line in failed.stderr.splitlines())
    assert f"failed   {tmp_path}/bad\\nadded    forged.txt: " in failed.stderr


def test_docs_into_a_pipe_that_is_closed_ends_quietly(cli_library):
    folder, _ = cli_library
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written, as after `| head -1`
    result = subprocess.run([sys.executable, "-m", "rag", "docs", "--library", str(folder)], cwd=REPO,
                            stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=600)
    os.close(write_end)
    assert (result.returncode, result.stderr) == (141, "")


def test_an_unknown_document_filter_and_an_empty_path_are_errors(cli_library):
    folder, _ = cli_library
    unknown = run("search", "naval drills", "--document", "no-such-doc", library=folder, check=False)
    assert unknown.returncode == 1 and unknown.stdout == ""
    assert unknown.stderr.startswith("error: No document with id 'no-such-doc' in this library")
    empty = run("ingest", "", library=folder, check=False)
    assert empty.returncode == 1 and "An empty path names no file or folder" in empty.stderr


def test_a_read_only_library_is_checked_and_its_changes_refused_in_one_line(tmp_path, tiny_library):
    from tests.test_bad_input import GOOD, mounted

    tiny_library.add([SAMPLES])
    tiny_library.close()
    document = tmp_path / "harbour.txt"
    document.write_text(GOOD, encoding="utf-8")
    with mounted(tmp_path / "read-only", "--bind", str(tiny_library.folder)) as target:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        checked = run("check", library=target)
        assert checked.stdout.endswith("The library is consistent.\n")
        assert "000-806c210b4fa405d6" in run("docs", library=target).stdout
        for command in (("ingest", str(document)), ("remove", "000-806c210b4fa405d6"), ("check", "--repair")):
            refused = run(*command, library=target, check=False)
            assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
            assert refused.stderr.startswith(f"error: The library at {target} is read-only")
