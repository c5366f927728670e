"""Sentence vectors remembered between questions.

`ask` scores every sentence of its top passages by meaning, which means embedding them; a
library's popular passages come back question after question, so their sentences are kept
here (least recently used out first). A vector depends only on the text and the model, and
a library never changes its model, so an entry can never go stale. Does not persist: a
restart starts empty.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence

import numpy as np

# 20,000 sentences of 384 float32s: about 30 MB.
DEFAULT_ENTRIES = 20_000


class SentenceVectorCache:
    def __init__(self, encode: Callable[[Sequence[str]], np.ndarray], max_entries: int = DEFAULT_ENTRIES):
        self._encode = encode
        self._max_entries = max_entries
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for `texts`, in order, embedding only those not seen recently."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
            if missing:
                for text, vector in zip(missing, self._encode(missing)):
                    self._vectors[text] = vector
            for text in texts:
                self._vectors.move_to_end(text)
            rows = [self._vectors[t] for t in texts]
            while len(self._vectors) > self._max_entries:
                self._vectors.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)
