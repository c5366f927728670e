"""Generations: how a library changes without ever being seen half-changed.

Owns the writers' lock, the vector files' names, the leftovers of interrupted writes, and
the commit protocol; `Generations` also keeps the committed generation's vector index that
readers search. Leaves out what the rows of a change are (`rag.writer`) and what a
consistent library is (`rag.check`).

The protocol (why a crash never corrupts a library): vectors of generation g+1 are written
to a new file, `vectors-<g+1>.faiss`, and fsynced; then one SQLite transaction changes the
rows and points `meta.vector_file` at the new file. Before that commit the library is still
generation g (the old file is untouched); after it, generation g+1. Files no generation
points at are deleted by the next writer. Writers take an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from embeddings import VectorIndex, VectorIndexError
from rag import meta_values, store
from rag.errors import LibraryBusyError, LibraryError
from rag.meta_values import generation_of_file, vector_file_name

LOCK_NAME = "write.lock"
# How long a second writer waits for the first before giving up with LibraryBusyError.
DEFAULT_LOCK_TIMEOUT = 0.0
_VECTOR_FILES = "vectors-*.faiss*"  # with FAISS's own side files


@contextmanager
def write_lock(folder: Path, timeout: float = DEFAULT_LOCK_TIMEOUT):
    """The writers' lock across processes: an flock on <folder>/write.lock. The kernel
    drops it when the holder exits or is killed, so a crash never leaves a library locked."""
    with open(folder / LOCK_NAME, "a+") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LibraryBusyError(folder) from None
                time.sleep(0.1)
        yield


def leftover_files(folder: Path, current: str | None) -> list[Path]:
    """Vector files that `current` (meta.vector_file) is not: an interrupted write's remains.
    None at all while `current` is damaged (not a bare vector file name): then no file is
    known to be unused, and deleting any could delete the library's own vectors."""
    if current is not None and generation_of_file(current) is None:
        return []
    return sorted(path for path in folder.glob(_VECTOR_FILES) if path.name != current)


def foreign_vectors(vectors: VectorIndex, vector_file: str) -> str | None:
    """Why a loaded vector file is not the one written under the name `meta.vector_file`
    gives it (a file of another generation copied in its place), None if it is. Files carry
    the generation they were written for; files written before that carry none."""
    written_for = generation_of_file(vector_file)
    if vectors.label is not None and vectors.label != f"generation {written_for}":
        return f"it holds the vectors of {vectors.label}, not of generation {written_for}"
    return None


class Generations:
    """One open library's committed generation as this process sees it, and the steps that
    commit the next one. `lock` serialises this object's readers and its commit step; the
    caller of a commit step holds the writers' lock."""

    def __init__(self, folder: Path, connection):
        self.folder = folder
        self.db = connection
        self.lock = threading.RLock()
        self.vectors: VectorIndex | None = None
        self.generation = -1  # the generation `vectors` belongs to; -1: load on next read

    def meta(self) -> dict[str, str]:
        return meta_values.checked(store.read_meta(self.db), self.folder)

    @contextmanager
    def reading(self):
        """The vectors of the committed generation, with the SQLite rows of that same
        generation: one read transaction holds the snapshot, so a writer in another process
        committing meanwhile is never seen halfway (vectors of one generation, rows of the next).
        Rows SQLite cannot read back (a damaged index, text that is not UTF-8) end the read
        with a LibraryError pointing at `check`, which names what is damaged."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                yield self.current_vectors()
            except sqlite3.DatabaseError as error:
                reason = str(error)[:120]  # SQLite quotes a whole undecodable text
                raise LibraryError(
                    f"The library at {self.folder} could not be read ({reason}). Run `python -m rag check` "
                    "to find what is damaged, and `python -m rag check --repair` to fix what it can"
                ) from error
            finally:
                self.db.execute("COMMIT")

    def current_vectors(self) -> VectorIndex | None:
        """The vector index of the committed generation, reloaded if another writer moved on."""
        for _ in range(3):
            meta = self.meta()
            generation = int(meta["generation"])
            if generation == self.generation:
                return self.vectors
            if "vector_file" not in meta:
                self.vectors, self.generation = None, generation
                return None
            try:
                vectors = VectorIndex.load(self.folder / meta["vector_file"], dimension=int(meta["dimension"]))
            except VectorIndexError as error:
                if (self.folder / meta["vector_file"]).exists():
                    raise LibraryError(
                        f"The library's vector file is damaged: {error}. Run `python -m rag check "
                        "--repair` to rebuild it from the stored text"
                    ) from error
                if self.db.in_transaction:  # our snapshot is older than the files: renew it
                    self.db.execute("COMMIT")
                    self.db.execute("BEGIN")
                continue  # a writer replaced it between our two reads; read meta again
            if problem := foreign_vectors(vectors, meta["vector_file"]) or self._miscounted(vectors):
                raise LibraryError(
                    f"The library's vector file {meta['vector_file']} does not belong to it: {problem}. "
                    "Run `python -m rag check --repair` to rebuild it from the stored text"
                )
            self.vectors, self.generation = vectors, generation
            return vectors
        raise LibraryError(f"The library at {self.folder} keeps changing; try again")

    def _miscounted(self, vectors: VectorIndex) -> str | None:
        """A file without a generation label (written before labels) is at least checked
        to hold one vector per passage; a labelled one was written with the rows it serves."""
        passages = store.counts(self.db)[1]
        if vectors.label is None and len(vectors) != passages:
            return f"it holds {len(vectors)} vectors for {passages} passages"
        return None

    @contextmanager
    def next_generation(self, index: VectorIndex):
        """One write, all or nothing: the body changes rows (and `index`) inside an open
        transaction and may add metadata to the yielded dict; then `index` is written to a
        new vector file and meta points at it, in the same transaction. On any error the
        transaction rolls back and the new file is deleted. The caller holds the write lock
        and `lock`."""
        generation = int(self.meta()["generation"]) + 1
        vector_file = self.folder / vector_file_name(generation)
        extra_meta: dict[str, str] = {}
        try:
            with store.transaction(self.db):
                yield extra_meta
                index.save(vector_file, label=f"generation {generation}")
                store.set_meta(self.db, {"generation": str(generation), "vector_file": vector_file.name,
                                         **extra_meta})
        except BaseException:
            vector_file.unlink(missing_ok=True)
            self.generation = -1  # the in-memory index may hold half a change: reload
            raise
        self.vectors, self.generation = index, generation
        self.remove_leftovers()

    @contextmanager
    def next_rows_generation(self):
        """A generation that changes rows only (a publication date): the vector file stays,
        so nothing large is rewritten, and replicas still see one whole commit. The caller
        holds the write lock and `lock`."""
        self.current_vectors()  # so the in-memory index is the one this generation keeps
        generation = int(self.meta()["generation"]) + 1
        with store.transaction(self.db):
            yield
            store.set_meta(self.db, {"generation": str(generation)})
        if self.generation == generation - 1:
            self.generation = generation

    def replace_vectors(self, index: VectorIndex) -> int:
        """Publish `index` as the next generation, rows unchanged (`rag.check`'s repair of
        the vector file). The caller holds the write lock. Returns the new generation."""
        with self.lock:
            with self.next_generation(index) as extra_meta:
                extra_meta["dimension"] = str(index.dimension)
            return self.generation

    def remove_leftovers(self) -> None:
        for path in leftover_files(self.folder, self.meta().get("vector_file")):
            path.unlink(missing_ok=True)
