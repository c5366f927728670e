"""Vectors keyed by stable integer ids, searchable by inner product, saved atomically.

Owns the FAISS index, the choice of index by size, and the file format: a magic line, a
JSON header (format version, dimension, count, layout, payload checksum) and FAISS's own
serialisation — no pickle. A file that is truncated, from another version, or of another
dimension is refused with a clear error. Knows nothing of passages or documents.

Layouts (see docs/performance.md for the measurements behind the numbers):
- "flat": exact search over float32 vectors (`IndexFlatIP`), ~1.6 KB per vector. A single
  query scans every vector, ~2 ms at 25k on 2 cores but ~25 ms at 50k.
- "ivf": above `APPROXIMATE_ABOVE` vectors, an inverted file over float16 vectors
  (`IVF<nlist>,SQfp16`, nlist ~ 4*sqrt(n), `NPROBE` lists per query), ~0.8 KB per vector,
  well under a millisecond at 1M, recall@10 ~0.98-0.99 against exact search. It removes
  ids natively (a hash-table direct map), so removal needs no rebuild; the coarse
  clustering is retrained when the index has grown 4x since it was trained.
Filtered searches over few ids are exact in both layouts (see `search`).
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
FLAT_VERSION = 1  # what every flat file is, so older programs still read small libraries
IVF_VERSION = 2  # older programs must refuse these: they cannot list an IVF's ids
# Measured (bench/index_bench.py): flat search stays ~2 ms up to ~25k vectors.
APPROXIMATE_ABOVE = 20_000
# Lists scanned per query: recall@10 ~0.99 vs exact on MiniLM-like vectors, 100k-1M.
NPROBE = 64
# Retrain the coarse clustering once the index is this many times what it was trained on.
RETRAIN_GROWTH = 4
# A filter allowing at most this many ids is answered exactly, by brute force over them.
EXACT_FILTER_MAX = 20_000


class VectorIndexError(ValueError):
    """A vector file that cannot be used; the message says why."""


class VectorIndex:
    """Inner-product search over unit vectors (cosine similarity), exact while small."""

    def __init__(self, dimension: int, *, approximate_above: int = APPROXIMATE_ABOVE):
        if dimension < 1:
            raise ValueError("dimension must be positive")
        self.dimension = dimension
        self.approximate_above = approximate_above
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._trained_on = 0  # vectors the IVF clustering was trained on; 0 while flat
        self._ids: np.ndarray | None = None  # ids() cache, dropped on every change

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def count(self) -> int:
        return len(self)

    @property
    def layout(self) -> str:
        return "ivf" if self._trained_on else "flat"

    def ids(self) -> np.ndarray:
        if self._ids is None:
            if self._trained_on:
                lists = self._index.invlists
                parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                         for i in range(self._index.nlist) if lists.list_size(i)]
                self._ids = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
            else:
                self._ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
        return self._ids

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
            self._ids = None
            grown = len(self) > RETRAIN_GROWTH * self._trained_on
            if len(self) > self.approximate_above and grown:
                self._rebuild(approximate=True)

    def remove(self, ids) -> int:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return 0
        # The IVF's hash-table direct map only accepts an id array selector.
        selector = faiss.IDSelectorArray(ids) if self._trained_on else faiss.IDSelectorBatch(ids)
        removed = int(self._index.remove_ids(selector))
        self._ids = None
        if self._trained_on and len(self) < self.approximate_above // 2:
            self._rebuild(approximate=False)  # small again: exact search is cheap
        return removed

    def _rebuild(self, *, approximate: bool) -> None:
        """Rebuild from the stored vectors: flat -> IVF, IVF -> retrained IVF, IVF -> flat.
        Copies in chunks, so the peak is the old and the new index, not a float32 copy too."""
        ids = self.ids()
        if not approximate:
            index, trained_on = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension)), 0
        else:
            # ~4*sqrt(n) lists, but at least 39 training vectors per list (FAISS's minimum).
            nlist = max(1, min(int(4 * np.sqrt(len(ids))), len(ids) // 39))
            index = faiss.index_factory(self.dimension, f"IVF{nlist},SQfp16", faiss.METRIC_INNER_PRODUCT)
            sample = np.random.default_rng(0).permutation(len(ids))[: nlist * 64]
            index.train(self.vectors(ids[np.sort(sample)]))
            index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
            index.nprobe = min(NPROBE, nlist)
            trained_on = len(ids)
        for start in range(0, len(ids), 100_000):
            chunk = ids[start : start + 100_000]
            index.add_with_ids(self.vectors(chunk), chunk)
        self._index, self._trained_on, self._ids = index, trained_on, None

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors for these ids (KeyError-like RuntimeError if one is missing)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._trained_on and len(ids):
            return self._index.reconstruct_batch(ids)
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        for row, vector_id in enumerate(ids):
            out[row] = self._index.reconstruct(int(vector_id))
        return out

    def search(self, queries, k: int, *, allowed_ids=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; missing slots have id -1.

        `allowed_ids` restricts the search to those ids inside FAISS, so filters never lose
        results the way post-filtering a short list would. In the IVF layout a filter of at
        most `EXACT_FILTER_MAX` ids is searched exactly over just those vectors; a wider one
        probes proportionally more lists, so it finds as many allowed vectors as an
        unfiltered search would.
        """
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if queries.ndim == 1:
            queries = queries[None, :]
        k = max(0, min(int(k), len(self)))
        allowed = None if allowed_ids is None else np.ascontiguousarray(allowed_ids, dtype=np.int64)
        if k == 0 or (allowed is not None and not len(allowed)):
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        if allowed is None:
            return self._index.search(queries, k)
        if not self._trained_on:
            return self._index.search(queries, k, params=faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed)))
        if len(allowed) <= EXACT_FILTER_MAX:
            return self._exact_subset(queries, k, np.intersect1d(allowed, self.ids()))
        nprobe = min(self._index.nlist, int(np.ceil(self._index.nprobe * len(self) / len(allowed))))
        params = faiss.SearchParametersIVF(sel=faiss.IDSelectorBatch(allowed), nprobe=nprobe)
        return self._index.search(queries, k, params=params)

    def _exact_subset(self, queries: np.ndarray, k: int, ids: np.ndarray):
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        found = np.full((len(queries), k), -1, dtype=np.int64)
        if len(ids):
            similarity = queries @ self.vectors(ids).T
            top = min(k, len(ids))
            best = np.argsort(-similarity, axis=1, kind="stable")[:, :top]
            scores[:, :top] = np.take_along_axis(similarity, best, axis=1)
            found[:, :top] = ids[best]
        return scores, found

    # -- persistence ---------------------------------------------------------------------
    def save(self, path: Path | str) -> None:
        """Write to a temporary file beside `path`, flush it to disk, then rename over."""
        path = Path(path)
        payload = faiss.serialize_index(self._index).tobytes()
        header = json.dumps(
            {
                "format": "rag-vector-index",
                "version": IVF_VERSION if self._trained_on else FLAT_VERSION,
                "dimension": self.dimension,
                "count": len(self),
                "index": f"IVF{self._index.nlist},SQfp16" if self._trained_on else "IDMap2,FlatIP",
                "trained_on": self._trained_on,
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
    def load(
        cls, path: Path | str, *, dimension: int | None = None, approximate_above: int = APPROXIMATE_ABOVE
    ) -> "VectorIndex":
        """Checksum and parse the file as a stream: at 1M vectors, holding the file's bytes
        and FAISS's copy of them beside the index would double the peak memory."""
        path = Path(path)
        try:
            with open(path, "rb") as handle:
                return cls._read(path, handle, dimension, approximate_above)
        except OSError as error:
            raise VectorIndexError(f"cannot read vector file {path}: {error.strerror}") from error

    @classmethod
    def _read(cls, path: Path, handle, dimension: int | None, approximate_above: int) -> "VectorIndex":
        start = handle.read(len(MAGIC) + 4)
        if not start.startswith(MAGIC) or len(start) < len(MAGIC) + 4:
            raise VectorIndexError(f"{path} is not a vector index file")
        (header_len,) = struct.unpack_from("<I", start, len(MAGIC))
        try:
            header = json.loads(handle.read(header_len))
        except ValueError as error:
            raise VectorIndexError(f"{path} has a damaged header") from error
        if not isinstance(header, dict) or header.get("version") not in (FLAT_VERSION, IVF_VERSION):
            version = header.get("version") if isinstance(header, dict) else None
            raise VectorIndexError(
                f"{path} is format version {version}, this program reads "
                f"versions {FLAT_VERSION} and {IVF_VERSION}"
            )
        payload_start = handle.tell()
        digest = hashlib.sha256()
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
        if digest.hexdigest() != header.get("sha256"):
            raise VectorIndexError(f"{path} is truncated or damaged (checksum mismatch)")
        if dimension is not None and header["dimension"] != dimension:
            raise VectorIndexError(
                f"{path} holds {header['dimension']}-dimensional vectors, expected {dimension}"
            )
        handle.seek(payload_start)
        index = cls(header["dimension"], approximate_above=approximate_above)
        index._index = faiss.read_index(faiss.PyCallbackIOReader(handle.read))
        index._trained_on = int(header.get("trained_on", 0))
        if len(index) != header["count"]:
            raise VectorIndexError(f"{path} holds {len(index)} vectors, header says {header['count']}")
        return index


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
