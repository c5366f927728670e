"""Vectors keyed by stable integer ids, searchable by inner product, saved atomically.

Owns the choice of index by size and the changes between them; the file format (header,
checksum, refusing damaged files) is `vector_file`'s. Knows nothing of passages or documents.

Layouts (see docs/performance.md, "Vector index by size", for the measurements):
- "flat": exact search over float32 vectors (`IndexFlatIP`), ~1.6 KB per vector. A single
  query scans every vector, ~2 ms at 25k on 2 cores but ~25 ms at 50k.
- "ivf": above `approximate_above` vectors, an inverted file over float16 vectors
  (`IVF<nlist>,SQfp16`, nlist ~ 4*sqrt(n), `NPROBE` lists per query), ~0.8 KB per vector,
  under a millisecond at 1M, recall@10 ~0.99 against exact search.
- "compressed": above `compress_above` vectors, the same inverted file over 8-bit codes
  (`IVF<nlist>,SQ8`, one byte per dimension, encoding the residual from the list's
  centroid), ~0.4 KB per vector, ~2 ms at 5M, recall@10 ~0.98. Where float16 needs 16 GB
  for 20M vectors, this needs ~8. Product quantisation was measured and lost at every
  byte budget on these embeddings: alone it stays under 0.9 recall (0.89 at 207 bytes);
  re-ranking its candidates on 8-bit codes reaches 0.96-0.98 but stores those codes too
  (468 bytes) and was no faster up to 5M (docs/performance.md).
The approximate layouts remove ids natively (a hash-table direct map), so removal needs no
rebuild. Their clustering and codes are trained on a random sample of at most
`TRAIN_SAMPLE` vectors and retrained when the index has grown 4x since; the layout changes
by itself as the index grows past a threshold or shrinks to half of it.
Filtered searches over few ids are exact in every layout (see `search`).
"""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from embeddings import allocator, vector_file
from embeddings.vector_file import VectorIndexError

LAYOUTS = ("flat", "ivf", "compressed")  # in order of size
CODES = {"ivf": "SQfp16", "compressed": "SQ8"}  # what each approximate layout stores
FLAT_VERSION = 1  # what every flat file is, so older programs still read small libraries
APPROXIMATE_VERSION = 3  # CRC-checked and mapped, not copied, on load (see vector_file)
# Measured (bench/index_bench.py): flat search stays ~2 ms up to ~25k vectors.
APPROXIMATE_ABOVE = 20_000
# float16 IVF costs 0.8 KB per vector: 1.6 GB at 2M, which keeps a process with the model
# under the 3 GiB memory target; past that, 8-bit codes halve it for recall 0.98, not 0.998.
COMPRESS_ABOVE = 2_000_000
# Lists scanned per query: recall@10 ~0.99 vs exact on MiniLM-like vectors, 100k-1M.
NPROBE = 64
# Retrain the clustering once the index is this many times what it was trained on.
RETRAIN_GROWTH = 4
# Training vectors: a random sample this large at most, so training time stays bounded
# (k-means cost grows with sample x lists); it also caps the lists at TRAIN_SAMPLE / 39.
TRAIN_SAMPLE = 256_000
# Vectors copied per step into a rebuilt index (float32, ~30 MB), so a rebuild's peak is the
# old and the new index rather than a large copy beside them.
REBUILD_CHUNK = 20_000
# A filter allowing at most this many ids is answered exactly, by brute force over them.
EXACT_FILTER_MAX = 20_000

__all__ = ["VectorIndex", "VectorIndexError"]


class VectorIndex:
    """Inner-product search over unit vectors (cosine similarity), exact while small."""

    def __init__(
        self,
        dimension: int,
        *,
        approximate_above: int = APPROXIMATE_ABOVE,
        compress_above: int = COMPRESS_ABOVE,
    ):
        if dimension < 1:
            raise ValueError("dimension must be positive")
        # Before any list is allocated, or a reopened index's lists come from the heap and
        # the first add leaves every one of them there twice (`embeddings.allocator`).
        allocator.hold_mmap_threshold()
        self.dimension = dimension
        self.approximate_above = approximate_above
        self.compress_above = compress_above
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._layout = "flat"
        self._trained_on = 0  # vectors the clustering was trained on; 0 while flat
        self._ids: np.ndarray | None = None  # ids() cache, dropped on every change
        # What the saver wrote beside the vectors to recognise the file again (the library
        # writes its generation), None for files saved without one.
        self.label: str | None = None

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def count(self) -> int:
        return len(self)

    @property
    def layout(self) -> str:
        return self._layout

    def ids(self) -> np.ndarray:
        if self._ids is None:
            if self._layout == "flat":
                self._ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            else:
                lists = self._index.invlists
                parts = [faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).copy()
                         for i in range(self._index.nlist) if lists.list_size(i)]
                self._ids = np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64)
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
            self._writable().add_with_ids(vectors, ids)
            self._ids = None
            # Never a smaller layout on the way up: between a threshold and half of it the
            # index keeps the layout it has (see `remove`).
            wanted = max(self._layout_for(len(self)), self._layout, key=LAYOUTS.index)
            outgrown = self._trained_on and len(self) > RETRAIN_GROWTH * self._trained_on
            if wanted != self._layout or outgrown:
                self._rebuild(wanted)

    def remove(self, ids) -> int:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if not len(ids):
            return 0
        # The IVF's hash-table direct map only accepts an id array selector.
        selector = faiss.IDSelectorBatch(ids) if self._layout == "flat" else faiss.IDSelectorArray(ids)
        removed = int(self._writable().remove_ids(selector))
        self._ids = None
        # Back to a smaller layout only once the index is under half its threshold, so an
        # index hovering at a threshold is not rebuilt on every change.
        wanted = self._layout_for(2 * len(self))
        if LAYOUTS.index(wanted) < LAYOUTS.index(self._layout):
            self._rebuild(wanted)
        return removed

    def _layout_for(self, count: int) -> str:
        if count > self.compress_above:
            return "compressed"
        return "ivf" if count > self.approximate_above else "flat"

    def _writable(self):
        """The FAISS index, first copied into memory if it is still mapped from its file."""
        self._index = vector_file.writable(self._index)
        return self._index

    def _rebuild(self, layout: str) -> None:
        """Rebuild from the stored vectors into `layout`, trained afresh if approximate.
        Copies in chunks, so the peak is the old and the new index, not a float32 copy too
        (measured: bench/retrain_memory.py).
        A compressed index retrains from its own 8-bit vectors (this package never keeps the
        originals), so each retrain adds a little quantisation error."""
        ids = self.ids()
        if layout == "flat":
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
        else:
            # ~4*sqrt(n) lists, but at least 39 training vectors per list (FAISS's minimum).
            sample_size = min(len(ids), TRAIN_SAMPLE)
            nlist = max(1, min(int(4 * np.sqrt(len(ids))), sample_size // 39))
            sample_ids = np.sort(np.random.default_rng(0).choice(ids, sample_size, replace=False))
            # The float32 sample (up to ~390 MB) lives while training only, not while copying.
            index = _trained_ivf(self.vectors(sample_ids), nlist, CODES[layout])
            index.nprobe = min(NPROBE, nlist)
        for start in range(0, len(ids), REBUILD_CHUNK):
            chunk = ids[start : start + REBUILD_CHUNK]
            index.add_with_ids(self.vectors(chunk), chunk)
        self._index, self._layout, self._ids = index, layout, None
        self._trained_on = 0 if layout == "flat" else len(ids)

    def vectors(self, ids) -> np.ndarray:
        """The stored vectors for these ids (KeyError-like RuntimeError if one is missing);
        float16 in the IVF layout, 8-bit in the compressed one: within ~1e-3 and ~1e-2."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if self._layout != "flat" and len(ids):
            return self._index.reconstruct_batch(ids)
        out = np.empty((len(ids), self.dimension), dtype=np.float32)
        for row, vector_id in enumerate(ids):
            out[row] = self._index.reconstruct(int(vector_id))
        return out

    def search(self, queries, k: int, *, allowed_ids=None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query row; missing slots have id -1.

        `allowed_ids` restricts the search to those ids inside FAISS, so filters never lose
        results the way post-filtering a short list would. In the approximate layouts a
        filter of at most `EXACT_FILTER_MAX` ids is searched exactly over just those vectors;
        a wider one probes proportionally more lists, so it finds as many allowed vectors as
        an unfiltered search would.
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
        if self._layout == "flat":
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
    def save(self, path: Path | str, *, label: str | None = None) -> None:
        """Write to a temporary file beside `path`, flush it to disk, then rename over.
        `label` is stored in the header and read back as `load(...).label`."""
        flat = self._layout == "flat"
        header = {
            "format": "rag-vector-index",
            "version": FLAT_VERSION if flat else APPROXIMATE_VERSION,
            "dimension": self.dimension,
            "count": len(self),
            "layout": self._layout,
            "index": "IDMap2,FlatIP" if flat else f"IVF{self._index.nlist},{CODES[self._layout]}",
            "trained_on": self._trained_on,
        }
        if label is not None:
            header["label"] = label
        vector_file.write(path, header, self._index)

    @classmethod
    def load(
        cls,
        path: Path | str,
        *,
        dimension: int | None = None,
        approximate_above: int = APPROXIMATE_ABOVE,
        compress_above: int = COMPRESS_ABOVE,
    ) -> "VectorIndex":
        """The index saved at `path`, verified (see `vector_file.read`); approximate layouts
        stay mapped from the file until something changes them."""
        header, faiss_index = vector_file.read(path, dimension=dimension)
        # Files before version 3 have no layout: version 1 was always flat, 2 always IVF.
        layout = header.get("layout", "ivf" if header["version"] == 2 else "flat")
        if layout not in LAYOUTS:
            raise VectorIndexError(f"{path} has a damaged header (layout {layout!r})")
        index = cls(header["dimension"], approximate_above=approximate_above, compress_above=compress_above)
        index._index = faiss_index
        index._layout, index._trained_on = layout, int(header.get("trained_on", 0))
        index.label = header.get("label")
        if len(index) != header["count"]:
            raise VectorIndexError(f"{path} holds {len(index)} vectors, header says {header['count']}")
        return index


def _trained_ivf(sample: np.ndarray, nlist: int, codes: str):
    index = faiss.index_factory(sample.shape[1], f"IVF{nlist},{codes}", faiss.METRIC_INNER_PRODUCT)
    index.train(sample)
    index.set_direct_map_type(faiss.DirectMap.Hashtable)  # reconstruct and remove by id
    return index
