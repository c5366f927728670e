"""Any sentence-transformers model, behind the same four members as `OnnxModel`.

The reference path and the fallback: every model name or folder works here, including
static-embedding models. The only module that imports `sentence_transformers` (and so torch).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Passage size for models that have no window of their own (e.g. static embeddings).
WINDOWLESS_MAX_TOKENS = 256


class SentenceTransformerModel:
    def __init__(self, target: str):
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(target, device="cpu")
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

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.encode(
            list(texts),
            batch_size=len(texts),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
