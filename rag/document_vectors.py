"""Prepared documents -> their vectors: the embedding step of every ingest.

One function, so a local ingest and a distributed one (`rag.distributed`, one call per
worker batch) embed exactly the same texts the same way. Each passage gets its vector and
each of its sentences one too, pooled from the same model run (`embeddings.span_pooling`):
`ask` scores sentences by meaning, and embedding them at question time cost ~80 ms per
answer. Does not store anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.ingest import PreparedDocument


@dataclass(frozen=True)
class EmbeddedDocument:
    document: PreparedDocument
    passage_vectors: np.ndarray  # float32, one unit row per passage, in passage order
    sentence_vectors: tuple[np.ndarray, ...]  # per passage: one unit row per sentence


def embed_documents(
    encoder,
    documents: Sequence[PreparedDocument],
    *,
    on_progress: Callable[[int, int], None] | None = None,
) -> list[EmbeddedDocument]:
    """Embed every passage of `documents` (as the model reads it: with its title) and its
    sentences in one encoder call, so batches sorted by length span documents."""
    texts = [text for document in documents for text in document.contextual_passages()]
    spans = [s for document in documents for s in document.contextual_sentence_spans()]
    vectors, sentence_vectors = encoder.encode_with_spans(texts, spans, on_progress=on_progress)
    embedded, row = [], 0
    for document in documents:
        count = len(document.passages)
        embedded.append(EmbeddedDocument(
            document, vectors[row : row + count], tuple(sentence_vectors[row : row + count])
        ))
        row += count
    return embedded
