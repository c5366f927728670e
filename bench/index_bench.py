"""FAISS index by size: our `VectorIndex` against a plain `IndexFlatIP`, in the same run.

For each size it builds our index the way ingests grow it (batches of 100k, so it passes
through every layout change on the way) and, up to `--baseline-max`, a plain IndexFlatIP
of the same vectors; saves each; then, in a fresh process per file, loads it and times 200
single-query searches with real question vectors. Vectors: at 2k the real SQuAD MiniLM
vectors; above, synthetic batches grown from them (bench/corpus.py, seed = batch number),
so no size needs all its vectors in memory at once. Recall@10 is against exact search,
brute-forced over the same vectors while building.

Prints build time and the builder's peak RSS; load time (what a cold `ask` pays), also for
the same IVF index in a version-2 file, which loads the old way (sha256, then a copy); the
first and the warm searches; recall; bytes per vector on disk; the serving process's peak
RSS and its private memory (an index mapped from its file is shared page cache, counted in
RSS as its pages are touched, but not private). Run from the repo root:

    nice -n 5 .venv/bin/python bench/index_bench.py --sizes 2000 100000 1000000
    nice -n 5 .venv/bin/python bench/index_bench.py --sizes 5000000 --baseline-max 0
    nice -n 5 .venv/bin/python bench/index_bench.py --layouts 1000000
    nice -n 5 .venv/bin/python bench/index_bench.py --layouts 5000000 --candidates SQ8 "PQ48 + SQ8 x30"

`--layouts N` compares candidate compressed layouts at N vectors instead, all on one coarse
clustering trained once on a 256k sample: recall@10, bytes per vector, search p50, build s.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

QUERIES = 200
BATCH = 100_000


def batches(size: int):
    """(ids, vectors) in batches of `BATCH`: real vectors while the pool has enough."""
    pool, _ = corpus.real_vectors()
    if size <= len(pool):
        yield np.arange(1, size + 1), pool[np.random.default_rng(0).permutation(len(pool))[:size]]
        return
    for number, start in enumerate(range(0, size, BATCH)):
        count = min(BATCH, size - start)
        yield np.arange(start + 1, start + count + 1), corpus.synthetic_vectors(pool, count, seed=number)


def queries() -> np.ndarray:
    return corpus.real_vectors()[1][:QUERIES]


class ExactTop10:
    """The true top-10 ids per query, kept up to date batch by batch."""

    def __init__(self, queries: np.ndarray):
        self.queries = queries
        self.scores = np.full((len(queries), 10), -np.inf, dtype=np.float32)
        self.ids = np.full((len(queries), 10), -1, dtype=np.int64)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        scores = np.concatenate([self.scores, self.queries @ vectors.T], axis=1)
        every = np.concatenate([self.ids, np.broadcast_to(ids, (len(self.queries), len(ids)))], axis=1)
        best = np.argsort(-scores, axis=1, kind="stable")[:, :10]
        self.scores, self.ids = np.take_along_axis(scores, best, 1), np.take_along_axis(every, best, 1)


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / 10 for f, t in zip(found, truth)]))


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def private_mb() -> float:
    """Anonymous (not file-backed) resident memory: what this process alone holds."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("RssAnon")) / 1024


# -- children: one build or one load per process, so timings and memory are its own ---------
def build(kind: str, size: int, path: Path, out: Path) -> dict:
    """Build one index the way ingests grow it (in batches) and save it."""
    import faiss

    from embeddings import VectorIndex, vector_file

    started = time.perf_counter()
    if kind == "baseline":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(corpus.real_vectors()[0].shape[1]))
        for ids, vectors in batches(size):
            index.add_with_ids(vectors, ids)
        path.write_bytes(faiss.serialize_index(index).tobytes())
        return {"build_s": time.perf_counter() - started, "layout": "flat", "peak_mb": peak_rss_mb(),
                "bytes_per_vector": path.stat().st_size / size}
    truth, index, exact_s = ExactTop10(queries()), None, 0.0
    for ids, vectors in batches(size):
        index = index or VectorIndex(vectors.shape[1])
        index.add(ids, vectors)
        timer = time.perf_counter()
        truth.add(ids, vectors)
        exact_s += time.perf_counter() - timer
    index.save(path)
    build_s = time.perf_counter() - started - exact_s
    np.save(out.with_suffix(".truth.npy"), truth.ids)
    if index.layout == "ivf":  # the same index as the version-2 file the old code wrote and read
        header = {"format": "rag-vector-index", "version": 2, "dimension": index.dimension,
                  "count": len(index), "index": f"IVF{index._index.nlist},SQfp16", "trained_on": len(index)}
        vector_file.write(path.with_suffix(".v2"), header, index._index)
    return {"build_s": build_s, "layout": index.layout, "peak_mb": peak_rss_mb(),
            "bytes_per_vector": path.stat().st_size / size}


def serve(kind: str, path: Path, out: Path) -> dict:
    """In a fresh process: load, then time single-query searches."""
    import faiss

    from embeddings import VectorIndex

    asked = queries()
    started = time.perf_counter()
    if kind == "baseline":
        index = faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))
    else:
        index = VectorIndex.load(path)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    index.search(asked[:1], 10)
    first_ms = 1e3 * (time.perf_counter() - started)
    for query in asked[:20]:  # warm: page in the index, wake the thread pool
        index.search(query[None, :], 10)
    timings, found = [], []
    for query in asked:
        started = time.perf_counter()
        _, ids = index.search(query[None, :], 10)
        timings.append(time.perf_counter() - started)
        found.append(ids[0])
    np.save(out, np.array(found))
    return {"load_s": load_s, "first_ms": first_ms, "p50_ms": 1e3 * np.percentile(timings, 50),
            "p95_ms": 1e3 * np.percentile(timings, 95), "peak_mb": peak_rss_mb(), "private_mb": private_mb()}


def run_child(*args) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def by_size(sizes: list[int], baseline_max: int) -> None:
    print("| passages | index | layout | build s | build peak RSS MB | load s | first search ms | "
          "search p50 ms | p95 ms | recall@10 | bytes/vector | serving peak RSS MB | serving private MB |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    labels = {"baseline": "IndexFlatIP (baseline)", "ours": "VectorIndex",
              "v2": "VectorIndex, version-2 file (loads as before)"}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            truth = None  # ours is built first: its builder computes the exact top-10
            for kind in ["ours", "baseline"] if size <= baseline_max else ["ours"]:
                path, out = Path(tmp) / f"{kind}-{size}.faiss", Path(tmp) / f"{kind}-{size}.npy"
                built = run_child("build", kind, size, path, out)
                truth = np.load(out.with_suffix(".truth.npy")) if truth is None else truth
                for name, file in [(kind, path), ("v2", path.with_suffix(".v2"))]:
                    if not file.exists():
                        continue
                    served = run_child("serve", kind, size, file, out)
                    built_cells = f"{built['build_s']:.1f} | {built['peak_mb']:.0f}"
                    built_cells = "〃 | 〃" if name == "v2" else built_cells  # the same build
                    print(f"| {size:,} | {labels[name]} | {built['layout']} | {built_cells} | "
                          f"{served['load_s']:.2f} | {served['first_ms']:.1f} | {served['p50_ms']:.2f} | "
                          f"{served['p95_ms']:.2f} | {recall(np.load(out), truth):.3f} | "
                          f"{file.stat().st_size / size:.0f} | {served['peak_mb']:.0f} | "
                          f"{served['private_mb']:.0f} |", flush=True)
                    file.unlink()


# -- --layouts: the compressed layouts that were considered, on one shared clustering --------
CANDIDATES = ["SQfp16", "SQ8", "SQ6", "PQ48", "PQ96", "PQ192",
              "PQ48 + SQ8 x10", "PQ48 + SQ8 x30", "PQ96 + SQ8 x30"]  # "+ SQ8 xF": F*k re-ranked


def compare_layouts(size: int, candidates: list[str]) -> None:
    """Each candidate on the same vectors, clustering and assignment, so only the codes differ."""
    import faiss

    from embeddings.vector_index import NPROBE, TRAIN_SAMPLE

    ids = np.arange(1, size + 1)
    vectors = np.concatenate([v for _, v in batches(size)])
    truth = ExactTop10(queries())
    for start in range(0, size, BATCH):
        truth.add(ids[start : start + BATCH], vectors[start : start + BATCH])
    sample = vectors[np.sort(np.random.default_rng(0).choice(size, min(size, TRAIN_SAMPLE), replace=False))]
    nlist = min(int(4 * np.sqrt(size)), len(sample) // 39)  # as VectorIndex chooses
    started = time.perf_counter()
    quantizer = faiss.IndexFlatIP(vectors.shape[1])
    kmeans = faiss.Clustering(vectors.shape[1], nlist)
    kmeans.train(sample, quantizer)
    lists = np.concatenate([quantizer.search(vectors[start : start + BATCH], 1)[1][:, 0]
                            for start in range(0, size, BATCH)])
    print(f"{size:,} vectors, {nlist} lists, nprobe {NPROBE}; clustering {len(sample):,} sample vectors and "
          f"assigning all took {time.perf_counter() - started:.0f} s (shared by every row)\n")
    print("| layout | recall@10 | bytes/vector | search p50 ms | p95 ms | build s (codebooks + add) |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in candidates:
        started = time.perf_counter()
        codes, _, rerank = name.partition(" + SQ8 x")
        scan = _ivf(quantizer, nlist, codes, vectors.shape[1])
        scan.train(sample)
        parts = [scan]
        if rerank:
            parts.append(_ivf(quantizer, nlist, "SQ8", vectors.shape[1]))
            parts[1].train(sample)
        for part in parts:
            part.add_core(size, faiss.swig_ptr(vectors), faiss.swig_ptr(ids), faiss.swig_ptr(lists))
        build_s = time.perf_counter() - started
        scan.nprobe = NPROBE
        index = scan
        if rerank:
            parts[1].set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct by id
            index = Reranked(scan, parts[1], int(rerank))
        timings, found = [], []
        for query in truth.queries:
            timer = time.perf_counter()
            found.append(index.search(query[None, :], 10)[1][0])
            timings.append(time.perf_counter() - timer)
        with tempfile.TemporaryDirectory() as tmp:  # written, not serialised: no second copy in memory
            for number, part in enumerate(parts):
                faiss.write_index(part, f"{tmp}/{number}")
            nbytes = sum(path.stat().st_size for path in Path(tmp).iterdir()) / size
        print(f"| {name} | {recall(np.array(found), truth.ids):.3f} | {nbytes:.0f} | "
              f"{1e3 * np.percentile(timings, 50):.2f} | {1e3 * np.percentile(timings, 95):.2f} | "
              f"{build_s:.0f} |", flush=True)


class Reranked:
    """PQ scan, then the best `factor * k` candidates re-ranked on their 8-bit codes: the
    compressed layout that was built, measured and not kept (docs/performance.md)."""

    def __init__(self, scan, store, factor: int):
        self.scan, self.store, self.factor = scan, store, factor

    def search(self, queries: np.ndarray, k: int):
        _, candidates = self.scan.search(queries, k * self.factor)
        found = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (query, ids) in enumerate(zip(queries, candidates)):
            ids = ids[ids >= 0]
            similarity = self.store.reconstruct_batch(ids) @ query
            best = np.argsort(-similarity, kind="stable")[:k]
            found[row, : len(best)] = ids[best]
        return None, found


def _ivf(quantizer, nlist: int, codes: str, dimension: int):
    import faiss

    inner_product = faiss.METRIC_INNER_PRODUCT
    if codes.startswith("PQ"):
        return faiss.IndexIVFPQ(quantizer, dimension, nlist, int(codes[2:]), 8, inner_product)
    bits = {"SQfp16": faiss.ScalarQuantizer.QT_fp16, "SQ8": faiss.ScalarQuantizer.QT_8bit,
            "SQ6": faiss.ScalarQuantizer.QT_6bit}[codes]
    return faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, bits, inner_product)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 100_000, 1_000_000])
    parser.add_argument("--baseline-max", type=int, default=1_000_000,
                        help="build the IndexFlatIP baseline only up to this size (1.5 KB per vector)")
    parser.add_argument("--layouts", type=int, metavar="N", help="compare compressed layouts at N vectors")
    parser.add_argument("--candidates", nargs="+", default=CANDIDATES, help="with --layouts: which ones")
    parser.add_argument("--child", nargs=5, metavar=("STEP", "KIND", "SIZE", "PATH", "OUT"))
    args = parser.parse_args()
    if args.child:
        step, kind, size, path, out = args.child
        if step == "build":
            print(json.dumps(build(kind, int(size), Path(path), Path(out))))
        else:
            print(json.dumps(serve(kind, Path(path), Path(out))))
        return
    corpus.real_vectors()  # embed once, before any timing
    if args.layouts:
        compare_layouts(args.layouts, args.candidates)
    else:
        by_size(args.sizes, args.baseline_max)


if __name__ == "__main__":
    main()
