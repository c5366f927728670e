"""FAISS index by size: our `VectorIndex` against a plain `IndexFlatIP`, in the same run.

For each size it builds both indexes from the same vectors (2k: real SQuAD MiniLM vectors;
100k and 1M: synthetic vectors grown from them, see bench/corpus.py), saves each, and then,
in a fresh process per index, loads it and times 200 single-query searches with real
question vectors. Prints build time, load time (what a cold `ask` pays), search p50/p95,
recall@10 against exact search, bytes per vector on disk and the serving process's peak
memory. Run from the repo root:

    nice -n 5 .venv/bin/python bench/index_bench.py --sizes 2000 100000 1000000
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


def vectors_for(size: int) -> np.ndarray:
    pool, _ = corpus.real_vectors()
    if size <= len(pool):
        return pool[np.random.default_rng(0).permutation(len(pool))[:size]]
    return corpus.synthetic_vectors(pool, size)


def build(kind: str, size: int, path: Path) -> dict:
    """Build one index the way ingests grow it (in batches) and save it."""
    import faiss

    from embeddings import VectorIndex

    vectors = vectors_for(size)
    ids = np.arange(1, size + 1, dtype=np.int64)
    started = time.perf_counter()
    if kind == "baseline":
        index = faiss.IndexIDMap2(faiss.IndexFlatIP(vectors.shape[1]))
        index.add_with_ids(vectors, ids)
        path.write_bytes(faiss.serialize_index(index).tobytes())
        layout = "flat"
    else:
        index = VectorIndex(vectors.shape[1])
        for start in range(0, size, 100_000):
            index.add(ids[start : start + 100_000], vectors[start : start + 100_000])
        index.save(path)
        layout = index.layout
    return {"build_s": time.perf_counter() - started, "bytes_per_vector": path.stat().st_size / size,
            "layout": layout}


def serve(kind: str, path: Path, out: Path) -> dict:
    """In a fresh process: load, then time single-query searches."""
    import faiss

    from embeddings import VectorIndex

    _, queries = corpus.real_vectors()
    queries = queries[:QUERIES]
    started = time.perf_counter()
    if kind == "baseline":
        index = faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))
    else:
        index = VectorIndex.load(path)
    load_s = time.perf_counter() - started
    for query in queries[:20]:  # warm: page in the index, wake the thread pool
        index.search(query[None, :], 10)
    timings, found = [], []
    for query in queries:
        started = time.perf_counter()
        _, ids = index.search(query[None, :], 10)
        timings.append(time.perf_counter() - started)
        found.append(ids[0])
    np.save(out, np.array(found))
    return {"load_s": load_s, "p50_ms": 1e3 * np.percentile(timings, 50),
            "p95_ms": 1e3 * np.percentile(timings, 95),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(args) -> None:
    path, out = Path(args.path), Path(args.out)
    result = build(args.kind, args.size, path) if args.step == "build" else serve(args.kind, path, out)
    print(json.dumps(result))


def run_child(*args) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000, 100_000, 1_000_000])
    parser.add_argument("--child", nargs=5, metavar=("STEP", "KIND", "SIZE", "PATH", "OUT"))
    args = parser.parse_args()
    if args.child:
        step, kind, size, path, out = args.child
        child(argparse.Namespace(step=step, kind=kind, size=int(size), path=path, out=out))
        return
    corpus.real_vectors()  # embed once, before any timing
    print(f"| passages | index | layout | build s | load s | search p50 ms | p95 ms | recall@10 | "
          f"bytes/vector | serving peak RSS MB |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            found = {}
            for kind in ("baseline", "ours"):
                path, out = Path(tmp) / f"{kind}-{size}.faiss", Path(tmp) / f"{kind}-{size}.npy"
                built = run_child("build", kind, size, path, out)
                served = run_child("serve", kind, size, path, out)
                found[kind] = np.load(out)
                hits = [len(set(a) & set(b)) / 10 for a, b in zip(found[kind], found["baseline"])]
                name = "IndexFlatIP (baseline)" if kind == "baseline" else "VectorIndex"
                print(f"| {size:,} | {name} | {built['layout']} | {built['build_s']:.1f} | "
                      f"{served['load_s']:.2f} | {served['p50_ms']:.2f} | {served['p95_ms']:.2f} | "
                      f"{np.mean(hits):.3f} | {built['bytes_per_vector']:.0f} | "
                      f"{served['peak_rss_mb']:.0f} |", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
