"""Vectors only: the sentence-transformers encoder and the FAISS vector index.

Nothing here knows what a document, passage or citation is; `rag` builds on this package
and never the other way round.
"""

from embeddings.encoder import BACKENDS, DEFAULT_MODEL, FAITHFUL_KIND, VECTOR_KINDS, Encoder, ModelLoadFailed
from embeddings.model_digest import model_digest
from embeddings.vector_index import VectorIndex, VectorIndexError

__all__ = ["BACKENDS", "DEFAULT_MODEL", "FAITHFUL_KIND", "VECTOR_KINDS", "Encoder", "ModelLoadFailed", "model_digest", "VectorIndex", "VectorIndexError"]
