"""Concurrency with real processes and threads: two ingests, searches during an ingest,
two processes creating one new library, and several UI sessions asking at once."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rag import Library
from rag.check import check_library
from tests.conftest import DRILLS_QUESTION
from tests.test_browser import CHROMIUM, ask, browser, open_app, server  # noqa: F401 - fixtures
from tests.test_crash_safety import article
from tests.zygote import Zygote

QUERY = "navy drills in the harbour"


@pytest.fixture(scope="module")
def zygote(tmp_path_factory, tiny_model_dir):
    process = Zygote(tiny_model_dir, tmp_path_factory.mktemp("zygote"))
    yield process
    process.close()


def write_articles(folder: Path, count: int, version: int, seed: int = 1) -> Path:
    folder.mkdir(exist_ok=True)
    rng = random.Random(seed * 1000 + version)
    for i in range(count):
        (folder / f"a{i:02d}.txt").write_text(article(rng, f"Article {i} v{version}", 6), encoding="utf-8")
    return folder


def holds_write_lock(pid: int, library: Path) -> bool:
    """Whether process `pid` holds the flock on the library's write.lock (/proc/locks)."""
    try:
        inode = (library / "write.lock").stat().st_ino
    except FileNotFoundError:
        return False
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if fields[1] == "FLOCK" and fields[4] == str(pid) and fields[5].endswith(f":{inode}"):
            return True
    return False


def passage_ids(library: Library) -> list[int]:
    return sorted(p.id for d in library.documents() for p in library.passages(d.id))


# ------------------------------------------------------------------ two writers
def test_a_second_ingest_fails_clearly_while_the_first_holds_the_library(zygote, tmp_path, tiny_encoder):
    source = write_articles(tmp_path / "source", 40, version=1)
    library = tmp_path / "library"
    Library.open(library, encoder=tiny_encoder).close()
    first = zygote.spawn("rag.cli:main", [["ingest", str(source), "--library", str(library)]])
    while not holds_write_lock(first, library):
        time.sleep(0.001)
    os.kill(first, signal.SIGSTOP)  # frozen mid-ingest, holding the lock: no race with its end
    try:
        second = zygote.run("rag.cli:main", [["ingest", str(source), "--library", str(library)]])
    finally:
        os.kill(first, signal.SIGCONT)
    assert second.code == 1
    assert second.stderr.startswith(f"error: Another ingest is writing to the library at {library}; "
                                    "wait for it to finish and try again")
    assert zygote.wait(first).code == 0
    assert check_library(library).ok
    assert len(Library.open(library, encoder=tiny_encoder).documents()) == 40


# ------------------------------------------------------------------ readers during writes
def search_loop(folder: str, out: str, stop: str) -> int:
    """In a child process: search until `stop` exists, one JSON line per result."""
    library = Library.open(folder)
    with open(out, "w") as lines:
        while not os.path.exists(stop):
            try:
                result = sorted(h.passage.id for h in library.search(QUERY, k=1000))
            except Exception as error:  # recorded, so the test shows it
                result = repr(error)
            lines.write(json.dumps(result) + "\n")
    return 0


def ingest_versions(library: Library, source: Path, versions: int) -> list[list[int]]:
    """Re-ingest the folder `versions` times with changed files; each generation's passages."""
    generations = [passage_ids(library)]
    for version in range(2, versions + 2):
        write_articles(source, 3 + version % 3, version)
        library.add([source])
        generations.append(passage_ids(library))
    return generations


def test_searches_in_another_process_see_only_whole_generations(zygote, tmp_path, tiny_encoder):
    source = write_articles(tmp_path / "source", 4, version=1)
    library = Library.open(tmp_path / "library", encoder=tiny_encoder)
    library.add([source])
    out, stop = tmp_path / "seen.jsonl", tmp_path / "stop"
    reader = zygote.spawn("tests.test_concurrency:search_loop", [str(library.folder), str(out), str(stop)])
    while not out.exists() or not out.read_text():
        time.sleep(0.01)  # the reader is searching before the first write
    generations = ingest_versions(library, source, 25)
    stop.touch()
    assert zygote.wait(reader).code == 0
    seen = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(seen) > 25
    assert [s for s in seen if s not in generations] == []  # no error, no mixed state


def test_searches_in_other_threads_see_only_whole_generations(tmp_path, tiny_encoder):
    source = write_articles(tmp_path / "source", 4, version=1)
    library = Library.open(tmp_path / "library", encoder=tiny_encoder)
    library.add([source])
    done = threading.Event()

    def search_until_done():
        seen = []
        while not done.is_set():
            seen.append(sorted(h.passage.id for h in library.search(QUERY, k=1000)))
        return seen

    with ThreadPoolExecutor(3) as pool:
        readers = [pool.submit(search_until_done) for _ in range(2)]
        try:
            generations = ingest_versions(library, source, 15)
        finally:
            done.set()
        seen = [s for reader in readers for s in reader.result()]  # re-raises any error
    assert len(seen) > 15 and [s for s in seen if s not in generations] == []


# ------------------------------------------------------------------ creating a library
def test_processes_creating_one_new_library_at_the_same_instant(zygote, tmp_path):
    for round_ in range(12):
        folder = tmp_path / f"new-{round_}"
        children = [zygote.spawn("rag.library:Library.open", [str(folder)], gated=True) for _ in range(4)]
        zygote.open_gate()  # all four start together
        outcomes = [zygote.wait(pid) for pid in children]
        assert [o.code for o in outcomes] == [0] * 4, [o.stderr for o in outcomes]
        assert check_library(folder).ok


# ------------------------------------------------------------------ the UI
LIGHTHOUSE = (b"Lighthouse Log\n\nThe keeper of the Gull Point lighthouse logged eleven cargo ships "
              b"passing the northern reef during the night storm on Friday.")


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium (scripts/setup.sh --browser)")
def test_several_ui_sessions_asking_at_once_keep_answering(server, browser, tmp_path):
    """Four browser sessions on one `streamlit run` server: three ask at the same moment
    while the fourth uploads a document, twice over; every session gets its answer."""
    pages = [open_app(browser, server)[0] for _ in range(4)]
    upload = tmp_path / "lighthouse.txt"
    upload.write_bytes(LIGHTHOUSE)
    rounds = [
        [(DRILLS_QUESTION, "Bandar Abbas"), ("who is Iran's defense minister?", "defense minister"),
         ("how long did the joint training last?", "four days")],
        [("how many cargo ships did the Gull Point keeper log?", "eleven cargo ships"),
         (DRILLS_QUESTION, "Bandar Abbas"), ("how long did the joint training last?", "four days")],
    ]
    for turn, questions in enumerate(rounds):
        if turn == 0:  # the upload runs while the others' questions are answered
            pages[3].locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(upload))
            pages[3].get_by_role("button", name="Add to library").click()
        for page, (question, _) in zip(pages, questions):
            ask(page, question)  # returns at once: all three are in flight together
        if turn == 0:
            expect(pages[3].get_by_text("lighthouse.txt: added")).to_be_visible(timeout=120_000)
        for page, (_, expected) in zip(pages, questions):
            answer = page.locator(".answer").nth(turn)
            expect(answer).to_contain_text(expected, timeout=120_000)
            expect(answer.locator("a.cite").first).to_have_text("[1]")
    for page in pages:
        assert page.get_by_test_id("stException").count() == 0
