"""A library's state as `rag.check`'s rules read it: one read transaction, loaded lazily.

Owns opening a library database for checking (without `Library.open`, so a library too
damaged to open can still be checked), the queries only checking needs, and the parts of
the state several rules and repairs share. Every part is read once: each document's text
is read (and checksummed) once for all of its passages, and text SQLite cannot decode is
read as bytes, so it is named rather than ending the check.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from embeddings import VectorIndex, VectorIndexError
from rag import library_folder, meta_values, store, vector_blob

Spans = tuple[tuple[int, int, int], ...]


class Snapshot:
    """One library's state as the checks read it; the costly parts load on first use."""

    def __init__(self, folder: Path, db: sqlite3.Connection, meta: dict[str, str]):
        self.folder, self.db, self.meta = folder, db, meta

    @cached_property
    def passages(self) -> list[tuple[int, str, int, int, int, str]]:
        """(id, document_id, paragraph, start, end, sentences_json) of every passage, by id."""
        return self.db.execute(
            "SELECT id, document_id, paragraph, start, end, sentences FROM passages ORDER BY id"
        ).fetchall()

    @cached_property
    def sources(self) -> dict[str, str]:
        """document id -> the source it was ingested from (what to ingest again)."""
        return dict(self.db.execute("SELECT id, source FROM documents"))

    @cached_property
    def _texts(self) -> tuple[dict[str, str], dict[str, str]]:
        texts, damage = {}, {}
        for document_id, data, recorded in self.db.execute(
            "SELECT id, CAST(text AS BLOB), text_sha256 FROM documents"
        ):
            try:
                texts[document_id] = data.decode("utf-8")
            except UnicodeDecodeError as error:
                damage[document_id] = f"is not valid UTF-8 (byte {error.start} of {len(data)})"
                continue
            if store.text_sha256(data) != recorded:
                damage[document_id] = "does not match the checksum recorded when it was ingested"
        return texts, damage

    @property
    def texts(self) -> dict[str, str]:
        """document id -> stored text, for every document whose text decodes."""
        return self._texts[0]

    @property
    def text_damage(self) -> dict[str, str]:
        """document id -> how its stored text is damaged (never repair from these)."""
        return self._texts[1]

    def trusted_text(self, document_id: str) -> str | None:
        return None if document_id in self.text_damage else self.texts.get(document_id)

    @cached_property
    def spans(self) -> dict[int, Spans | None]:
        """passage id -> its sentence spans, None where the stored JSON is damaged."""
        parsed: dict[int, Spans | None] = {}
        for pid, *_, sentences in self.passages:
            try:
                parsed[pid] = store.sentence_spans_of(sentences)
            except ValueError:
                parsed[pid] = None
        return parsed

    @property
    def dimension(self) -> int | None:
        """The recorded vector dimension; None if none is recorded, or it is damaged (which
        the metadata check reports)."""
        return None if "dimension" in meta_values.problems(self.meta) else int(self.meta.get("dimension", 0)) or None

    @cached_property
    def _vectors(self) -> tuple[VectorIndex | None, str | None]:
        name = self.meta.get("vector_file")
        if name is None or meta_values.generation_of_file(name) is None:
            return None, None  # no file, or a name the metadata check reports
        try:
            return VectorIndex.load(self.folder / name, dimension=self.dimension), None
        except VectorIndexError as error:
            return None, str(error)

    @property
    def vectors(self) -> VectorIndex | None:
        return self._vectors[0]

    @property
    def vector_error(self) -> str | None:
        return self._vectors[1]

    def malformed_sentence_vectors(self) -> list[int]:
        """Ids of the passages whose stored sentence vectors do not fit their sentences
        (passages whose sentences are damaged are the `sentences` check's)."""
        dimension = self.dimension
        if dimension is None:
            return []  # nothing to measure them against
        rows = self.db.execute("SELECT id, sentence_vectors FROM passages WHERE sentence_vectors IS NOT NULL")
        return [pid for pid, blob in rows
                if self.spans.get(pid) is not None and not _holds(blob, len(self.spans[pid]), dimension)]

    def database_damage(self) -> str | None:
        """What SQLite's own consistency check reports, None if the file is sound."""
        problem = self.db.execute("PRAGMA quick_check").fetchone()[0]
        return None if problem == "ok" else problem

    def lexical_index_damage(self) -> str | None:
        """What FTS5's own integrity-check finds wrong with the lexical index's inverted
        index (which searches read and plain SELECTs of its rows never touch), None if sound.
        The check is an INSERT; on a read-only database every term occurrence is read
        instead (through a temporary fts5vocab table), which finds a damaged structure
        though not rows missing from it."""
        try:
            self.db.execute("INSERT INTO passage_terms(passage_terms) VALUES ('integrity-check')")
            return None
        except sqlite3.DatabaseError as error:
            if "readonly" not in str(error):
                return str(error)
        try:
            self.db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.passage_term_occurrences "
                            "USING fts5vocab(main, passage_terms, 'instance')")
            self.db.execute("SELECT count(*) FROM temp.passage_term_occurrences").fetchone()
        except sqlite3.DatabaseError as error:
            return str(error)
        return None


def _holds(blob: bytes, count: int, dimension: int) -> bool:
    try:
        return vector_blob.unpack(blob, dimension).shape == (count, dimension)
    except ValueError:
        return False


@contextmanager
def read_snapshot(folder: Path) -> Iterator[Snapshot]:
    db = library_folder.reading_connection(folder)  # read-only where the folder is
    try:
        db.execute("BEGIN")  # one consistent read of the rows
        yield Snapshot(folder, db, store.read_meta(db))
    finally:
        if db.in_transaction:
            db.execute("COMMIT")
        db.close()
