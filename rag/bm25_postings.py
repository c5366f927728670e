"""An in-memory copy of one generation's lexical index, for fast BM25 on large libraries.

Why: FTS5's bm25() scores every passage that shares a term with the query, one callback
per row; at 100k passages a question's terms match ~20k of them and that costs tens of
milliseconds, the largest part of a search. Here each term's postings are numpy arrays
(passage position, term frequency), so scoring every match is a few vectorised operations.

The scores are FTS5's own, computed the same way (`rag.store.bm25_scores`; the same IDF,
length normalisation and constants, over the same snapshot of the same rows), so a search
gives the same ranking with or without this copy (a test holds them equal). It is derived
data: built from the SQLite rows of one generation, never written to disk, and dropped when
the library moves to another generation. `LexicalCopy` decides when to build one.
"""

from __future__ import annotations

import math
import threading
from array import array
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from rag import store
from rag.store import BM25_B, BM25_K1

_BUILD_CHUNK = 50_000  # rows analysed per step of a build, bounding its temporary memory


class Bm25Postings:
    def __init__(self, generation: int, ids: np.ndarray, lengths: np.ndarray, vocabulary: dict[str, int],
                 starts: np.ndarray, positions: np.ndarray, frequencies: np.ndarray):
        self.generation = generation
        self._ids = ids  # passage ids, ascending; a passage's position is its index here
        self._lengths = lengths  # terms per passage (BM25's document length)
        self._average = float(lengths.mean()) if len(lengths) else 1.0
        self._vocabulary = vocabulary  # term -> row of `starts`
        self._starts = starts  # postings of term t: [starts[t], starts[t + 1])
        self._positions = positions
        self._frequencies = frequencies
        self._last: tuple[tuple[str, ...], np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        """Memory held by the arrays (the vocabulary dict adds ~100 bytes per distinct term)."""
        arrays = (self._ids, self._lengths, self._starts, self._positions, self._frequencies)
        return sum(a.nbytes for a in arrays)

    @classmethod
    def build(cls, connection, generation: int) -> "Bm25Postings":
        """Read every passage's terms in one snapshot (the caller's read transaction)."""
        ids, lengths = array("q"), array("i")
        # 4 + 4 + 2 bytes per (term, passage) pair: ~0.5 GB while building at a million passages
        term_rows, positions, frequencies = array("i"), array("i"), array("H")
        vocabulary: dict[str, int] = {}
        rows = connection.execute("SELECT id, c0 FROM passage_terms_content ORDER BY id")
        position = 0
        while chunk := rows.fetchmany(_BUILD_CHUNK):
            for passage_id, text in chunk:
                tokens = text.split()
                ids.append(passage_id)
                lengths.append(len(tokens))
                for term, count in Counter(tokens).items():
                    term_rows.append(vocabulary.setdefault(term, len(vocabulary)))
                    positions.append(position)
                    frequencies.append(count)
                position += 1
        terms_of = np.frombuffer(term_rows, dtype=np.int32)
        by_term = np.argsort(terms_of, kind="stable")  # stable: each term's postings stay in id order
        starts = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms_of, minlength=len(vocabulary)), out=starts[1:])
        return cls(
            generation,
            np.frombuffer(ids, dtype=np.int64).copy(),
            np.frombuffer(lengths, dtype=np.int32).astype(np.float64),
            vocabulary,
            starts,
            np.frombuffer(positions, dtype=np.int32)[by_term],
            np.frombuffer(frequencies, dtype=np.uint16)[by_term],
        )

    def _scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every passage (by position) for the distinct `terms`, as FTS5 computes it.
        The last query's array is kept: a hybrid search asks for its top passages and then
        for the scores of the dense retriever's candidates, for the same terms."""
        key = tuple(dict.fromkeys(terms))
        last = self._last
        if last is not None and last[0] == key:
            return last[1]
        total = self._compute(key)
        self._last = (key, total)  # one tuple assignment: threads see the old pair or the new
        return total

    def _compute(self, terms: tuple[str, ...]) -> np.ndarray:
        total = np.zeros(len(self._ids), dtype=np.float64)
        norm_base = BM25_K1 * (1 - BM25_B)
        norm_scale = BM25_K1 * BM25_B / self._average
        for term in terms:
            row = self._vocabulary.get(term)
            if row is None:
                continue
            begin, end = self._starts[row], self._starts[row + 1]
            having = end - begin
            idf = max(math.log((len(self._ids) - having + 0.5) / (having + 0.5)), 1e-6)
            positions = self._positions[begin:end]
            tf = self._frequencies[begin:end].astype(np.float64)
            total[positions] += idf * tf * (BM25_K1 + 1) / (tf + norm_base + norm_scale * self._lengths[positions])
        return total

    def top(self, terms: Sequence[str], limit: int | None, allowed_ids: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(passage id, BM25) of the best `limit` (or all) matching passages, best first, ties
        by id; like `store.lexical_matches`. `allowed_ids` restricts the passages."""
        scores = self._scores(terms)
        matching = np.flatnonzero(scores > 0)
        if allowed_ids is not None:
            matching = matching[np.isin(self._ids[matching], allowed_ids)]
        if limit is not None and len(matching) > limit:
            # the limit-th best score, then everything at least that good (ties kept for the id order)
            cut = np.partition(scores[matching], len(matching) - limit)[len(matching) - limit]
            matching = matching[scores[matching] >= cut]
        order = np.lexsort((self._ids[matching], -scores[matching]))[:limit]
        chosen = matching[order]
        return [(int(i), float(s)) for i, s in zip(self._ids[chosen], scores[chosen])]

    def scores(self, terms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
        """BM25 of the listed passages (0 for a passage without the terms or not indexed)."""
        scores = self._scores(terms)
        wanted = np.asarray(list(ids), dtype=np.int64)
        found = np.clip(np.searchsorted(self._ids, wanted), 0, max(len(self._ids) - 1, 0))
        present = (self._ids[found] == wanted) if len(self._ids) else np.zeros(len(wanted), dtype=bool)
        return {int(i): float(scores[f]) if ok else 0.0 for i, f, ok in zip(wanted, found, present)}


class LexicalCopy:
    """A library's `Bm25Postings` for the generation it is reading, kept up to date.

    Libraries smaller than `build_above` passages never get one (FTS5 takes a few ms there).
    Otherwise the copy is built in a background thread from a process's second search on,
    so a one-shot command (`python -m rag ask`) never pays for a build; until it is ready,
    and after each new generation until it is rebuilt, FTS5 answers with the same scores.
    """

    def __init__(self, database: Path, build_above: int):
        self.database = database
        self.build_above = build_above
        self.postings: Bm25Postings | None = None
        self.building: int | None = None  # the generation a background build reads
        self._searches_without = 0
        self._lock = threading.Lock()

    def for_generation(self, generation: int, passages: int) -> Bm25Postings | None:
        postings = self.postings
        if postings is not None and postings.generation == generation:
            return postings
        self._searches_without += 1
        if passages >= self.build_above and self._searches_without > 1 and self.building != generation:
            self.building = generation
            threading.Thread(target=self.build, name="bm25-postings", daemon=True).start()
        return None

    def build(self) -> None:
        """Build the copy for the library's current generation now, in this thread."""
        connection = store.connect(self.database, read_only=True)
        try:
            connection.execute("BEGIN")  # one snapshot: the rows of exactly one generation
            generation = int(store.read_meta(connection)["generation"])
            postings = Bm25Postings.build(connection, generation)
            connection.execute("COMMIT")
            with self._lock:
                if self.postings is None or self.postings.generation < generation:
                    self.postings = postings
        finally:
            connection.close()
            self.building = None
