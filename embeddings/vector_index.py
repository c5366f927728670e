"""Vectors keyed by stable integer ids, searchable by inner product, saved atomically.

Owns the FAISS index and its file format: a magic line, a JSON header (format version,
dimension, count, payload checksum) and FAISS's own serialisation — no pickle. A file that
is truncated, from another version, or of another dimension is refused with a clear error.
Knows nothing of passages or documents: only ids and vectors.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import tempfile
from pathlib import Path

import faiss
import numpy as np

MAGIC = b"RAGVEC\n"
FORMAT_VERSION = 1


class VectorIndexError(ValueError):
    """A vector file that cannot be used; the message says why."""


class VectorIndex:
    """Exact inner-product search over unit vectors (cosine similarity)."""

    def __init__(self, dimension: int):
        if dimension < 1:
            raise ValueError("dimension must be positive")
        self.dimension = dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def count(self) -> int:
        return len(self)

    def ids(self) -> np.ndarray:
        return faiss.vector_to_array(self._index.id_map).astype(np.int64)

    def add(self, ids, vectors) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"vectors must have shape (n, {self.dimension}), got {vectors.shape}")
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        if len(np.unique(ids)) != len(ids) or np.isin(ids, self.ids()).any():
            raise ValueError("ids must be unique and not already in the index")
        if len(ids):
            self._index.add_with_ids(vectors, ids)

    def remove(self, ids) -> int:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return 0
        return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors for these ids (KeyError-like RuntimeError if one is missing)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        for row, vector_id in enumerate(ids):
            out[row] = self._index.reconstruct(int(vector_id))
        return out

    def search(self, queries, k: int, *, allowed_ids=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; missing slots have id -1.

        `allowed_ids` restricts the search to those ids (exact, inside FAISS), so filters
        never lose results the way post-filtering a short list would.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        k = max(0, min(int(k), len(self)))
        if k == 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        params = None
        if allowed_ids is not None:
            allowed = np.ascontiguousarray(allowed_ids, dtype=np.int64)
            if not len(allowed):
                empty = np.zeros((len(queries), 0))
                return empty.astype(np.float32), empty.astype(np.int64)
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        scores, ids = self._index.search(queries, k, params=params)
        return scores, ids

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: Path | str) -> None:
        """Write to a temporary file beside `path`, flush it to disk, then rename over."""
        path = Path(path)
        payload = faiss.serialize_index(self._index).tobytes()
        header = json.dumps(
            {
                "format": "rag-vector-index",
                "version": FORMAT_VERSION,
                "dimension": self.dimension,
                "count": len(self),
                "index": "IDMap2,FlatIP",
                "sha256": hashlib.sha256(payload).hexdigest(),
            }
        ).encode()
        fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + struct.pack("<I", len(header)) + header + payload)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    @classmethod
    def load(cls, path: Path | str, *, dimension: int | None = None) -> "VectorIndex":
        path = Path(path)
        try:
            data = path.read_bytes()
        except OSError as error:
            raise VectorIndexError(f"cannot read vector file {path}: {error.strerror}") from error
        if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
            raise VectorIndexError(f"{path} is not a vector index file")
        (header_len,) = struct.unpack_from("<I", data, len(MAGIC))
        body = len(MAGIC) + 4
        try:
            header = json.loads(data[body : body + header_len])
        except ValueError as error:
            raise VectorIndexError(f"{path} has a damaged header") from error
        if header.get("version") != FORMAT_VERSION:
            raise VectorIndexError(
                f"{path} is format version {header.get('version')}, this program reads "
                f"version {FORMAT_VERSION}"
            )
        payload = data[body + header_len :]
        if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
            raise VectorIndexError(f"{path} is truncated or damaged (checksum mismatch)")
        if dimension is not None and header["dimension"] != dimension:
            raise VectorIndexError(
                f"{path} holds {header['dimension']}-dimensional vectors, expected {dimension}"
            )
        index = cls(header["dimension"])
        index._index = faiss.deserialize_index(np.frombuffer(payload, dtype=np.uint8))
        if len(index) != header["count"]:
            raise VectorIndexError(f"{path} holds {len(index)} vectors, header says {header['count']}")
        return index


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
