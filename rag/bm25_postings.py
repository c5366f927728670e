"""BM25 as SQLite's FTS5 computes it, over a library's lexical index: the one place for it.

Owns the formula (FTS5's bm25(): its IDF, length normalisation and constants) and three
ways to score with it, which give the same scores (tests hold them equal):
`lexical_matches` asks FTS5 for the passages matching a query; `bm25_scores` computes the
scores of listed passages from their stored terms (a rowid lookup each, not a MATCH per
row); `Bm25Postings` is an in-memory copy of one generation's index for large libraries.

Why the copy: FTS5's bm25() scores every passage that shares a term with the query, one
callback per row; at 100k passages a question's terms match ~20k of them and that costs tens
of milliseconds, the largest part of a search. There each term's postings are numpy arrays
(passage position, term frequency), so scoring every match is a few vectorised operations.
It is derived data: built from the SQLite rows of one generation, never written to disk,
and dropped when the library moves to another generation (`rag.lexical_copy` decides when).
Leaves out analysing text into terms (`rag.lexical`) and writing the index (`rag.store`).
"""

from __future__ import annotations

import math
import sqlite3
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

# FTS5's bm25() constants (its defaults), for scoring passages FTS5 was not asked about.
BM25_K1 = 1.2
BM25_B = 0.75


def idf(rows: int, having: int) -> float:
    """Inverse document frequency of a term `having` of `rows` passages hold (BM25's
    definition, floored at a small positive value like FTS5's)."""
    return max(math.log((rows - having + 0.5) / (having + 0.5)), 1e-6)


def lexical_matches(connection: sqlite3.Connection, match: str, limit: int | None = None) -> list[tuple[int, float]]:
    """(passage id, BM25 score) of the passages matching an FTS5 MATCH expression, best
    first; the `limit` best, or all. Scores of other passages: `bm25_scores`. (Asking FTS5
    for the scores of listed rowids, `rowid IN (...)`, re-runs the query once per rowid.)"""
    rows = connection.execute(
        # bm25() is negative, more negative is better; ties broken by id for a stable order.
        "SELECT rowid, -bm25(passage_terms) FROM passage_terms WHERE passage_terms MATCH ? "
        "ORDER BY bm25(passage_terms), rowid" + (" LIMIT ?" if limit is not None else ""),
        (match,) if limit is None else (match, limit),
    )
    return [(row[0], float(row[1])) for row in rows]


def bm25_scores(connection: sqlite3.Connection, terms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
    """Each listed passage's BM25 score for the distinct `terms`, computed as FTS5's bm25()
    computes it (same IDF, length normalisation and constants; a test holds them equal),
    from the stored terms: a rowid lookup per passage instead of re-running a MATCH."""
    terms = list(dict.fromkeys(terms))
    if not ids or not terms:
        return {i: 0.0 for i in ids}
    rows_total, tokens_total = lexical_totals(connection)
    average_length = tokens_total / rows_total if rows_total else 1.0
    weights = term_idf(connection, terms)
    scores = {}
    for pid, text in connection.execute(
        # the FTS5 table's own content table: a plain B-tree lookup by id
        f"SELECT id, c0 FROM passage_terms_content WHERE id IN ({','.join('?' * len(ids))})", list(ids)
    ):
        tokens = text.split()
        counts = Counter(tokens)  # counted in C: a Python loop over the tokens cost ~10 ms per search
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / average_length)
        scores[pid] = sum(weights[t] * counts[t] * (BM25_K1 + 1) / (counts[t] + norm) for t in terms if t in counts)
    return {i: scores.get(i, 0.0) for i in ids}


def lexical_totals(connection: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens) in the lexical index, as FTS5 keeps them for bm25(): read from its
    "averages" record (the varints at id 1 of its data table) instead of counting, which
    takes ~30 ms per 100k rows. Falls back to counting if the record is not there."""
    row = connection.execute("SELECT block FROM passage_terms_data WHERE id = 1").fetchone()
    if row is not None and row[0]:
        values = _varints(row[0])
        if len(values) >= 2:
            return values[0], values[1]
    rows, tokens = connection.execute(
        "SELECT count(*), coalesce(sum(length(terms) - length(replace(terms, ' ', '')) + (terms != '')), 0) "
        "FROM passage_terms"
    ).fetchone()
    return rows, tokens


def _varints(block: bytes) -> list[int]:
    """SQLite's variable-length integers (big-endian, 7 bits a byte, the 9th byte whole)."""
    values, position = [], 0
    while position < len(block):
        value = 0
        for index in range(9):
            byte = block[position]
            position += 1
            if index == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values


def term_idf(connection: sqlite3.Connection, terms: Iterable[str],
             postings: "Bm25Postings | None" = None) -> dict[str, float]:
    """Inverse document frequency (`idf`) of each term over the passages; a term no passage
    has gets the highest value. `postings`: the in-memory copy of this generation, if kept."""
    return idf_of_counts(connection, term_passage_counts(connection, terms, postings))


def evidence_idf(rows: int, having: int) -> float:
    """How much a question term says about which sentence answers: Lucene's form of BM25's IDF,
    log(1 + (N - n + 0.5) / (n + 0.5)), which never reaches zero. BM25's own (`idf`) is floored
    at zero for every term over half the passages hold, so in a library of one or two
    articles "which countries are members of the SCO?" weighed "members" and nothing else and
    cited "... frictions between members" before the sentence that lists them. Ranking keeps
    `idf`, as FTS5 computes it; where n is small against N the two differ by little
    (docs/evaluation.md, "Evidence weights that never reach zero")."""
    return math.log(1 + (rows - having + 0.5) / (having + 0.5))


def evidence_weights(connection: sqlite3.Connection, having: dict[str, int]) -> dict[str, float]:
    """`evidence_idf` of each term from `term_passage_counts` already read."""
    if not having:
        return {}
    total = lexical_totals(connection)[0]
    return {t: evidence_idf(total, n) for t, n in having.items()}


def idf_of_counts(connection: sqlite3.Connection, having: dict[str, int]) -> dict[str, float]:
    """`term_idf` from `term_passage_counts` already read (so a caller needing both reads
    the vocabulary once)."""
    if not having:
        return {}
    total = lexical_totals(connection)[0]
    return {t: idf(total, n) for t, n in having.items()}


def term_passage_counts(connection: sqlite3.Connection, terms: Iterable[str],
                        postings: "Bm25Postings | None" = None) -> dict[str, int]:
    """How many passages hold each term (0 for a term the library has never seen). From
    `postings`, the in-memory copy of the connection's generation, when one is kept: fts5vocab
    counts a term's passages by reading all its postings (1.2 ms p50, 3-4 ms p95 for a
    question at 100k passages, twice per `ask`), the copy knows each count already."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return {}
    if postings is not None:
        return postings.passage_counts(terms)
    # fts5vocab reads the index's own counts; a temp table, so the library file is untouched.
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.passage_vocab USING fts5vocab(main, 'passage_terms', 'row')"
    )
    having = dict(connection.execute(
        f"SELECT term, doc FROM temp.passage_vocab WHERE term IN ({','.join('?' * len(terms))})", terms
    ))
    return {t: having.get(t, 0) for t in terms}


def lexical_rows(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT count(*) FROM passage_terms").fetchone()[0]



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
        ids, lengths, vocabulary, terms_of, positions, frequencies = _read_postings(
            connection.execute("SELECT id, c0 FROM passage_terms_content ORDER BY id"), {})
        by_term = np.argsort(terms_of, kind="stable")  # stable: each term's postings stay in id order
        starts = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms_of, minlength=len(vocabulary)), out=starts[1:])
        return cls(generation, ids, lengths, vocabulary, starts, positions[by_term], frequencies[by_term])

    def extended(self, connection, generation: int) -> "Bm25Postings | None":
        """This copy brought up to `generation` by reading only the passages added since, in
        the caller's read transaction; None if passages it holds were removed since (then
        `build`). Passage ids only grow (`meta.next_passage_id`), so what a generation adds
        is the rows above this copy's last id: a streamed ingest's generation costs the
        terms of its own passages, not a rebuild of the whole copy (37 s at 1M passages)."""
        last = int(self._ids[-1]) if len(self._ids) else -1
        count, id_sum = connection.execute(
            "SELECT count(*), coalesce(sum(id), 0) FROM passage_terms_content WHERE id <= ?", (last,)).fetchone()
        if (count, id_sum) != (len(self._ids), int(self._ids.sum())):
            return None
        vocabulary = dict(self._vocabulary)  # searches in other threads keep using this copy's
        ids, lengths, vocabulary, terms_of, positions, frequencies = _read_postings(
            connection.execute("SELECT id, c0 FROM passage_terms_content WHERE id > ? ORDER BY id", (last,)),
            vocabulary)
        if not len(ids):
            return Bm25Postings(generation, self._ids, self._lengths, self._vocabulary, self._starts,
                                self._positions, self._frequencies)
        # Each new posting goes after its term's old ones (its passage's id is larger), new
        # terms after all old postings: one np.insert, no sort of the whole index.
        by_term = np.argsort(terms_of, kind="stable")
        terms_of = terms_of[by_term]
        old_starts = np.concatenate([self._starts, np.full(len(vocabulary) - len(self._vocabulary),
                                                           self._starts[-1])])
        added = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms_of, minlength=len(vocabulary)), out=added[1:])
        at = old_starts[terms_of + 1]
        return Bm25Postings(
            generation,
            np.concatenate([self._ids, ids]),
            np.concatenate([self._lengths, lengths]),
            vocabulary,
            old_starts + added,
            np.insert(self._positions, at, positions[by_term] + len(self._ids)),
            np.insert(self._frequencies, at, frequencies[by_term]),
        )

    def passage_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many passages hold each term, as FTS5's vocabulary counts them."""
        rows = {t: self._vocabulary.get(t) for t in terms}
        return {t: 0 if row is None else int(self._starts[row + 1] - self._starts[row]) for t, row in rows.items()}

    def _scores(self, terms: Sequence[str]) -> np.ndarray:
        """BM25 of every passage (by position) for the distinct `terms`, as FTS5 computes it
        (`bm25_scores`' formula, vectorised).
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
            weight = idf(len(self._ids), having)
            positions = self._positions[begin:end]
            tf = self._frequencies[begin:end].astype(np.float64)
            total[positions] += weight * tf * (BM25_K1 + 1) / (tf + norm_base + norm_scale * self._lengths[positions])
        return total

    def top(self, terms: Sequence[str], limit: int | None, allowed_ids: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(passage id, BM25) of the best `limit` (or all) matching passages, best first, ties
        by id; like `lexical_matches`. `allowed_ids` restricts the passages."""
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


def _read_postings(rows, vocabulary: dict[str, int]):
    """(ids, lengths, vocabulary, term row, position, frequency per (term, passage) pair)
    of `rows` (passage id, terms) in id order; new terms are added to `vocabulary`."""
    ids, lengths = array("q"), array("i")
    # 4 + 4 + 2 bytes per (term, passage) pair: ~0.5 GB while building at a million passages
    term_rows, positions, frequencies = array("i"), array("i"), array("H")
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
    return (np.frombuffer(ids, dtype=np.int64).copy(),
            np.frombuffer(lengths, dtype=np.int32).astype(np.float64),
            vocabulary,
            np.frombuffer(term_rows, dtype=np.int32),
            np.frombuffer(positions, dtype=np.int32),
            np.frombuffer(frequencies, dtype=np.uint16))
