"""Peak memory of a reopened library's first commit, against the former code in the same run.

A resumed archive ingest opens a large vector file (mapped, see embeddings/vector_file.py),
makes it writable at its first commit and adds a generation of vectors. This saves an IVF
index of `--vectors` random unit vectors once, then in a fresh process per variant loads it,
adds `--add` vectors (one generation at the default commit_every) and prints RSS after each
step and the process's peak:
- "former": the writable copy parsed through the mapping (every page it touched counted in
  RSS until the mapping was released) and glibc's mmap threshold left to rise, as before;
- "now": the copy read from the open file through the page cache, the threshold held at
  its default (`embeddings.allocator`).

    nice -n 5 .venv/bin/python bench/reopen_memory.py --vectors 440000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP = 10_000


def unit(rows: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((rows, 384)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def memory() -> dict[str, int]:
    found = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) // 1024
    return found


def build(path: Path, vectors: int) -> None:
    from embeddings.vector_index import VectorIndex

    index = VectorIndex(384)
    for start in range(0, vectors, STEP):
        index.add(np.arange(start, min(start + STEP, vectors)), unit(min(STEP, vectors - start), start))
    index.save(path)


def former_code() -> None:
    """How the writable copy and the allocator behaved before (git show 8e536b2)."""
    import faiss

    from embeddings import allocator, vector_file

    allocator.hold_mmap_threshold = lambda: False

    def through_the_mapping(index):
        payload = vector_file._mapped_payload_of(index)
        if payload is None:
            return index
        view, position = memoryview(payload.mapping), 0

        def read(size: int) -> bytes:
            nonlocal position
            chunk = view[position : position + size].tobytes()
            position += len(chunk)
            return chunk

        return faiss.read_index(faiss.PyCallbackIOReader(read))

    vector_file.writable = through_the_mapping


def reopen(path: Path, variant: str, add: int) -> None:
    if variant == "former":
        former_code()
    from embeddings.vector_index import VectorIndex

    steps = {"start": memory()}
    index = VectorIndex.load(path, dimension=384)
    steps["loaded"] = memory()
    started = time.perf_counter()
    index.add(np.arange(10**9, 10**9 + add), unit(add, 7))
    steps["first add"] = {**memory(), "seconds": round(time.perf_counter() - started, 2)}
    print(json.dumps({"variant": variant, "vectors": len(index), **steps}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vectors", type=int, default=440_000)
    parser.add_argument("--add", type=int, default=STEP)
    parser.add_argument("--rounds", type=int, default=2, help="each variant this often, interleaved")
    parser.add_argument("--variant", choices=["former", "now"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.variant:
        return reopen(args.file, args.variant, args.add)
    with tempfile.TemporaryDirectory(prefix="reopen-memory-") as folder:
        path = Path(folder) / "vectors.faiss"
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                        f"import reopen_memory; from pathlib import Path; "
                        f"reopen_memory.build(Path({str(path)!r}), {args.vectors})"], check=True)
        print(f"# {args.vectors:,} vectors saved ({path.stat().st_size / 2**20:.0f} MB file) "
              f"in {time.perf_counter() - started:.0f} s")
        results = {"former": [], "now": []}
        for _ in range(args.rounds):
            for variant in results:
                done = subprocess.run([sys.executable, __file__, "--variant", variant, "--file", str(path),
                                       "--add", str(args.add)], check=True, capture_output=True, text=True)
                row = json.loads(done.stdout)
                results[variant].append(row)
                print(json.dumps(row))
    print("\n| variant | RSS after load MB | RSS after first add MB | peak RSS MB | first add s |")
    print("|---|---:|---:|---:|---:|")
    for variant, rows in results.items():
        after, peak = [r["first add"] for r in rows], [r["first add"]["VmHWM"] for r in rows]
        print(f"| {variant} | {max(r['loaded']['VmRSS'] for r in rows)} | {max(a['VmRSS'] for a in after)} "
              f"| {max(peak)} | {np.median([a['seconds'] for a in after]):.2f} |")


if __name__ == "__main__":
    main()
