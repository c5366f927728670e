"""Benchmark data: real SQuAD text and embeddings, and synthetic vectors grown from them.

Owns where benchmark inputs come from (so every script measures the same thing):

- `squad(path)`: the 2,067 SQuAD v1.1 dev paragraphs (~130 tokens each, news-like prose)
  and their questions: the real-text workload for ingest, search and ask.
- `real_vectors(path)`: all-MiniLM-L6-v2 vectors of those paragraphs and of their ~10k
  sentences (the pool), plus question vectors (the queries); cached in .cache/bench.
- `synthetic_vectors(pool, n)`: n unit vectors shaped like real embeddings, for 100k and
  1M passages: each is a random real vector, mixed with a second one (weight 0-0.5) and
  Gaussian noise (cosine ~0.9 to its parent), then normalised. Random Gaussian vectors
  would be useless for recall: real embeddings are clustered and anisotropic.

Not a test fixture: scripts under bench/ print tables, they assert nothing.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "bench"
# The shared datasets sit beside the checkout; a git worktree (/work/wt/NAME) is one level
# further down, so look one level up too.
DATASETS = next((p / "shared" / "datasets" for p in (ROOT.parent, ROOT.parent.parent)
                 if (p / "shared" / "datasets").is_dir()), ROOT.parent / "shared" / "datasets")
DEFAULT_SQUAD = DATASETS / "squad-v1.1-dev" / "dev-v1.1.json"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def squad(path: Path = DEFAULT_SQUAD) -> tuple[list[str], list[str], list[str]]:
    """(titles, paragraphs, questions) in file order."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    titles, paragraphs, questions = [], [], []
    for article in data:
        for paragraph in article["paragraphs"]:
            titles.append(article["title"].replace("_", " "))
            paragraphs.append(paragraph["context"])
            questions.extend(q["question"] for q in paragraph["qas"])
    return titles, paragraphs, questions


def real_vectors(path: Path = DEFAULT_SQUAD) -> tuple[np.ndarray, np.ndarray]:
    """(pool, queries): unit vectors of paragraphs + sentences, and of 2,000 questions."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / "squad-vectors.npz"
    if cached.exists():
        data = np.load(cached)
        return data["pool"], data["queries"]
    sys.path.insert(0, str(ROOT))
    from embeddings import Encoder

    _, paragraphs, questions = squad(path)
    sentences = [s for p in paragraphs for s in _SENTENCE_END.split(p) if len(s) > 20]
    encoder = Encoder()
    pool = encoder.encode(paragraphs + sentences)
    queries = encoder.encode(questions[::5][:2000])
    np.savez(cached, pool=pool, queries=queries)
    return pool, queries


def synthetic_vectors(pool: np.ndarray, n: int, *, seed: int = 0, chunk: int = 100_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, pool.shape[1]), dtype=np.float32)
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        first = pool[rng.integers(len(pool), size=m)]
        second = pool[rng.integers(len(pool), size=m)]
        mix = rng.uniform(0.0, 0.5, size=(m, 1)).astype(np.float32)
        noise = rng.standard_normal((m, pool.shape[1])).astype(np.float32) * 0.025
        block = first + mix * second + noise
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out
