"""An encoder that remembers: vectors cached on disk, keyed by model and text.

Evaluation embeds the same corpora, questions and sentences again and again while settings
change; this makes every rerun after the first take seconds. The cache is one SQLite file
per user (`~/.cache/rag/embeddings.sqlite`, or `$RAG_CACHE_DIR`), holding float32 bytes. It
wraps any Encoder and keeps its interface, so a Library cannot tell the difference.
Only for evaluation: a library stores its own vectors and needs no cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings import FAITHFUL_KIND


def cache_dir() -> Path:
    configured = os.environ.get("RAG_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "rag"


def _key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class CachingEncoder:
    def __init__(self, encoder, path: Path | None = None):
        self.encoder = encoder
        self.path = path or cache_dir() / "embeddings.sqlite"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS vectors (model TEXT, key BLOB, vector BLOB, PRIMARY KEY (model, key))"
        )
        self._memory: dict[bytes, np.ndarray] | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    # The Encoder interface the library uses, passed through.
    @property
    def name(self) -> str:
        return self.encoder.name

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    @property
    def vector_kind(self) -> str:
        return self.encoder.vector_kind

    @property
    def requested_backend(self) -> str:
        return self.encoder.requested_backend

    @property
    def _cache_key(self) -> str:
        """The rows' model column: the model name for fp32 vectors (what every cache before
        vector kinds holds), with the kind beside it for another numeric path's vectors."""
        kind = self.encoder.vector_kind
        return self.name if kind == FAITHFUL_KIND else f"{self.name} [{kind}]"

    @property
    def max_tokens(self) -> int:
        return self.encoder.max_tokens

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return self.encoder.count_tokens(texts)

    def _loaded(self) -> dict[bytes, np.ndarray]:
        if self._memory is None:
            rows = self._db.execute("SELECT key, vector FROM vectors WHERE model = ?", (self._cache_key,))
            self._memory = {key: np.frombuffer(vector, dtype=np.float32) for key, vector in rows}
        return self._memory

    def encode(self, texts: Sequence[str], *, on_progress=None) -> np.ndarray:
        with self._lock:
            memory = self._loaded()
            keys = [_key(t) for t in texts]
            missing = list(dict.fromkeys(k for k in keys if k not in memory))
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
            if missing:
                first_text = {k: t for k, t in zip(keys, texts)}
                fresh = self.encoder.encode([first_text[k] for k in missing], on_progress=on_progress)
                with self._db:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                        [(self._cache_key, k, v.astype(np.float32).tobytes()) for k, v in zip(missing, fresh)],
                    )
                memory.update(zip(missing, fresh))
            elif on_progress is not None and texts:
                on_progress(len(texts), len(texts))
            if not texts:
                return np.zeros((0, self.dimension), dtype=np.float32)
            return np.stack([memory[k] for k in keys])

    def encode_with_spans(self, texts: Sequence[str], spans, *, on_progress=None):
        """`Encoder.encode_with_spans`, cached as one row block per (text, spans): the text's
        vector, then its spans' vectors."""
        with self._lock:
            namespace = f"{self._cache_key}#spans"
            keys = [_key(text + "\0" + json.dumps(list(map(list, s)))) for text, s in zip(texts, spans)]
            found = {}
            for start in range(0, len(keys), 500):  # SQLite caps the number of parameters
                chunk = keys[start : start + 500]
                found.update(self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({','.join('?' * len(chunk))})",
                    [namespace, *chunk],
                ))
            missing = [i for i, k in enumerate(keys) if k not in found]
            self.hits += len(keys) - len(missing)
            self.misses += len(missing)
            if missing:
                vectors, pooled = self.encoder.encode_with_spans(
                    [texts[i] for i in missing], [spans[i] for i in missing], on_progress=on_progress)
                blocks = {keys[i]: np.vstack([v[None, :], p]).astype(np.float32).tobytes()
                          for i, v, p in zip(missing, vectors, pooled)}
                with self._db:
                    self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                                         [(namespace, k, b) for k, b in blocks.items()])
                found.update(blocks)
        rows = [np.frombuffer(found[k], dtype=np.float32).reshape(-1, self.dimension) for k in keys]
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        return np.stack([r[0] for r in rows]), [r[1:] for r in rows]

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
