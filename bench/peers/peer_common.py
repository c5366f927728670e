"""What every peer runner shares: the workload, the thread count, and how a measure reports.

Stdlib only: this file is imported by runners that run in the peers' own virtualenvs, where
neither `rag` nor numpy's version is ours to assume. Each runner is called as

    <venv python> bench/peers/<peer>_peer.py ingest|serve|cold INDEX_DIR WORKLOAD.json

(the `_peer` suffix keeps this folder, first on sys.path, from shadowing `haystack` or `txtai`)

and prints one JSON object on its last stdout line (`report`). The workload file, written by
run.py, holds the documents (one per SQuAD paragraph, id `squad-AA-PPP`, its article's title
and its text), the model folder, and the questions with their gold paragraph's id.

Not measured here: answer generation (no peer is configured with an LLM); only retrieval.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

THREADS = 2  # every system gets the machine's two cores, and no more
TOP_K = 10  # each retriever's depth, and the fused list's length (enough for MRR@10)


def pin_threads() -> None:
    """Before any numeric library is imported: OpenMP/MKL pools, tokenizers' pool."""
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[name] = str(THREADS)
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def pin_torch_threads() -> None:
    import torch

    torch.set_num_threads(THREADS)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def workload() -> dict:
    return json.loads(Path(sys.argv[3]).read_text(encoding="utf-8"))


def document_text(document: dict) -> str:
    """What a peer indexes: the article title and the paragraph, as one text (the product
    gets the title as its own field and uses it its own way)."""
    return f"{document['title']}\n\n{document['text']}"


def ranked_ids(ids) -> list[str]:
    """Document ids best first, each once (a system may return several chunks of one)."""
    seen: list[str] = []
    for document_id in ids:
        if document_id not in seen:
            seen.append(document_id)
    return seen[:TOP_K]


def serve(search, questions: list[dict]) -> dict:
    """Answer every question once (after one warm-up query): quality and latency."""
    search(questions[0]["question"])
    timings, hits_at_1, hits_at_5, reciprocal = [], 0, 0, 0.0
    for question in questions:
        started = time.perf_counter()
        ranked = ranked_ids(search(question["question"]))
        timings.append(1e3 * (time.perf_counter() - started))
        if question["gold"] in ranked:
            rank = ranked.index(question["gold"]) + 1
            hits_at_1 += rank == 1
            hits_at_5 += rank <= 5
            reciprocal += 1 / rank
    timings.sort()
    n = len(questions)
    return {"questions": n, "recall@1": hits_at_1 / n, "recall@5": hits_at_5 / n, "mrr@10": reciprocal / n,
            "p50_ms": statistics.median(timings), "p95_ms": timings[int(0.95 * (n - 1))],
            "peak_rss_mb": peak_rss_mb()}


def report(result: dict) -> None:
    print(json.dumps(result))


def main(build, open_index) -> None:
    """The command line every runner has. `build(folder, work) -> None` indexes the documents
    and saves them in `folder`; `open_index(folder, work) -> search(question) -> [ids]`."""
    what, folder, work = sys.argv[1], Path(sys.argv[2]), workload()
    if what == "ingest":
        started = time.perf_counter()
        build(folder, work)
        seconds = time.perf_counter() - started
        report({"per_s": len(work["documents"]) / seconds, "seconds": seconds, "peak_rss_mb": peak_rss_mb()})
    elif what == "serve":
        report(serve(open_index(folder, work), work["questions"]))
    elif what == "cold":
        # The parent times this process from start to this line: imports, load, one answer.
        report({"top": ranked_ids(open_index(folder, work)(work["questions"][0]["question"]))[:1]})
    else:
        raise SystemExit(f"unknown measure {what!r}: ingest, serve or cold")
