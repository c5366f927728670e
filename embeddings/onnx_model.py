"""A mean-pooled sentence-transformers model run by ONNX Runtime, without torch.

Owns tokenising with the `tokenizers` package, the ONNX Runtime session and its threads,
and mean pooling + L2 normalisation in numpy: the same arithmetic as
`SentenceTransformer.encode` (a test holds them within 1e-5). Only models whose modules are
exactly Transformer -> mean Pooling -> Normalize qualify (`supports`); anything else stays
on sentence-transformers. Does not export graphs: `embeddings.onnx_export` does.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from embeddings.onnx_export import INPUT_NAMES
from embeddings.span_pooling import pool_spans

_MEAN_ONLY = {
    "pooling_mode_mean_tokens": True,
    "pooling_mode_cls_token": False,
    "pooling_mode_max_tokens": False,
    "pooling_mode_mean_sqrt_len_tokens": False,
}


def supports(model_dir: Path) -> bool:
    """Whether this folder is a Transformer -> mean Pooling -> Normalize model we can run."""
    try:
        modules = json.loads((model_dir / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        pooling = json.loads((model_dir / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return False
    return (
        kinds == ["Transformer", "Pooling", "Normalize"]
        and all(pooling.get(key, False) == value for key, value in _MEAN_ONLY.items())
        and (model_dir / "tokenizer.json").exists()
    )


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


class OnnxModel:
    def __init__(self, model_dir: Path, graph: Path, *, threads: int | None = None):
        import onnxruntime
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_tokens = int(config["max_seq_length"])
        self.dimension = int(json.loads((model_dir / "config.json").read_text())["hidden_size"])
        # The packaged tokenizer.json truncates and pads at 128; sentence-transformers reads
        # 256 tokens (max_seq_length) and pads to the longest text of the batch. Do the same.
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        padding = self._tokenizer.padding or {}
        self._tokenizer.enable_truncation(self.max_tokens)
        self._tokenizer.enable_padding(pad_id=padding.get("pad_id", 0), pad_token=padding.get("pad_token", "[PAD]"))
        self._counter = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._counter.no_truncation()
        self._counter.no_padding()

        options = onnxruntime.SessionOptions()
        # One thread per usable core: more only contend on a 2-core machine, and one
        # request at a time is the common case (a UI query, a CLI command).
        options.intra_op_num_threads = threads or usable_cores()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = onnxruntime.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(list(texts), add_special_tokens=True)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for one batch; texts of similar length waste least on padding."""
        hidden, mask, _ = self._run(texts)
        return _mean_pooled(hidden, mask)

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`embed`, plus a unit vector per character span of each text (`span_pooling`),
        from the same model run."""
        hidden, mask, encoded = self._run(texts)
        pooled = [
            pool_spans(hidden[i, : int(mask[i].sum())], e.offsets, e.special_tokens_mask, spans[i])
            for i, e in enumerate(encoded)
        ]
        return _mean_pooled(hidden, mask), pooled

    def _run(self, texts: Sequence[str]):
        encoded = self._tokenizer.encode_batch(list(texts), add_special_tokens=True)
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        types = np.array([e.type_ids for e in encoded], dtype=np.int64)
        (hidden,) = self._session.run(None, dict(zip(INPUT_NAMES, (ids, mask, types))))
        return hidden, mask, encoded


def _mean_pooled(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    # Mean over real tokens, as sentence-transformers' Pooling does (its clamp included).
    weights = mask[:, :, None].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    pooled = summed / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
