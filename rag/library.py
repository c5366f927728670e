"""The library: one folder holding documents, passages and their vectors.

Owns opening/creating a library, the write protocol that keeps SQLite and FAISS consistent,
and the public API (`add`, `remove`, `search`, `ask`, `documents`, `document`).

Write protocol (why a crash never corrupts a library): vectors of generation g+1 are written
to a new file, `vectors-<g+1>.faiss`, and fsynced; then one SQLite transaction changes the
rows and points `meta.vector_file` at the new file. Before that commit the library is still
generation g (the old file is untouched); after it, generation g+1. Files no generation
points at are deleted by the next writer. Writers take an exclusive file lock.
"""

from __future__ import annotations

import fcntl
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings import DEFAULT_MODEL, Encoder, ModelLoadFailed, VectorIndex, VectorIndexError
from rag import document_info, lexical, store, uploads, vector_blob
from rag.abbreviations import find_definitions
from rag.answers import compose
from rag.confidence import ANSWER_FROM
from rag.bm25_postings import Bm25Postings, LexicalCopy
from rag.document_info import DocumentEdit
from rag.document_vectors import EmbeddedDocument, embed_documents
from rag.errors import (
    DocumentError,
    LibraryBusyError,
    LibraryError,
    ModelLoadError,
    ModelMismatchError,
    UnknownDocumentError,
)
from rag.ingest import (
    FileInput,
    PreparedDocument,
    RecordInput,
    TextRecord,
    discover,
    document_id_for,
    pipeline_fingerprint,
    prepare,
)
from rag.lexical import indexed_text
from rag.readers import DEFAULT_MAX_BYTES
from rag.results import Answer, Document, DocumentSummary, FileFailure, Hit, IngestReport
from rag.sentence_cache import SentenceVectorCache
from rag.search import (
    DEFAULT_MODE,
    SearchFilters,
    check_confidence,
    check_k,
    check_mode,
    expand_short_forms,
    normalise_query,
)
from rag.search import search as search_passages

log = logging.getLogger(__name__)

LIBRARY_FORMAT = "rag-library"
# Passages from which searches keep an in-memory copy of the lexical index (`Bm25Postings`):
# FTS5's bm25() costs ~1 ms per 1,000 passages a question matches (~2 ms at 2k passages,
# ~25 ms at 100k), the copy ~0.6 ms at 100k; it holds ~0.4 KB per passage (393 MB at 1M).
POSTINGS_ABOVE = 20_000
LOCK_NAME = "write.lock"
# How long a second writer waits for the first before giving up with LibraryBusyError.
DEFAULT_LOCK_TIMEOUT = 0.0

Progress = Callable[[str, int, int], None]  # (stage, done, total); stage: "reading" | "embedding"


@dataclass(frozen=True)
class LibraryStats:
    documents: int
    passages: int
    model: str
    dimension: int | None
    generation: int


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


@lru_cache(maxsize=8)
def shared_encoder(model: str) -> Encoder:
    """One encoder per model per process, so libraries and UI sessions share loaded weights."""
    return Encoder(model)


def _checked_meta(connection, folder: Path, requested: str | None, *, may_upgrade: bool) -> dict[str, str]:
    """The library's metadata, once it is known to be a library of this schema (upgraded if
    allowed) made with the `requested` model; otherwise the connection is closed and the
    error says what to do."""
    try:
        meta = store.read_meta(connection)
        if meta.get("format") != LIBRARY_FORMAT:
            raise LibraryError(f"{folder / store.DATABASE_NAME} is not a library database; choose another folder")
        if meta.get("schema_version") in store.UPGRADABLE:
            if not may_upgrade:
                raise LibraryError(f"{folder} uses library schema {meta.get('schema_version')}; open it once "
                                   "for writing (e.g. `python -m rag check`) to upgrade it")
            store.upgrade(connection)
            meta = store.read_meta(connection)
        if meta.get("schema_version") != str(store.SCHEMA_VERSION):
            raise LibraryError(
                f"{folder} uses library schema {meta.get('schema_version')}; this version reads "
                f"schema {store.SCHEMA_VERSION}. Re-create the library from your documents"
            )
        if requested and requested != meta["model"]:
            raise ModelMismatchError(folder, meta["model"], requested)
    except BaseException:
        connection.close()
        raise
    return meta


class Library:
    def __init__(self, folder: Path, connection, encoder: Encoder):
        self.folder = folder
        self._db = connection
        self.encoder = encoder
        # Readers and the commit step share `_lock`; a long ingest (parsing, embedding) holds
        # only `_write_lock`, so searches in other threads keep answering meanwhile.
        self._lock = threading.RLock()
        self._write_lock = threading.Lock()
        self._vectors: VectorIndex | None = None
        self._vectors_generation = -1
        self.passages_embedded = 0  # this object's count, for "re-ingest embeds nothing"
        self.read_only = False  # set by `open(read_only=True)`: a replica never writes
        self._embedded_sentences = SentenceVectorCache(self._encode)
        self._lexical_copy = LexicalCopy(folder / store.DATABASE_NAME, POSTINGS_ABOVE)

    # -- opening -------------------------------------------------------------------------
    @staticmethod
    def exists(path: Path | str) -> bool:
        """Whether `path` already holds a library (without opening or creating it)."""
        return (Path(path).expanduser() / store.DATABASE_NAME).exists()

    @classmethod
    def open(
        cls,
        path: Path | str = "library",
        *,
        model: str | None = None,
        encoder: Encoder | None = None,
        read_only: bool = False,
    ) -> "Library":
        """Open the library in `path`, creating an empty one if the folder is new or empty.

        `model` (a sentence-transformers name or folder) only matters for a new library;
        an existing one always uses the model it was built with, and asking for another is
        a ModelMismatchError. `encoder` lets callers share an already loaded model.
        `read_only` opens an existing library as a replica: it searches and answers, follows
        each generation a writer (another process) commits, and never changes the library
        (SQLite's shared-memory index file, -shm, is the only file a reader may create).
        """
        folder = Path(path).expanduser()
        if folder.exists() and not folder.is_dir():
            raise LibraryError(f"{folder} is a file, not a library folder; choose a folder path")
        database = folder / store.DATABASE_NAME
        requested = encoder.name if encoder else (Encoder(model).name if model else None)
        if read_only:
            return cls._open_replica(folder, requested, encoder)
        if not database.exists():
            # Files named library.sqlite* may be another process creating this library now.
            if folder.exists() and any(not p.name.startswith(store.DATABASE_NAME) for p in folder.iterdir()):
                raise LibraryError(
                    f"{folder} is not a library (it has no {store.DATABASE_NAME}) and is not empty; "
                    "choose a new or empty folder"
                )
            folder.mkdir(parents=True, exist_ok=True)
        connection = store.connect(database)
        if store.is_empty(connection):  # new, or another process has not committed it yet
            store.create(connection, {
                "format": LIBRARY_FORMAT,
                "model": requested or DEFAULT_MODEL,
                "generation": "0",
                "next_passage_id": "1",
            })
        meta = _checked_meta(connection, folder, requested, may_upgrade=True)
        return cls(folder, connection, encoder or shared_encoder(meta["model"]))

    @classmethod
    def _open_replica(cls, folder: Path, requested: str | None, encoder: Encoder | None) -> "Library":
        database = folder / store.DATABASE_NAME
        if not database.is_file():
            raise LibraryError(f"{folder} has no library to open read-only; build it first with "
                               "`python -m rag ingest PATH --library DIR`")
        connection = store.connect(database, read_only=True)
        meta = _checked_meta(connection, folder, requested, may_upgrade=False)
        library = cls(folder, connection, encoder or shared_encoder(meta["model"]))
        library.read_only = True
        return library

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading -------------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        return store.read_meta(self._db)

    @contextmanager
    def _reading(self):
        """The vectors of the committed generation, with the SQLite rows of that same
        generation: one read transaction holds the snapshot, so a writer in another process
        committing meanwhile is never seen halfway (vectors of one generation, rows of the next)."""
        with self._lock:
            self._db.execute("BEGIN")
            try:
                yield self._current_vectors()
            finally:
                self._db.execute("COMMIT")

    def _current_vectors(self) -> VectorIndex | None:
        """The vector index of the committed generation, reloaded if another writer moved on."""
        for _ in range(3):
            meta = self._meta()
            generation = int(meta["generation"])
            if generation == self._vectors_generation:
                return self._vectors
            if "vector_file" not in meta:
                self._vectors, self._vectors_generation = None, generation
                return None
            try:
                vectors = VectorIndex.load(self.folder / meta["vector_file"], dimension=int(meta["dimension"]))
            except VectorIndexError as error:
                if (self.folder / meta["vector_file"]).exists():
                    raise LibraryError(
                        f"The library's vector file is damaged: {error}. Run `python -m rag check "
                        "--repair` to rebuild it from the stored text"
                    ) from error
                if self._db.in_transaction:  # our snapshot is older than the files: renew it
                    self._db.execute("COMMIT")
                    self._db.execute("BEGIN")
                continue  # a writer replaced it between our two reads; read meta again
            self._vectors, self._vectors_generation = vectors, generation
            return vectors
        raise LibraryError(f"The library at {self.folder} keeps changing; try again")

    def stats(self) -> LibraryStats:
        with self._lock:
            meta = self._meta()
            documents, passages = self._db.execute(
                "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages)"
            ).fetchone()
            dimension = int(meta["dimension"]) if "dimension" in meta else None
            return LibraryStats(documents, passages, meta["model"], dimension, int(meta["generation"]))

    def documents(self) -> list[DocumentSummary]:
        with self._lock:
            return store.list_documents(self._db)

    def document(self, document_id: str) -> Document:
        with self._lock:
            found = store.get_document(self._db, document_id)
        if found is None:
            raise UnknownDocumentError(document_id)
        return found

    def passages(self, document_id: str):
        """The passages of one document, in order (for showing a whole document)."""
        self.document(document_id)
        with self._lock:
            return store.document_passages(self._db, document_id)

    # -- search and answers --------------------------------------------------------------
    def _embed_query(self, query: str) -> np.ndarray:
        try:
            return self.encoder.encode_query(query)
        except ModelLoadFailed as error:
            raise ModelLoadError(self.encoder.name, str(error)) from error

    def search(
        self,
        query: str,
        k: int = 5,
        *,
        filters: SearchFilters | None = None,
        mode: str = DEFAULT_MODE,
    ) -> list[Hit]:
        """The k best passages for `query`, best first. `mode` is "hybrid" (dense and BM25
        fused, the default), "dense" (cosine similarity) or "lexical" (BM25); a hit's score
        is that mode's score."""
        query, k, mode = normalise_query(query), check_k(k), check_mode(mode)
        with self._reading() as vectors:
            if vectors is None or len(vectors) == 0:
                return []
            query = expand_short_forms(self._db, query)
            query_vector = None if mode == "lexical" else self._embed_query(query)
            return search_passages(self._db, vectors, query, query_vector, k, filters, mode,
                                   self._lexical_postings(vectors))

    def ask(
        self,
        question: str,
        k: int = 5,
        *,
        filters: SearchFilters | None = None,
        mode: str = DEFAULT_MODE,
        min_confidence: float = ANSWER_FROM,
    ) -> Answer:
        """An extractive answer with citations from the top k passages of `mode`, or an
        abstention with the nearest passages when the answer's confidence (the estimated
        probability that its first citation answers) is below `min_confidence` (0 answers
        always, with the confidence attached)."""
        question, k, mode = normalise_query(question), check_k(k), check_mode(mode)
        min_confidence = check_confidence(min_confidence)
        with self._reading() as vectors:
            if vectors is None or len(vectors) == 0:
                return compose(question, None, [], [], [])
            # Even a lexical search needs the question's vector: abstention and evidence
            # scoring are by meaning.
            retrieval_query = expand_short_forms(self._db, question)  # "SCO" -> also its long form
            query_vector = self._embed_query(retrieval_query)
            hits = search_passages(self._db, vectors, retrieval_query, query_vector, k, filters, mode,
                                   self._lexical_postings(vectors))
            cosines = list(vectors.vectors([h.passage.id for h in hits]) @ query_vector)
            question_terms = lexical.terms(question)
            term_weights = store.term_idf(self._db, question_terms)
            sentence_vectors = self._sentence_vectors_of(hits)
            # what each cited document's short forms stand for, so "the SCO" in a sentence
            # counts as the "Shanghai Cooperation Organization" the question names
            definitions = {d: find_definitions(store.get_document(self._db, d).text)
                           for d in {h.passage.document_id for h in hits}}
            return compose(question, query_vector, hits, cosines, sentence_vectors, term_weights,
                           passage_counts=store.term_passage_counts(self._db, question_terms),
                           definitions=definitions, answer_from=min_confidence)

    def _sentence_vectors_of(self, hits: list[Hit]) -> list[np.ndarray]:
        """Each hit's sentence vectors: stored at ingest, or (for passages stored before
        libraries kept them) embedded now and remembered for the next question."""
        blobs = store.sentence_vector_blobs(self._db, [h.passage.id for h in hits])
        dimension = self.encoder.dimension
        return [
            vector_blob.unpack(blobs[h.passage.id], dimension) if blobs.get(h.passage.id) is not None
            else self._embedded_sentences([h.passage.text[a - h.passage.start : b - h.passage.start]
                                           for a, b, _ in h.passage.sentences])
            for h in hits
        ]

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def build_lexical_postings(self) -> None:
        """Build the in-memory copy of the lexical index for the current generation now
        (searches start it in the background by themselves above `POSTINGS_ABOVE` passages;
        benchmarks and servers call this to be fast from the first question)."""
        self._lexical_copy.build()

    def _lexical_postings(self, vectors: VectorIndex) -> Bm25Postings | None:
        return self._lexical_copy.for_generation(self._vectors_generation, len(vectors))

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def _writing(self, timeout: float = DEFAULT_LOCK_TIMEOUT):
        """Exclusive across processes (flock) and threads (a lock per Library object)."""
        if self.read_only:
            raise LibraryError(f"{self.folder} was opened read-only (a replica); add, remove and edit "
                               "documents through a writable Library.open of the same folder")
        with self._write_lock, write_lock(self.folder, timeout):
            with self._lock:
                self._remove_orphan_files()
            yield

    def _remove_orphan_files(self) -> None:
        current = self._meta().get("vector_file")
        for path in self.folder.glob("vectors-*.faiss*"):
            if path.name != current:
                path.unlink(missing_ok=True)

    def add(
        self,
        paths: Iterable[Path | str],
        *,
        on_progress: Progress | None = None,
        max_file_bytes: int = DEFAULT_MAX_BYTES,
        ray=None,
    ) -> IngestReport:
        """Ingest files and folders. Unchanged files are skipped, changed ones replaced.
        A file that cannot be read is reported in `failed` and changes nothing; an error
        or interruption while writing leaves the library exactly as it was.

        `ray`: None reads and embeds in this process; "local" (a private Ray instance on
        127.0.0.1), a cluster address "host:port" or a `rag.distributed.RayCluster` runs
        that work as a Ray Data pipeline, with the same result (`rag.distributed`)."""
        files = discover([paths] if isinstance(paths, (str, Path)) else paths)
        inputs = [FileInput(f) for f in files]
        if ray is not None:
            from rag import distributed  # imports Ray only when asked for

            cluster = distributed.RayCluster.coerce(ray)
            with self._writing():
                return distributed.ingest(self, inputs, cluster, on_progress=on_progress,
                                          max_bytes=max_file_bytes)
        with self._writing():
            return self._add_inputs(inputs, on_progress, max_file_bytes)

    def add_texts(
        self,
        records: Iterable[TextRecord],
        *,
        on_progress: Progress | None = None,
        max_text_bytes: int = DEFAULT_MAX_BYTES,
    ) -> IngestReport:
        """Ingest documents that are already text (`TextRecord(source, text, title=,
        published=)`), through the same cleaning, passages and write protocol as files.
        A record whose source is already in the library replaces it if its fields changed."""
        inputs = [RecordInput(record) for record in records]
        with self._writing():
            return self._add_inputs(inputs, on_progress, max_text_bytes)

    def add_upload(
        self,
        name: str,
        data: bytes,
        *,
        on_progress: Progress | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> IngestReport:
        """Ingest an uploaded file. It is checked (name, size, content) before anything is
        written; then stored under `<library>/uploads/`; a failed ingest removes it again."""
        try:
            safe_name = uploads.validate(name, data, max_bytes)
        except DocumentError as error:
            return IngestReport(failed=(FileFailure(name, error.reason),))
        with self._writing():
            staged = uploads.StagedUpload(self.folder, safe_name, data)
            try:
                report = self._add_inputs([FileInput(staged.path)], on_progress, max_bytes)
            except BaseException:
                staged.undo()
                raise
            if report.failed:
                staged.undo()
                return IngestReport(failed=tuple(FileFailure(name, f.reason) for f in report.failed))
            return report

    def _add_inputs(self, inputs, on_progress: Progress | None, max_bytes: int) -> IngestReport:
        progress = on_progress or (lambda stage, done, total: None)
        self._ensure_model_recorded()
        fingerprint = pipeline_fingerprint(self.encoder.name, self.encoder.max_tokens)
        pending, skipped = self._triage(inputs, fingerprint)
        prepared, failed = self._prepare(pending, progress, max_bytes)
        prepared = [(self._with_user_edits(document, old_id), old_id) for document, old_id in prepared]
        try:
            embedded = embed_documents(self.encoder, [document for document, _ in prepared],
                                       on_progress=lambda d, t: progress("embedding", d, t))
        except ModelLoadFailed as error:
            raise ModelLoadError(self.encoder.name, str(error)) from error
        return self._store_embedded(
            [(e, old_id) for e, (_, old_id) in zip(embedded, prepared)], skipped, failed, fingerprint
        )

    def _store_embedded(self, embedded, skipped, failed, fingerprint: str) -> IngestReport:
        """Commit `embedded` ((EmbeddedDocument, id it replaces or None) pairs) as the next
        generation and report it; the last step of every ingest, local or distributed."""
        if not embedded:
            return IngestReport(skipped=tuple(skipped), failed=tuple(failed))
        embedded = [(self._embedded_with_user_edits(e, old_id), old_id) for e, old_id in embedded]
        count = sum(len(e.document.passages) for e, _ in embedded)
        self.passages_embedded += count
        ids = self._commit(embedded, fingerprint)
        return IngestReport(
            added=tuple(ids[i] for i, (_, old) in enumerate(embedded) if old is None),
            updated=tuple(ids[i] for i, (_, old) in enumerate(embedded) if old is not None),
            skipped=tuple(skipped),
            failed=tuple(failed),
            passages_embedded=count,
        )

    def _ensure_model_recorded(self) -> None:
        meta = self._meta()
        if "dimension" not in meta:
            try:
                dimension = self.encoder.dimension
            except ModelLoadFailed as error:
                raise ModelLoadError(self.encoder.name, str(error)) from error
            with store.transaction(self._db):
                store.set_meta(self._db, {"dimension": str(dimension)})

    def _triage(self, inputs, fingerprint: str):
        """Which inputs need reading: (input, content hash, id of the document it replaces or
        None) for each; the rest are skipped because they are stored unchanged, or repeat
        the content of another document."""
        pending: list[tuple[object, str, str | None]] = []
        skipped: list[str] = []
        batch_hashes: set[str] = set()
        for item in inputs:
            try:
                content_hash = item.content_hash()
            except DocumentError:
                pending.append((item, "", None))  # unreadable: `prepare` reports why
                continue
            existing = store.find_by_source(self._db, item.source)
            if existing and existing[1:] == (content_hash, fingerprint):
                skipped.append(item.label)
                continue
            duplicate = store.find_by_content(self._db, content_hash, fingerprint)
            if (duplicate and duplicate[1] != item.source) or content_hash in batch_hashes:
                log.info("skipping %s: same content as a document already in the library", item.label)
                skipped.append(item.label)
                continue
            batch_hashes.add(content_hash)
            pending.append((item, content_hash, existing[0] if existing else None))
        return pending, skipped

    def _prepare(self, pending, progress, max_bytes):
        prepared: list[tuple[PreparedDocument, str | None]] = []
        failed: list[FileFailure] = []
        for done, (item, content_hash, old_id) in enumerate(pending, 1):
            try:
                document = prepare(
                    item,
                    content_hash=content_hash or item.content_hash(),
                    count_tokens=self.encoder.count_tokens,
                    max_tokens=self.encoder.max_tokens,
                    max_bytes=max_bytes,
                )
                prepared.append((document, old_id))
            except DocumentError as error:
                failed.append(FileFailure(item.label, error.reason))
            except ModelLoadFailed as error:
                raise ModelLoadError(self.encoder.name, str(error)) from error
            finally:
                progress("reading", done, len(pending))
        return prepared, failed

    def _commit(self, embedded, fingerprint: str, edit: tuple[str, DocumentEdit] | None = None) -> list[str]:
        """Write generation g+1 (vectors file, then one SQLite transaction); `edit`: a
        document's user-set title and date, saved in the same transaction."""
        with self._lock:
            return self._commit_locked(embedded, fingerprint, edit)

    def _commit_locked(self, embedded, fingerprint: str, edit=None) -> list[str]:
        meta = self._meta()
        next_id = int(meta["next_passage_id"])
        index = self._current_vectors() or VectorIndex(int(meta["dimension"]))
        taken = store.document_ids(self._db)
        ids: list[str] = []
        with self._next_generation(index) as extra_meta:
            for item, old_id in embedded:
                document = item.document
                if old_id is not None:
                    index.remove(store.passage_ids(self._db, old_id))
                    store.delete_document(self._db, old_id)
                document_id = old_id or document_id_for(document.source, taken)
                taken.add(document_id)
                ids.append(document_id)
                store.insert_document(self._db, {
                    "id": document_id,
                    "title": document.title,
                    "published": document.published,
                    "source": document.source,
                    "content_hash": document.content_hash,
                    "pipeline": fingerprint,
                    "format": document.format,
                    "text": document.text,
                    "paragraphs": len(document.paragraphs),
                })
                passage_ids = list(range(next_id, next_id + len(document.passages)))
                store.insert_passages(self._db, [
                    (pid, document_id, ordinal, p.paragraph, p.start, p.end,
                     json.dumps([[s.start, s.end, s.paragraph] for s in p.sentences]),
                     vector_blob.pack(sentence_vectors))
                    for ordinal, (pid, p, sentence_vectors) in enumerate(
                        zip(passage_ids, document.passages, item.sentence_vectors))
                ])
                store.insert_terms(self._db, [
                    (pid, indexed_text(text))
                    for pid, text in zip(passage_ids, document.contextual_passages())
                ])
                index.add(passage_ids, item.passage_vectors)
                next_id += len(passage_ids)
            if edit is not None:
                store.save_document_edit(self._db, edit[0], edit[1].title, edit[1].published)
            extra_meta["next_passage_id"] = str(next_id)
        return ids

    @contextmanager
    def _next_generation(self, index: VectorIndex):
        """One write, all or nothing: the body changes rows (and `index`) inside an open
        transaction and may add metadata to the yielded dict; then `index` is written to a
        new vector file and meta points at it, in the same transaction. On any error the
        transaction rolls back and the new file is deleted. The caller holds the write lock
        and `_lock`."""
        generation = int(self._meta()["generation"]) + 1
        vector_file = self.folder / f"vectors-{generation:06d}.faiss"
        extra_meta: dict[str, str] = {}
        try:
            with store.transaction(self._db):
                yield extra_meta
                index.save(vector_file)
                store.set_meta(self._db, {"generation": str(generation), "vector_file": vector_file.name,
                                          **extra_meta})
        except BaseException:
            self._abandon(vector_file)
            raise
        self._adopt(index, generation)

    def _abandon(self, vector_file: Path) -> None:
        vector_file.unlink(missing_ok=True)
        self._vectors_generation = -1  # the in-memory index may hold half a change: reload

    def _adopt(self, index: VectorIndex, generation: int) -> None:
        self._vectors, self._vectors_generation = index, generation
        self._remove_orphan_files()

    def _replace_vectors(self, index: VectorIndex) -> int:
        """Publish `index` as the next generation, rows unchanged (`rag.check`'s repair of
        the vector file). The caller holds `write_lock`. Returns the new generation."""
        with self._lock:
            with self._next_generation(index) as extra_meta:
                extra_meta["dimension"] = str(index.dimension)
            return self._vectors_generation

    def remove(self, document_id: str) -> None:
        """Delete a document, its passages and their vectors."""
        with self._writing(), self._lock:
            if store.get_document(self._db, document_id) is None:
                raise UnknownDocumentError(document_id)
            index = self._current_vectors()
            with self._next_generation(index):
                index.remove(store.passage_ids(self._db, document_id))
                store.delete_document(self._db, document_id)
                store.delete_document_edit(self._db, document_id)

    # -- titles and dates the user sets --------------------------------------------------
    def edit_document(self, document_id: str, *, title: str | None = None,
                      published: str | None = None) -> Document:
        """Set a document's title and/or publication date ("YYYY-MM-DD"; "" clears either),
        e.g. the date of an article that states none. Citations, resolved relative dates
        and date filters follow at once. A new title is embedded and indexed again with every
        passage (it is their context); a date alone changes only the document's row. Either
        way it is one generation commit, so replicas see it whole. The values stay through
        re-ingests of a changed file, until edited again or the document is removed. Values
        equal to the current ones change nothing. Returns the document as stored now."""
        change = DocumentEdit(document_info.checked_title(title), document_info.checked_published(published))
        with self._writing():
            current = self.document(document_id)
            wanted = DocumentEdit(change.title_for(current.title), change.published_for(current.published) or "")
            new_title, new_published = wanted.title, wanted.published or None
            if (new_title, new_published) == (current.title, current.published):
                return current
            edit = (self._user_edit(document_id) or DocumentEdit()).merged(DocumentEdit(
                title=new_title if new_title != current.title else None,
                published=wanted.published if new_published != current.published else None,
            ))
            if new_title != current.title:
                prepared = document_info.applied(document_info.stored_as_prepared(current), wanted,
                                                 count_tokens=self.encoder.count_tokens,
                                                 max_tokens=self.encoder.max_tokens)
                embedded = embed_documents(self.encoder, [prepared])
                self.passages_embedded += len(prepared.passages)
                with self._lock:
                    self._commit([(embedded[0], document_id)], store.document_pipeline(self._db, document_id),
                                 edit=(document_id, edit))
            else:
                with self._lock, self._next_rows_generation():
                    store.set_published(self._db, document_id, new_published)
                    store.save_document_edit(self._db, document_id, edit.title, edit.published)
        return self.document(document_id)

    def _user_edit(self, document_id: str | None) -> DocumentEdit | None:
        if document_id is None:
            return None
        with self._lock:
            row = store.document_edit(self._db, document_id)
        return DocumentEdit(*row) if row else None

    def _with_user_edits(self, document, replaces: str | None):
        """A re-ingested document keeps the title and date its user set (`edit_document`)."""
        edit = self._user_edit(replaces)
        if edit is None:
            return document
        return document_info.applied(document, edit, count_tokens=self.encoder.count_tokens,
                                     max_tokens=self.encoder.max_tokens)

    def _embedded_with_user_edits(self, item: EmbeddedDocument, replaces: str | None) -> EmbeddedDocument:
        """The same for a document embedded elsewhere (a Ray worker) without the user's title:
        embedded again here with it. A local ingest applied it before embedding."""
        edited = self._with_user_edits(item.document, replaces)
        if edited.title == item.document.title:
            return EmbeddedDocument(edited, item.passage_vectors, item.sentence_vectors)
        return embed_documents(self.encoder, [edited])[0]

    @contextmanager
    def _next_rows_generation(self):
        """A generation that changes rows only (a publication date): the vector file stays,
        so nothing large is rewritten, and replicas still see one whole commit. The caller
        holds the write lock and `_lock`."""
        self._current_vectors()  # so the in-memory index is the one this generation keeps
        generation = int(self._meta()["generation"]) + 1
        with store.transaction(self._db):
            yield
            store.set_meta(self._db, {"generation": str(generation)})
        if self._vectors_generation == generation - 1:
            self._vectors_generation = generation
