"""The encoder's numeric paths side by side: speed, and how far each moves the vectors.

Paths (`Encoder(backend=...)`, or RAG_ENCODER_BACKEND): "torch" (sentence-transformers
fp32: the reference), "onnx" (ONNX Runtime fp32, the default for the packaged MiniLM),
"onnx-int8" (int8 weights, per-channel scales, `embeddings.onnx_variants`), "torch-bf16"
(torch autocast to bfloat16). All with the packaged all-MiniLM-L6-v2, batches of 16 sorted
by token count, 2 threads.

- Speed: SQuAD dev paragraphs per second (the first --paragraphs of them), rounds
  interleaved (torch, onnx, onnx-int8, torch-bf16, torch, ...), model loaded and warmed first.
- Fidelity, against the fp32 vectors of the same texts ("onnx", equal to "torch" within 1e-5): cosine per text (mean and
  minimum), and dense retrieval with each path's own vectors (exact inner product over all
  documents): top-10 overlap with fp32's top 10 (mean share, and queries whose top 10 is the
  same set), nDCG@10 and its change. Corpora: SQuAD v1.1 dev (2,067 paragraphs read with
  their article title, as the library does; every --squad-every-th question) and BEIR SciFact
  (5,183 abstracts with titles; its 300 test queries: nothing is tuned on them here).
Vectors are cached per path in .cache/bench/encoder-paths so a second run only times.

    HF_HUB_OFFLINE=1 nice -n 5 .venv/bin/python bench/encoder_paths.py [--paths torch onnx onnx-int8]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

PATHS = ("torch", "onnx", "onnx-int8", "torch-bf16")
SPEED_BASELINE = "torch"
# fp32 vectors for fidelity: ONNX Runtime fp32 equals torch fp32 within 1e-5
# (tests/test_onnx_encoder.py) and is the faster of the two to compute.
FP32 = "onnx"
CACHE = corpus.CACHE / "encoder-paths"

# FLOPs of all-MiniLM-L6-v2 (its config.json: 6 layers, hidden 384, intermediate 1536), 2 per
# multiply-add, matrix products only (layer norms, softmax, GELU and pooling are <2% more):
# per token and layer, Q, K, V and output projections 4·h² and the feed-forward 2·h·f
# multiply-adds; attention adds 2·h per token it attends to (scores, then values).
LAYERS, HIDDEN, INTERMEDIATE = 6, 384, 1536
LINEAR_FLOPS = 2 * LAYERS * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * INTERMEDIATE)  # per token: 21.2M
ATTENTION_FLOPS = 2 * LAYERS * 2 * HIDDEN  # per token, per token of its (padded) sequence
# This machine (lscpu): 2 cores, AVX-512, BogoMIPS 4000 (a 2.0 GHz TSC; lscpu shows no MHz, so
# 2.0 GHz is assumed as the sustained clock), 2 AVX-512 FMA units per core as on Sapphire
# Rapids Xeons: 16 fp32 lanes x 2 FLOPs x 2 units = 64 fp32 FLOPs per cycle per core.
CORES, CLOCK_GHZ, FP32_FLOPS_PER_CYCLE = 2, 2.0, 64
PEAK_FP32_GFLOPS = CORES * CLOCK_GHZ * FP32_FLOPS_PER_CYCLE  # 256


def batch_flops(encoder, texts: list[str]) -> tuple[float, float, float]:
    """(FLOPs, real tokens, padded tokens) of encoding `texts` as `Encoder.encode` batches them:
    sorted by token count, `batch_size` at a time, each padded to its longest (at most the window)."""
    lengths = sorted(min(n, encoder.max_tokens) for n in encoder.count_tokens(texts))
    flops = padded = 0.0
    for start in range(0, len(lengths), encoder.batch_size):
        batch = lengths[start : start + encoder.batch_size]
        longest = batch[-1]
        padded += len(batch) * longest
        flops += len(batch) * longest * (LINEAR_FLOPS + ATTENTION_FLOPS * longest)
    return flops, float(sum(lengths)), padded


def datasets(squad_every: int, scifact_docs: int | None, corpora=("SQuAD", "SciFact")):
    """[(name, document ids, document texts, queries as (text, relevant ids->grade))].
    `scifact_docs`: keep every document judged for a test query plus the first others in
    corpus order up to that many (a smaller, easier corpus; the paths still see the same one)."""
    from rag.evaluation.datasets import load_beir, load_squad
    from rag.passages import in_context

    found = []
    loaders = {"SQuAD": lambda: load_squad(corpus.DEFAULT_SQUAD),
               "SciFact": lambda: load_beir(corpus.DATASETS / "beir-scifact", "test")}
    for name in corpora:
        dataset = loaders[name]()
        questions = dataset.questions[::squad_every] if name == "SQuAD" else dataset.questions
        records = dataset.records
        if name == "SciFact" and scifact_docs:
            judged = {source for q in questions for source in q.relevant}
            others = [r.source for r in records if r.source not in judged][: max(0, scifact_docs - len(judged))]
            kept = judged | set(others)
            records = [r for r in records if r.source in kept]
        found.append((name, [r.source for r in records], [in_context(r.title or "", r.text) for r in records],
                      [(q.text, q.relevant) for q in questions]))
    return found


def cached_vectors(encoder, path: str, texts: list[str]) -> np.ndarray:
    key = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    file = CACHE / f"{path}-{key}.npy"
    if file.exists():
        return np.load(file)
    vectors = encoder.encode(texts)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(file, vectors)
    return vectors


def top10(documents: np.ndarray, queries: np.ndarray) -> np.ndarray:
    scores = queries @ documents.T
    best = np.argpartition(-scores, 10, axis=1)[:, :10]
    order = np.take_along_axis(scores, best, axis=1).argsort(axis=1)[:, ::-1]
    return np.take_along_axis(best, order, axis=1)


def fidelity(encoders: dict, found) -> list[str]:
    from rag.evaluation.metrics import ndcg_at

    lines = ["| corpus | path | cosine to fp32, mean / min | top-10 overlap | same top-10 set | nDCG@10 | change |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for name, ids, texts, queries in found:
        results = {}
        for path, encoder in encoders.items():
            started = time.perf_counter()
            docs = cached_vectors(encoder, path, texts)
            asked = cached_vectors(encoder, path, [text for text, _ in queries])
            print(f"  {name} {path}: vectors in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            ranked = top10(docs, asked)
            ndcg = float(np.mean([ndcg_at(10, [ids[i] for i in row], relevant)
                                  for row, (_, relevant) in zip(ranked, queries)]))
            results[path] = (docs, asked, ranked, ndcg)
        ref_docs, ref_asked, ref_ranked, ref_ndcg = results[FP32]
        for path, (docs, asked, ranked, ndcg) in results.items():
            cosines = np.concatenate([(docs * ref_docs).sum(1), (asked * ref_asked).sum(1)])
            overlap = [len(set(a) & set(b)) / 10 for a, b in zip(ranked, ref_ranked)]
            same = np.mean([set(a) == set(b) for a, b in zip(ranked, ref_ranked)])
            lines.append(f"| {name} ({len(texts)} docs, {len(queries)} queries) | {path} | "
                         f"{cosines.mean():.6f} / {cosines.min():.6f} | {np.mean(overlap):.4f} | "
                         f"{same:.3f} | {ndcg:.4f} | {ndcg - ref_ndcg:+.4f} |")
    return lines


def speed(encoders: dict, texts: list[str], rounds: int) -> list[str]:
    timings: dict[str, list[float]] = {path: [] for path in encoders}
    cpu: dict[str, list[float]] = {path: [] for path in encoders}
    for encoder in encoders.values():
        encoder.encode(texts[:32])  # warm: thread pools, oneDNN kernels, first allocations
    for _ in range(rounds):
        for path, encoder in encoders.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            encoder.encode(texts)
            timings[path].append(time.perf_counter() - started)
            cpu[path].append(time.process_time() - started_cpu)
    flops, real, padded = batch_flops(next(iter(encoders.values())), texts)
    base = np.median(timings[SPEED_BASELINE])
    lines = [f"{len(texts)} SQuAD paragraphs: {real / len(texts):.0f} tokens each on average, "
             f"{padded / len(texts):.0f} with batch padding; {flops / 1e9:.1f} GFLOP per pass "
             f"({flops / padded / 1e6:.1f} MFLOP per padded token); assumed fp32 peak "
             f"{PEAK_FP32_GFLOPS:.0f} GFLOP/s ({CORES} cores x {CLOCK_GHZ} GHz x {FP32_FLOPS_PER_CYCLE})",
             f"| path | paragraphs/s, median of {rounds} (each round) | vs torch fp32 | GFLOP/s (wall) "
             "| share of fp32 peak | GFLOP per CPU-second (per core) |", "|---|---:|---:|---:|---:|---:|"]
    for path, seconds in timings.items():
        each = ", ".join(f"{len(texts) / s:.1f}" for s in seconds)
        wall, core = np.median(seconds), np.median(cpu[path])
        lines.append(f"| {path} | {len(texts) / wall:.1f} ({each}) | {base / wall:.2f}x | {flops / wall / 1e9:.1f} "
                     f"| {flops / wall / 1e9 / PEAK_FP32_GFLOPS:.0%} | {flops / core / 1e9:.1f} |")
    return lines


def per_core(paths: list[str], texts: list[str]) -> list[str]:
    """GFLOP per CPU-second on one thread, for the encoder paths and for a large fp32 matrix
    product (torch/oneDNN sgemm, the practical per-core ceiling). CPU time does not count the
    time the scheduler gives to other processes, so this holds on a shared machine."""
    import torch

    from embeddings import Encoder

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
    a @ b
    started = time.process_time()
    for _ in range(10):
        a @ b
    sgemm = 10 * 2 * 2048**3 / (time.process_time() - started) / 1e9
    lines = [f"one thread, {len(texts)} paragraphs; sgemm 2048x2048: {sgemm:.1f} GFLOP per CPU-second "
             f"(= {sgemm / FP32_FLOPS_PER_CYCLE:.2f} GHz x {FP32_FLOPS_PER_CYCLE} FLOPs/cycle)",
             "| path | GFLOP per CPU-second | share of sgemm | share of assumed core peak |", "|---|---:|---:|---:|"]
    peak = CLOCK_GHZ * FP32_FLOPS_PER_CYCLE
    for path in paths:
        encoder = Encoder(backend=path, threads=1)
        encoder.encode(texts[:16])
        flops, _, _ = batch_flops(encoder, texts)
        started = time.process_time()
        encoder.encode(texts)
        rate = flops / (time.process_time() - started) / 1e9
        lines.append(f"| {path} | {rate:.1f} | {rate / sgemm:.0%} | {rate / peak:.0%} |")
    torch.set_num_threads(threads)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    parser.add_argument("--paragraphs", type=int, default=300, help="SQuAD paragraphs per speed round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--squad-every", type=int, default=5, help="every n-th SQuAD question")
    parser.add_argument("--no-fidelity", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--per-core", type=int, default=64, help="paragraphs for the one-thread FLOP rate (0: skip)")
    parser.add_argument("--scifact-docs", type=int, help="a smaller SciFact corpus (default: all 5,183)")
    parser.add_argument("--corpora", nargs="+", default=["SQuAD", "SciFact"], choices=["SQuAD", "SciFact"])
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from embeddings import Encoder

    paths = list(dict.fromkeys(args.paths))
    if not args.no_speed and SPEED_BASELINE not in paths or not args.no_fidelity and FP32 not in paths:
        parser.error(f"--paths needs {SPEED_BASELINE} for speed and {FP32} for fidelity")
    encoders = {path: Encoder(backend=path, threads=2) for path in paths}
    for path, encoder in encoders.items():
        encoder.dimension
        print(f"{path}: running on {encoder.backend}", file=sys.stderr)
    load = os.getloadavg()[0]
    _, paragraphs, _ = corpus.squad()
    lines = [] if args.no_speed else speed(encoders, paragraphs[: args.paragraphs], args.rounds)
    if args.per_core and not args.no_speed:
        lines += [""] + per_core(paths, paragraphs[: args.per_core])
    if not args.no_fidelity:
        lines += [""] + fidelity({p: e for p, e in encoders.items() if p != SPEED_BASELINE or p == FP32},
                                 datasets(args.squad_every, args.scifact_docs, args.corpora))
    print(f"load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end; {os.cpu_count()} CPUs")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
