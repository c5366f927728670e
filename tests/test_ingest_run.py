"""Streaming ingest (`rag.ingest_run`): documents committed in generations of bounded size
as they are embedded, seen by another process while the ingest runs, and an ingest killed
with SIGKILL half-way resumed by running it again. Real SQLite, FAISS and the tiny model.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag import Library
from rag.check import check_library
from rag.errors import RagError
from tests.conftest import REPO

WORDS = ("harbour navy drills ships coast patrol budget council vote report minister oil exports "
         "talks treaty storm rescue crew port cargo fleet grain tariff bridge court").split()


def write_articles(folder: Path, count: int) -> list[Path]:
    """`count` distinct articles of 2-4 paragraphs (one passage each) under a title line."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        paragraphs = [" ".join(WORDS[(n * 7 + p * 3 + i) % len(WORDS)] for i in range(12)).capitalize()
                      + f" number {n} part {p}." for p in range(2 + n % 3)]
        path = folder / f"article-{n:04d}.txt"
        path.write_text(f"Article {n}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def documents_seen_by_another_process(folder: Path) -> int:
    code = ("import sys; from rag import Library; "
            "print(Library.open(sys.argv[1], read_only=True).stats().documents)")
    result = subprocess.run([sys.executable, "-c", code, str(folder)], cwd=REPO, capture_output=True,
                            text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, check=True)
    return int(result.stdout)


def passages_per_document(library: Library) -> dict[str, tuple]:
    return {d.source: tuple((p.start, p.end, p.text) for p in library.passages(d.id)) for d in library.documents()}


def test_documents_are_committed_in_bounded_generations_and_another_process_sees_them_arrive(
        tmp_path, tiny_encoder):
    files = write_articles(tmp_path / "articles", 30)
    library = Library.open(tmp_path / "library", encoder=tiny_encoder)
    library.add(files[:1])  # the library exists before the streamed ingest starts
    seen = []

    def at_each_commit(stage, done, total):
        if stage == "stored" and len(seen) < 3:
            seen.append((documents_seen_by_another_process(library.folder), library.stats().generation))

    start = library.stats().generation
    report = library.add(files, commit_every=10, on_progress=at_each_commit)

    assert len(report.added) == 29 and report.skipped == (str(files[0]),)
    counts = [count for count, _ in seen]
    assert counts == sorted(set(counts)) and 1 < counts[0] and counts[-1] < 30  # arriving, not all at once
    assert [generation for _, generation in seen] == [start + 1, start + 2, start + 3]  # one commit each
    # Each generation holds at least 10 passages and stops at the document that reaches 10.
    assert all(1 <= later - earlier <= 5 for earlier, later in zip([1] + counts, counts))
    assert documents_seen_by_another_process(library.folder) == 30
    assert check_library(library.folder).ok

    whole = Library.open(tmp_path / "one-commit", encoder=tiny_encoder)
    whole.add(files, commit_every=10**9)  # today's ingest: one generation
    assert passages_per_document(library) == passages_per_document(whole)
    assert [d.id for d in library.documents()] == [d.id for d in whole.documents()]


def test_commit_every_must_be_a_positive_number_of_passages(tiny_library, samples_copy):
    for wrong in (0, -5, 2.5, True):
        with pytest.raises(RagError, match="commit_every must be a whole number.*Nothing was added"):
            tiny_library.add([samples_copy], commit_every=wrong)
    assert tiny_library.stats().documents == 0


def committed_documents(database: Path) -> int:
    if not database.exists():
        return 0
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    try:
        return connection.execute("SELECT count(*) FROM documents").fetchone()[0]
    except sqlite3.OperationalError:  # the schema is not created yet
        return 0
    finally:
        connection.close()


def cli(*args: str, **options) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "rag", *args], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "HF_HUB_OFFLINE": "1"}, **options)


def test_an_ingest_killed_half_way_resumes_where_it_stopped(tmp_path, tiny_model_dir, tiny_encoder):
    files = write_articles(tmp_path / "articles", 400)
    folder = tmp_path / "library"
    argv = ("ingest", str(tmp_path / "articles"), "--library", str(folder), "--model", tiny_model_dir,
            "--commit-every", "20")
    running = cli(*argv)
    deadline = time.monotonic() + 120
    while committed_documents(folder / "library.sqlite") == 0 and running.poll() is None:
        assert time.monotonic() < deadline, "the ingest committed nothing in two minutes"
        time.sleep(0.02)
    os.kill(running.pid, signal.SIGKILL)
    running.communicate()
    assert running.returncode == -signal.SIGKILL
    committed = committed_documents(folder / "library.sqlite")
    assert 0 < committed < len(files)  # killed half-way, with whole generations committed
    assert check_library(folder).ok  # what the killed run left is consistent

    resumed = cli(*argv)
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    assert f"{len(files) - committed} added, 0 updated, {committed} unchanged, 0 failed" in out

    checked = subprocess.run([sys.executable, "-m", "rag", "check", "--library", str(folder)], cwd=REPO,
                             capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    library = Library.open(folder, encoder=tiny_encoder)
    sources = [d.source for d in library.documents()]
    assert sorted(sources) == sorted(str(f.resolve()) for f in files)  # each file once, none missing
    whole = Library.open(tmp_path / "one-commit", encoder=tiny_encoder)
    whole.add(files)
    assert passages_per_document(library) == passages_per_document(whole)
    assert library.stats().passages == whole.stats().passages
