"""Peak memory of the IVF retrain a growing library goes through, against the former retrain.

`VectorIndex` retrains its clustering once it has grown 4x since the last training. At a
200k-document archive (~440k passages) that retrain was the writer's memory peak
(docs/performance.md). This grows an index the way ingests do (adds of 10,000 vectors)
past its retrains to `--vectors`, in a fresh process per variant, and prints each
process's peak RSS and the retrain's time:
- "former": the training sample (up to 256k float32 vectors, ~390 MB) kept alive while
  the vectors are copied into the new index in chunks of 100k (how `_rebuild` was written);
- "now": the sample freed once the clustering is trained, chunks of `REBUILD_CHUNK`.
Vectors are random unit vectors (memory does not depend on their content). Run from the
repo root:

    nice -n 5 .venv/bin/python bench/retrain_memory.py --vectors 330000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STEP = 10_000  # vectors per add: one generation's passages at the default commit_every


def grow(vectors: int, variant: str) -> None:
    from embeddings import vector_index
    from embeddings.vector_index import VectorIndex

    if variant == "former":
        kept = []
        train = vector_index._trained_ivf

        def keeping_the_sample(sample, nlist, codes):
            kept[:] = [sample]  # alive until the next retrain, as the former local variable was
            return train(sample, nlist, codes)

        vector_index._trained_ivf = keeping_the_sample
        vector_index.REBUILD_CHUNK = 100_000
    rng = np.random.default_rng(0)
    index = VectorIndex(384)
    retrains = []
    for start in range(0, vectors, STEP):
        batch = rng.standard_normal((STEP, 384)).astype(np.float32)
        batch /= np.linalg.norm(batch, axis=1, keepdims=True)
        trained_on = index._trained_on
        began = time.monotonic()
        index.add(np.arange(start, start + STEP), batch)
        if index._trained_on != trained_on:
            retrains.append((len(index), time.monotonic() - began))
        if variant == "former":
            kept.clear()  # the former `_rebuild` returned: its sample went with it
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{variant:8} {len(index):>9,} vectors  peak RSS {peak:7.0f} MB  retrains at "
          + ", ".join(f"{n:,} ({s:.1f} s)" for n, s in retrains), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vectors", type=int, default=330_000)
    args = parser.parse_args()
    for variant in ("former", "now"):
        subprocess.run([sys.executable, __file__, "--child", str(args.vectors), variant], check=True, cwd=ROOT)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        grow(int(sys.argv[2]), sys.argv[3])
    else:
        main()
