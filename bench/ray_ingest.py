"""Distributed ingest throughput: `Library.add` locally vs on a local Ray instance, same corpus.

Workload: SQuAD v1.1 dev (`corpus.squad`), one .txt file per article as `bench/speed.py`
writes them, embedded with the packaged MiniLM (ONNX Runtime). Each configuration runs in
its own process into a fresh library:

- local: `Library.add(paths)`, ONNX Runtime on all cores (the baseline, measured in the same
  run); local 1x1: the same with one inference thread;
- ray N×T: `Library.add(paths, ray=RayCluster(actors=N, threads=T))` on a local Ray
  instance started before the clock starts (its start-up is reported separately); the clock
  includes the actors' model loading, which every distributed ingest pays.

Prints passages/s per configuration (median of `--rounds`, interleaved), per CPU core the
configuration uses, and the ratio to local. Run from the repo root (needs requirements-ray.txt):

    nice -n 5 .venv/bin/python bench/ray_ingest.py [--articles 48] [--rounds 2]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from speed import child, write_articles  # noqa: E402  (the same article files as bench/speed.py)

# (label, actors, threads per actor); None: a local ingest. The machine has 2 cores.
# "local 1x1" separates Ray's effect from that of the thread count (ONNX Runtime's threads spin,
# which costs on a busy machine).
CONFIGURATIONS = [("local", None, None), ("local 1x1", None, 1), ("ray 1x1", 1, 1), ("ray 1x2", 1, 2),
                  ("ray 2x1", 2, 1)]


def measure(folder: str, articles: str, actors: int | None, threads: int | None) -> dict:
    """One ingest into a new library; in a child process, so each starts cold."""
    from embeddings import Encoder
    from rag import Library

    # The driver's model, loaded before the clock in both modes; a local ingest embeds with it.
    library = Library.open(folder, encoder=Encoder(threads=threads if actors is None else None))
    library.encoder.dimension
    ray, startup = None, 0.0
    with contextlib.ExitStack() as stack:
        if actors is not None:
            from rag.distributed import RayCluster
            from rag.ray_session import ray_session

            started = time.perf_counter()
            stack.enter_context(ray_session("local"))
            startup = time.perf_counter() - started
            ray = RayCluster(actors=actors, threads=threads)
        started = time.perf_counter()
        report = library.add([articles], ray=ray)
        seconds = time.perf_counter() - started
    return {"passages": report.passages_embedded, "documents": len(report.added), "seconds": seconds,
            "per_s": report.passages_embedded / seconds, "ray_start_s": startup}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=48, help="SQuAD dev articles to ingest (48: all)")
    parser.add_argument("--rounds", type=int, default=2, help="runs of every configuration (medians)")
    parser.add_argument("--child", nargs=4)
    args = parser.parse_args()
    if args.child:
        folder, articles, actors, threads = args.child
        number = None if actors == "-" else int(actors)
        print(json.dumps(measure(folder, articles, number, None if threads == "-" else int(threads))))
        return

    results: dict[str, list[dict]] = {label: [] for label, _, _ in CONFIGURATIONS}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        articles = Path(tmp) / "squad"
        articles.mkdir()
        write_articles(articles)
        for extra in sorted(articles.iterdir())[args.articles:]:
            extra.unlink()
        # Rounds interleave the configurations, so a busy spell on a shared machine hits each alike.
        for round_ in range(args.rounds):
            for label, actors, threads in CONFIGURATIONS:
                library = Path(tmp) / f"library-{round_}-{label.replace(' ', '-')}"
                result = child(library, articles, "-" if actors is None else actors,
                               "-" if threads is None else threads, script=__file__)
                results[label].append(result)
                print(f"round {round_ + 1} {label}: {json.dumps(result)}", file=sys.stderr)

    def median(label: str, key: str) -> float:
        return statistics.median(r[key] for r in results[label])

    local = median("local", "per_s")
    cores = os.cpu_count() or 1
    print(f"{args.articles} articles, {results['local'][0]['passages']} passages; medians of "
          f"{args.rounds} round(s); load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(f"{'configuration':<14} {'cores':>5} {'seconds':>8} {'passages/s':>10} "
          f"{'per core':>8} {'vs local':>8} {'ray start s':>11}")
    for label, actors, threads in CONFIGURATIONS:
        used = (actors or 1) * threads if threads else cores
        per_s = median(label, "per_s")
        print(f"{label:<14} {used:>5} {median(label, 'seconds'):>8.1f} {per_s:>10.1f} "
              f"{per_s / used:>8.1f} {per_s / local:>7.2f}x {median(label, 'ray_start_s'):>11.1f}")

if __name__ == "__main__":
    main()
