"""Which in-memory copy of the lexical index (`Bm25Postings`) a library's searches use.

Owns when a copy is built (large libraries only, in a background thread, from a process's
second search on) and that a search only ever uses the copy of the generation it reads. A
copy follows a new generation by reading only the passages it added (`Bm25Postings.extended`),
so a replica keeps up with a streamed ingest; it is built whole only when passages were
removed or replaced since.
"""

from __future__ import annotations

import threading
from pathlib import Path

from rag import library_folder, store
from rag.bm25_postings import Bm25Postings


class LexicalCopy:
    """A library's `Bm25Postings` for the generation it is reading, kept up to date.

    Libraries smaller than `build_above` passages never get one (FTS5 takes a few ms there).
    Otherwise the copy is built in a background thread from a process's second search on,
    so a one-shot command (`python -m rag ask`) never pays for a build; until it is ready,
    and after each new generation until it is extended, FTS5 answers with the same scores.
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
        """Bring the copy to the library's current generation now, in this thread."""
        connection = library_folder.read_only_connection(self.database.parent)
        try:
            connection.execute("BEGIN")  # one snapshot: the rows of exactly one generation
            generation = int(store.read_meta(connection)["generation"])
            earlier = self.postings
            postings = earlier.extended(connection, generation) if earlier is not None else None
            if postings is None:
                postings = Bm25Postings.build(connection, generation)
            connection.execute("COMMIT")
            with self._lock:
                if self.postings is None or self.postings.generation < generation:
                    self.postings = postings
        finally:
            connection.close()
            self.building = None
