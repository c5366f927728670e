"""Any sentence-transformers model, behind the same four members as `OnnxModel`.

The reference path and the fallback: every model name or folder works here, including
static-embedding models. The only module that imports `sentence_transformers` (and so torch).
`bf16=True` runs the model under torch's CPU autocast to bfloat16: matrix products in bf16
(oneDNN uses AVX-512 BF16 or AMX where the CPU has them), layer norms and softmax in fp32,
vectors returned as float32.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import numpy as np

from embeddings.span_pooling import pool_spans

# Passage size for models that have no window of their own (e.g. static embeddings).
WINDOWLESS_MAX_TOKENS = 256


class SentenceTransformerModel:
    def __init__(self, target: str, *, bf16: bool = False):
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(target, device="cpu")
        self.bf16 = bf16
        self.dimension = int(self._model.get_embedding_dimension())
        window = self._model.max_seq_length
        # Tokens the model reads per text, special tokens included; the rest is cut off.
        self.max_tokens = int(window) if window and window != float("inf") else WINDOWLESS_MAX_TOKENS

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        tokenizer = self._model.tokenizer
        if hasattr(tokenizer, "encode_batch"):  # a bare `tokenizers.Tokenizer` (static models)
            return [len(e.ids) for e in tokenizer.encode_batch(list(texts), add_special_tokens=True)]
        encoded = tokenizer(list(texts), add_special_tokens=True, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def _precision(self):
        import torch

        return torch.autocast("cpu", dtype=torch.bfloat16) if self.bf16 else contextlib.nullcontext()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        with self._precision():
            vectors = self._model.encode(
                list(texts),
                batch_size=len(texts),
                normalize_embeddings=not self.bf16,  # bf16: normalised below, in float32
                convert_to_tensor=self.bf16,
                show_progress_bar=False,
            )
        return unit_rows(vectors.float().numpy()) if self.bf16 else vectors

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]] | None:
        """`embed`, plus a unit vector per character span of each text pooled from the same
        run's token vectors (`span_pooling`); None for models without token vectors (static
        embeddings), whose spans the caller must embed on their own."""
        import torch

        if type(self._model[0]).__name__ != "Transformer":
            return None
        features = self._model.preprocess(list(texts))
        tokens = self._model.tokenizer(
            list(texts), padding=True, truncation="longest_first", max_length=self.max_tokens,
            return_offsets_mapping=True, return_special_tokens_mask=True,
        )
        with torch.inference_mode(), self._precision():
            out = self._model.forward(dict(features))
        hidden = out["token_embeddings"].float().numpy()
        mask = features["attention_mask"].numpy()
        pooled = [
            pool_spans(hidden[i, : int(mask[i].sum())], tokens["offset_mapping"][i],
                       tokens["special_tokens_mask"][i], spans[i])
            for i in range(len(texts))
        ]
        return unit_rows(out["sentence_embedding"].float().numpy()), pooled


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.clip(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12, None)
