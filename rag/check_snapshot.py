"""A library's state as `rag.check`'s rules read it: one read transaction, loaded lazily.

Owns opening a library database for checking (without `Library.open`, so a library too
damaged to open can still be checked) and the parts of its state that several rules and
repairs share; reading them is `rag.store`'s.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from embeddings import VectorIndex, VectorIndexError
from rag import library_folder, store, vector_blob


class Snapshot:
    """One library's state as the checks read it; the costly parts load on first use."""

    def __init__(self, folder: Path, db: sqlite3.Connection, meta: dict[str, str]):
        self.folder, self.db, self.meta = folder, db, meta

    @cached_property
    def passages(self) -> list[tuple[int, str, int, int, int, str]]:
        """(id, document_id, paragraph, start, end, sentences_json) of every passage."""
        return store.passage_rows(self.db)

    @cached_property
    def texts(self) -> dict[str, str]:
        return store.document_texts(self.db)

    @cached_property
    def _vectors(self) -> tuple[VectorIndex | None, str | None]:
        name = self.meta.get("vector_file")
        if name is None:
            return None, None
        try:
            dimension = int(self.meta["dimension"]) if "dimension" in self.meta else None
            return VectorIndex.load(self.folder / name, dimension=dimension), None
        except VectorIndexError as error:
            return None, str(error)

    @property
    def vectors(self) -> VectorIndex | None:
        return self._vectors[0]

    @property
    def vector_error(self) -> str | None:
        return self._vectors[1]

    def malformed_sentence_vectors(self) -> list[int]:
        """Ids of the passages whose stored sentence vectors do not fit their sentences."""
        dimension = int(self.meta.get("dimension", 0))
        sentences = {row[0]: len(json.loads(row[5])) for row in self.passages}
        return [pid for pid, blob in store.stored_sentence_vectors(self.db)
                if not _holds(blob, sentences[pid], dimension)]


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
