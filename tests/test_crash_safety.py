"""Crash safety: a real ingest process killed with SIGKILL at seeded random moments.

Each run starts from a copy of a library holding file set A, then runs the CLI's own
`main(["ingest", ...])` in a real child process (forked from a pre-warmed parent, see
`tests/zygote.py`) over the same folder after some files changed and some were added, and
kills it. Kill times are drawn inside the phases a calibration run measured (reading,
embedding, the SQLite inserts, writing the vector file, the commit), and where each kill
really landed is read back from the files it left. Afterwards the library must open, pass
`rag.check`, answer searches, hold exactly the old or the new state (one transaction), and
take the next ingest to the new state.
"""

from __future__ import annotations

import collections
import json
import random
import shutil
import time

import pytest

from rag import Library
from rag.check import check_library
from tests.zygote import Zygote

KILLS = 50  # runs whose process really died by SIGKILL (some finish before their kill)
MAX_RUNS = 90
SEED = 6
PHASES = ("reading", "embedding", "inserting rows", "writing vectors", "committing", "cleaning up")
WORDS = ("harbour navy drills ships coast patrol budget council vote report minister oil "
         "exports talks treaty storm rescue crew port cargo fleet").split()


def article(rng: random.Random, title: str, paragraphs: int) -> str:
    body = (" ".join(rng.choice(WORDS) for _ in range(rng.randint(14, 40))).capitalize() + "."
            for _ in range(paragraphs))
    return f"{title}\n\n" + "\n\n".join(body) + "\n"


def state(library: Library) -> dict:
    """Every document (by source file) with its text, metadata and passages."""
    return {d.source: (library.document(d.id), tuple(library.passages(d.id))) for d in library.documents()}


def timed_ingest(argv: list[str], timings_file: str) -> int:
    """Calibration only: the CLI ingest with timestamps at each phase boundary."""
    from embeddings import Encoder, VectorIndex
    from rag import store
    from rag.cli import main

    marks = {"start": time.monotonic()}

    def mark(name, function):
        def wrapped(*args, **kwargs):
            marks.setdefault(name, time.monotonic())
            result = function(*args, **kwargs)
            marks.setdefault(name + " done", time.monotonic())
            return result
        return wrapped

    Encoder.encode = mark("embedding", Encoder.encode)
    store.transaction.__enter__ = mark("inserting rows", store.transaction.__enter__)
    VectorIndex.save = mark("writing vectors", VectorIndex.save)
    store.transaction.__exit__ = mark("commit", store.transaction.__exit__)
    code = main(argv)
    with open(timings_file, "w") as out:
        json.dump({name: t - marks["start"] for name, t in marks.items()}, out)
    return code


@pytest.fixture(scope="module")
def setup(tmp_path_factory, tiny_model_dir, tiny_encoder):
    root = tmp_path_factory.mktemp("crash")
    rng = random.Random(SEED)
    source = root / "source"
    source.mkdir()
    for i in range(30):
        (source / f"a{i:02d}.txt").write_text(article(rng, f"Article {i}", rng.randint(4, 12)), encoding="utf-8")
    pristine = Library.open(root / "old", encoder=tiny_encoder)
    pristine.add([source])
    old = state(pristine)
    pristine.close()
    for i in (1, 4, 7, 10):  # set B: four files change, three are new
        (source / f"a{i:02d}.txt").write_text(article(rng, f"Article {i}, revised", 9), encoding="utf-8")
    for i in range(30, 33):
        (source / f"a{i:02d}.txt").write_text(article(rng, f"Article {i}", 8), encoding="utf-8")
    zygote = Zygote(tiny_model_dir, root)
    yield root, source, old, zygote
    zygote.close()


def ingest_argv(source, library) -> list[str]:
    return ["ingest", str(source), "--library", str(library)]


def calibrate(root, source, zygote) -> dict[str, tuple[float, float]]:
    """Kill-delay windows per phase, in seconds, from an unkilled run: after the fork for
    the long early phases; for the last ones, which last milliseconds (less than the jitter
    between runs), after the file event that opens them (see `aims`)."""
    shutil.copytree(root / "old", root / "calibration")
    timings = root / "timings.json"
    outcome = zygote.run("tests.test_crash_safety:timed_ingest",
                         [ingest_argv(source, root / "calibration"), str(timings)])
    assert outcome.code == 0, outcome.stderr
    t = json.loads(timings.read_text())
    committing = t["commit done"] - t["writing vectors done"]
    return {
        "reading": (0.0, t["embedding"]),
        "embedding": (t["embedding"], t["inserting rows"]),
        "inserting rows": (t["inserting rows"], t["writing vectors"]),
        "writing vectors": (0.0, t["writing vectors done"] - t["writing vectors"]),
        "committing": (0.0, committing),
        "cleaning up": (committing, committing + 0.005),
    }


def aims(library, generation: int) -> dict[str, tuple[str, bool] | None]:
    """The file event each phase's delay counts from (None: from the fork)."""
    new = str(library / f"vectors-{generation + 1:06d}.faiss")
    return {"reading": None, "embedding": None, "inserting rows": None,
            "writing vectors": (new + ".*.tmp", True),  # the temporary vector file appears
            "committing": (new, True), "cleaning up": (new, True)}  # it is renamed into place


def landed(library, generation: int) -> str:
    """Where the kill landed, read from what it left on disk."""
    new = f"vectors-{generation + 1:06d}.faiss"
    with Library.open(library) as opened:
        if opened.stats().generation > generation:
            return "after the commit"
    if list(library.glob(new + ".*.tmp")):
        return "writing vectors"
    if (library / new).exists():
        return "committing"
    return "before writing"


def runs_killed(places: collections.Counter) -> int:
    return sum(places.values()) - places["after it exited"]


def test_sigkill_at_random_moments_leaves_the_old_or_the_new_library(setup, tiny_encoder):
    root, source, old, zygote = setup
    windows = calibrate(root, source, zygote)
    new = state(Library.open(root / "calibration", encoder=tiny_encoder))
    assert new != old and set(old) < set(new)
    generation = Library.open(root / "old", encoder=tiny_encoder).stats().generation
    rng = random.Random(SEED)
    outcomes, places = collections.Counter(), collections.Counter()
    run = -1
    while runs_killed(places) < KILLS:
        run += 1
        assert run < MAX_RUNS, f"only {runs_killed(places)} of {run} runs were killed: {dict(places)}"
        library = root / f"run-{run}"
        shutil.copytree(root / "old", library)
        phase = PHASES[run % len(PHASES)]
        delay = rng.uniform(*windows[phase])
        outcome = zygote.run("rag.cli:main", [ingest_argv(source, library)],
                             kill_after=delay, once=aims(library, generation)[phase])
        assert outcome.killed or outcome.code == 0, outcome.stderr
        places[landed(library, generation) if outcome.killed else "after it exited"] += 1

        report = check_library(library)
        assert report.ok, (run, delay, report.problems)
        reopened = Library.open(library, encoder=tiny_encoder)
        after = state(reopened)
        for source_name in set(old) | set(new):  # each document: its old or its new content
            assert after.get(source_name) in (old.get(source_name), new[source_name]), (run, source_name)
        assert after in (old, new), run  # and all of them together: one transaction
        outcomes["new" if after == new else "old"] += 1
        hits = reopened.search("navy drills in the harbour", k=1000)
        assert len(hits) == sum(len(passages) for _, passages in after.values())
        if run % 6 == 0:  # the next ingest finishes the job and cleans up
            report = reopened.add([source])
            assert report.failed == (), (run, report.failed)
            assert state(reopened) == new
            final = check_library(library)
            assert final.ok and final.leftovers == ()
        reopened.close()
        shutil.rmtree(library)
    print(f"\n{run + 1} runs, seed {SEED}: {dict(outcomes)}; kills landed: {dict(places)}")
    assert outcomes["old"] and outcomes["new"]  # kills fell both before and after the commit
