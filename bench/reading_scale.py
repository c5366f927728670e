"""Reading one file, by size: time and peak memory of `rag.ingest.prepare` (read, decode,
clean, cut into passages and sentences; no embedding) for prose from 10 KB to 20 MB.

Two shapes of the same prose (the sample articles' words, repeated): hard-wrapped at 72
columns with no blank line (one paragraph of the whole file), and a single line. Baseline,
measured in the same run: the 10 KB file's time per KB (best of three), extrapolated
linearly (three runs, each in a fresh process, so no cache helps); the ratio is measured time / that extrapolation, so 1.0 means linear and a
quadratic step would double it with every doubling of the size. Memory is the growth of
the process's peak RSS during the read (the tokenizer's native memory included), per MB of
input. Every measurement runs in its own process, so each peak is its own; the tokenizer is
the packaged all-MiniLM-L6-v2's (it decides how long sentences are cut into passages).
Run from the repo root:

    nice -n 5 .venv/bin/python bench/reading_scale.py [--sizes 10000 40000 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = (10_000, 40_000, 160_000, 640_000, 2_500_000, 10_000_000, 20_000_000)
SHAPES = ("hard-wrapped", "one line")


def prose(size: int, shape: str, *, skip: int = 0) -> str:
    """`size` characters of the samples' words, the first `skip` of them left out."""
    words = " ".join(path.read_text(encoding="utf-8") for path in sorted((ROOT / "data" / "samples").iterdir()))
    words = " ".join(words.split()[skip:] + words.split()[:skip])
    text = " ".join([words] * (size // len(words) + 1))[:size].rsplit(" ", 1)[0]
    return "\n".join(textwrap.wrap(text, 72)) if shape == "hard-wrapped" else text


def reset_peak_rss() -> None:
    """Start Linux's peak-RSS counter (VmHWM) again from the current RSS."""
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")


def status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(field + ":"))
    return int(line.split()[1]) / 1024


def measure(size: int, shape: str) -> dict:
    """In a child process: seconds and peak RSS growth of one read."""
    from embeddings import Encoder
    from rag.ingest import FileInput, prepare

    encoder = Encoder()
    with tempfile.TemporaryDirectory() as folder:
        warm_up, path = Path(folder, "warm-up.txt"), Path(folder, "prose.txt")
        # The same kind of text first (other words, so no cache helps): imports, pysbd's and
        # the tokenizer's set-up and compiled patterns are then paid before the clock starts.
        warm_up.write_text(prose(min(size, 20_000), shape, skip=101), encoding="utf-8")
        path.write_text(prose(size, shape), encoding="utf-8")
        read = lambda file: prepare(FileInput(file), count_tokens=encoder.count_tokens,  # noqa: E731
                                    max_tokens=encoder.max_tokens)
        read(warm_up)
        reset_peak_rss()
        before = status_mb("VmRSS")
        started = time.perf_counter()
        document = read(path)
        seconds = time.perf_counter() - started
        return {"seconds": seconds, "peak_growth_mb": status_mb("VmHWM") - before,
                "passages": len(document.passages), "bytes": path.stat().st_size}


def run_child(size: int, shape: str) -> dict:
    command = [sys.executable, __file__, "--child", str(size), shape]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    output = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(int(args.child[0]), args.child[1])))
        return
    print(f"{'shape':<13} {'size':>11} {'passages':>8} {'seconds':>8} {'s/MB':>6} "
          f"{'vs linear':>9} {'peak +MB':>8} {'MB/MB':>6}", flush=True)
    for shape in SHAPES:
        baseline = None
        for size in sorted(args.sizes):
            runs = [run_child(size, shape) for _ in range(3 if baseline is None else 1)]
            result = min(runs, key=lambda run: run["seconds"])
            per_mb = result["seconds"] / (result["bytes"] / 1e6)
            baseline = baseline or per_mb  # the smallest size's rate: what linear would cost
            memory = result["peak_growth_mb"] / (result["bytes"] / 2**20)
            print(f"{shape:<13} {result['bytes']:>11,} {result['passages']:>8,} {result['seconds']:>8.2f} "
                  f"{per_mb:>6.1f} {per_mb / baseline:>8.2f}x {result['peak_growth_mb']:>8.1f} "
                  f"{memory:>6.1f}", flush=True)


if __name__ == "__main__":
    main()
