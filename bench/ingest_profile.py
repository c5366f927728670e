"""Where `Library.add` spends its time, stage by stage, on the SQuAD dev paragraphs.

Workload: the 2,067 SQuAD v1.1 dev paragraphs written as one .txt file per article (as
bench/speed.py does), ingested into a new library with the packaged MiniLM. Each stage is
timed by wrapping the functions that do it (no sampling, no change to the product code);
a stage's seconds exclude the stages nested inside it (the tokenizer calls of passage
cutting count as cutting, the model run inside `encode_with_spans` as the model run), and
"other" is the wall time no wrapped function accounts for (Python glue, the Library).
Stages:

- reading: hashing (triage), reading bytes, decoding; cleaning: `rag.cleaning.clean`
- cutting: sentences and passages (`build_passages`, its token counts, title context)
- tokenizing: the encoder's token counts for sorting, and the model input's tokenizer
- passage embedding: the ONNX/torch model run, and mean pooling
- sentence embedding: pooling each sentence from the passage's token vectors
- SQLite rows: documents and passages (sentence-vector blobs included)
- lexical: analysing terms (stemming) and FTS5 inserts
- FAISS: adding vectors; vector file: serialising it; fsync: the vector file and its folder
- commit: SQLite's COMMIT (WAL, synchronous=FULL)

    HF_HUB_OFFLINE=1 nice -n 5 .venv/bin/python bench/ingest_profile.py [--backend onnx]
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import write_articles  # noqa: E402


def now() -> tuple[float, float]:
    """(wall, this process's CPU) seconds: on a shared machine CPU time is the steadier one
    (the model run's CPU time counts both of its threads)."""
    return time.perf_counter(), time.process_time()


class StageClock:
    """Exclusive wall and CPU seconds per stage: time inside a nested timed call goes to the
    inner stage."""

    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list] = []  # [stage, started (wall, cpu), nested wall, nested cpu]

    def wrap(self, owner, name: str, stage: str, *, only_outside: bool = False) -> None:
        """Time `owner.name` as `stage`; `only_outside`: calls made inside another timed
        stage stay that stage's (the tokenizer counting tokens for passage cutting)."""
        original = getattr(owner, name)
        if isinstance(original, (staticmethod, classmethod)):
            raise TypeError("wrap the function, not the descriptor")

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if only_outside and self._stack:
                return original(*args, **kwargs)
            frame = [stage, now(), 0.0, 0.0]
            self._stack.append(frame)
            try:
                return original(*args, **kwargs)
            finally:
                self._stack.pop()
                wall, cpu = (end - start for end, start in zip(now(), frame[1]))
                self.seconds[stage] += wall - frame[2]
                self.cpu[stage] += cpu - frame[3]
                self.calls[stage] += 1
                if self._stack:
                    self._stack[-1][2] += wall
                    self._stack[-1][3] += cpu

        setattr(owner, name, timed)


def instrument(clock: StageClock) -> None:
    """Wrap the functions of each stage where the ingest path looks them up."""
    import embeddings.onnx_model as onnx_model
    import embeddings.st_model as st_model
    import embeddings.vector_file as vector_file
    from embeddings.vector_index import VectorIndex
    from rag import ingest, ingest_run, store, writer
    from rag import vector_blob

    reading, cutting, model_run = "reading (hash, bytes, decode)", "passage + sentence cutting", \
        "passage embedding (model run)"
    stages = [
        (ingest, "file_hash", reading), (ingest.FileInput, "read", reading),
        (ingest, "clean", "cleaning"),
        (ingest, "build_passages", cutting), (ingest, "context_tokens", cutting),
        (ingest_run, "triage", "triage (SQLite lookups)"),
        (ingest.PreparedDocument, "contextual_passages", "texts in title context"),
        (ingest.PreparedDocument, "contextual_sentence_spans", "texts in title context"),
        # OnnxModel._run is the model input's tokenizer around session.run (wrapped below).
        (onnx_model.OnnxModel, "_run", "tokenizing (model input)"),
        (onnx_model, "_mean_pooled", model_run),
        (st_model.SentenceTransformerModel, "embed_with_spans", model_run),
        (onnx_model, "pool_spans", "sentence embedding (span pooling)"),
        (st_model, "pool_spans", "sentence embedding (span pooling)"),
        (store, "insert_document", "SQLite rows"), (store, "insert_passages", "SQLite rows"),
        (vector_blob, "pack", "SQLite rows"),
        (writer, "indexed_text", "lexical terms (analysis)"), (store, "insert_terms", "FTS5 inserts"),
        (VectorIndex, "add", "FAISS add"), (vector_file, "write", "vector file write"),
        (vector_file.os, "fsync", "fsync"), (store.transaction, "__exit__", "SQLite commit"),
    ]
    for owner, name, stage in stages:
        clock.wrap(owner, name, stage)
    for model in (onnx_model.OnnxModel, st_model.SentenceTransformerModel):
        clock.wrap(model, "count_tokens", "tokenizing (sort by length)", only_outside=True)
    original_init = onnx_model.OnnxModel.__init__

    def init_with_timed_session(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        clock.wrap(self._session, "run", model_run)

    onnx_model.OnnxModel.__init__ = init_with_timed_session


def run(backend: str, articles: Path, library: Path) -> tuple[StageClock, tuple[float, float], int]:
    from embeddings import Encoder
    from rag import Library

    clock = StageClock()
    instrument(clock)
    encoder = Encoder(backend=backend)
    encoder.dimension  # load the model outside the measured add
    lib = Library.open(library, encoder=encoder)
    started = now()
    report = lib.add([articles])
    return clock, tuple(end - start for end, start in zip(now(), started)), report.passages_embedded


def compare_pattern_cache(articles: Path, rounds: int) -> list[tuple[str, float, float]]:
    """`prepare` (read, clean, cut) of every article with pysbd on plain `re` (before) and on
    `rag.pysbd_patterns` (after), interleaved; the documents must come out identical."""
    from embeddings import Encoder
    from rag import pysbd_patterns, sentences
    from rag.ingest import FileInput, prepare_or_failure

    encoder = Encoder()
    files = sorted(articles.glob("*.txt"))
    sentences.sentence_spans("Warm up. The segmenter.")  # import pysbd before switching it
    timings, outputs = [], {}
    for _ in range(rounds):
        for name, enabled in (("before: plain re", False), ("after: cached patterns", True)):
            pysbd_patterns.install(enabled)
            sentences.clear_cache()
            started = now()
            outputs[name] = [prepare_or_failure(FileInput(f), encoder) for f in files]
            timings.append((name, *(end - start for end, start in zip(now(), started))))
    if len(set(map(repr, outputs.values()))) != 1:
        raise SystemExit("the pattern cache changed the prepared documents")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="auto", help="Encoder backend (default: auto)")
    parser.add_argument("--cutting-rounds", type=int, default=2,
                        help="rounds of the before/after comparison of sentence cutting (0: skip)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        articles = Path(tmp) / "squad"
        articles.mkdir()
        write_articles(articles)
        if args.cutting_rounds:
            print("read + clean + cut all 48 articles (`rag.ingest.prepare`), interleaved:")
            for name, wall, cpu in compare_pattern_cache(articles, args.cutting_rounds):
                print(f"  {name:24} wall {wall:6.2f} s, CPU {cpu:6.2f} s", flush=True)
            from rag import pysbd_patterns

            pysbd_patterns.install(True)
        clock, (wall, cpu), passages = run(args.backend, articles, Path(tmp) / "library")
    load_after = os.getloadavg()
    clock.seconds["other (glue)"] = wall - sum(clock.seconds.values())
    clock.cpu["other (glue)"] = cpu - sum(clock.cpu.values())
    print(f"Library.add of {passages} passages (2,067 SQuAD paragraphs, 48 files): wall {wall:.1f} s "
          f"({passages / wall:.1f} passages/s), CPU {cpu:.1f} s; backend {args.backend}; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    print("| stage | wall s | share | CPU s | share | calls |")
    print("|---|---:|---:|---:|---:|---:|")
    for stage in sorted(clock.seconds, key=lambda s: (s == "other (glue)", -clock.cpu[s])):
        print(f"| {stage} | {clock.seconds[stage]:.2f} | {100 * clock.seconds[stage] / wall:.1f}% | "
              f"{clock.cpu[stage]:.2f} | {100 * clock.cpu[stage] / cpu:.1f}% | {clock.calls.get(stage, '')} |")


if __name__ == "__main__":
    main()
