"""The library: one folder holding documents, passages and their vectors.

The one way in (`Library.open`): opening or creating a library and checking its schema and
model, then reading it (`documents`, `document`, `passages`, `stats`), searching and
answering. Every read sees one committed generation whole (`rag.generations`). Changes
(`add`, `add_texts`, `add_upload`, `remove`, `edit_document`) are delegated to the write side:
`rag.writer`, the ingest run in `rag.ingest_run`, and `rag.distributed` on Ray.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings import BACKENDS, FAITHFUL_KIND, Encoder, ModelLoadFailed, VectorIndex
from rag import freshness, ingest_run, library_folder, meta_values, record_checks, store, uploads
from rag.answerer import Answerer, ExtractiveAnswerer
from rag.answers import compose
from rag.bm25_postings import Bm25Postings
from rag.chat_model import ChatModel
from rag.confidence import ANSWER_FROM
from rag.errors import EncoderBackendError, ModelLoadError, NoLanguageModelError
from rag.evidence_reading import EvidenceReader
from rag.generations import Generations
from rag.ingest import FileInput, RecordInput, TextRecord, discover
from rag.ingest_run import DEFAULT_COMMIT_EVERY, Progress
from rag.lexical_copy import LexicalCopy
from rag.readers import DEFAULT_MAX_BYTES
from rag.results import Answer, Document, DocumentSummary, Hit, IngestReport
from rag.search import (
    DEFAULT_MODE,
    SearchFilters,
    build_query,
    check_confidence,
    check_filter_documents,
    check_k,
    check_mode,
    normalise_query,
    restriction,
)
from rag.search_stages import search as search_passages
from rag.writer import Writer
from rag.written_answers import WritingAnswerer

log = logging.getLogger(__name__)

# Passages from which searches keep an in-memory copy of the lexical index (`Bm25Postings`):
# FTS5's bm25() costs ~1 ms per 1,000 passages a question matches (~2 ms at 2k passages,
# ~25 ms at 100k), the copy ~0.6 ms at 100k; it holds ~0.4 KB per passage (393 MB at 1M).
POSTINGS_ABOVE = 20_000


@dataclass(frozen=True)
class LibraryStats:
    documents: int
    passages: int
    model: str
    dimension: int | None
    generation: int
    vector_kind: str = FAITHFUL_KIND  # fp32, onnx-int8 or torch-bf16: which numeric path made the vectors


def shared_encoder(model: str, backend: str = "auto") -> Encoder:
    """One encoder per model and backend per process, so libraries and UI sessions share
    loaded weights."""
    # lru_cache keys on how it was called: shared_encoder(m) and shared_encoder(m, "auto")
    # would be two encoders, each loading the model; the inner call is always positional.
    return _encoder_for(model, backend)


@lru_cache(maxsize=8)
def _encoder_for(model: str, backend: str) -> Encoder:
    return Encoder(model, backend=backend)


class Library:
    def __init__(self, folder: Path, connection, encoder: Encoder, *, read_only: bool = False,
                 not_writable_because: str | None = None):
        self.folder = folder
        self._db = connection
        self.encoder = encoder
        self._generations = Generations(folder, connection)
        # The write side; `rag.distributed` and `rag.check`'s repairs write through it too.
        self.writer = Writer(self._generations, encoder, read_only=read_only,
                             not_writable_because=not_writable_because)
        # What `ask` reads beyond the hits for the answerer (sentence vectors, term weights, short forms).
        self.evidence = EvidenceReader(connection, self._encode, lambda: self.encoder.dimension)
        self._lexical_copy = LexicalCopy(folder / store.DATABASE_NAME, POSTINGS_ABOVE)
        self._news_dates: dict[tuple, str | None] = {}  # (generation, today, filters) -> `_news_date`
        # Turns what `ask` retrieved into the answer (`rag.answerer`); replaceable per library.
        self.answerer: Answerer = ExtractiveAnswerer()
        # The user's language model, for `ask(..., write=True)` (`rag.written_answers`); None: quotes only.
        self.language_model: ChatModel | None = None

    @property
    def read_only(self) -> bool:
        """Opened with `open(read_only=True)`: a replica, which never writes."""
        return self.writer.read_only

    @property
    def passages_embedded(self) -> int:
        """Passages this object embedded so far, for "re-ingest embeds nothing"."""
        return self.writer.passages_embedded

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
        backend: str = "auto",
        language_model: ChatModel | None = None,
    ) -> "Library":
        """Open the library in `path`, creating an empty one if the folder is new or empty.

        `model` (a sentence-transformers name or folder) only matters for a new library;
        an existing one always uses the model it was built with, and asking for another is
        a ModelMismatchError. `encoder` lets callers share an already loaded model.
        `read_only` opens an existing library as a replica: it searches and answers, follows
        each generation a writer (another process) commits, and never changes the library
        (SQLite's shared-memory index file, -shm, is the only file a reader may create). A
        library this process may not write (a read-only mount) opens read-only by itself, and
        adding or removing says why (`rag.library_folder`).
        `backend` picks the encoder's numeric path (`embeddings.Encoder`; "auto" is the
        faithful fp32 one, "onnx-int8" and "torch-bf16" are faster and less exact:
        docs/performance.md); ignored when `encoder` is given. The library records which
        kind of vectors it holds: "auto" opens an existing one on the path that made them,
        and adding with a path that makes another kind is a VectorKindMismatchError (reading
        with one is allowed: query vectors of the paths agree to a cosine of ~0.99 or better).
        `language_model` (`rag.ChatModel`: an OpenAI-compatible server) lets `ask(write=True)`
        write answers; without it `ask` only quotes.
        """
        if backend not in BACKENDS:
            raise EncoderBackendError(backend, BACKENDS)
        folder = Path(path).expanduser()
        requested = encoder.name if encoder else (Encoder(model).name if model else None)
        opened = library_folder.open_database(folder, requested, read_only=read_only)
        if backend == "auto":  # an existing library goes on making the kind of vectors it holds
            backend = meta_values.backend_for(opened.meta)
        library = cls(folder, opened.connection, encoder or shared_encoder(opened.meta["model"], backend),
                      read_only=opened.read_only, not_writable_because=opened.not_writable_because)
        library.language_model = language_model
        return library

    def close(self) -> None:
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- reading -------------------------------------------------------------------------
    def _meta(self) -> dict[str, str]:
        return self._generations.meta()

    def _current_vectors(self) -> VectorIndex | None:
        return self._generations.current_vectors()

    def stats(self) -> LibraryStats:
        with self._generations.lock:
            meta = self._meta()
            documents, passages = store.counts(self._db)
            dimension = int(meta["dimension"]) if "dimension" in meta else None
            return LibraryStats(documents, passages, meta["model"], dimension, int(meta["generation"]),
                                meta_values.vector_kind(meta))

    def documents(self) -> list[DocumentSummary]:
        with self._generations.lock:
            return store.list_documents(self._db)

    def document(self, document_id: str) -> Document:
        with self._generations.lock:
            return store.get_document(self._db, document_id)

    def passages(self, document_id: str):
        """The passages of one document, in order (for showing a whole document)."""
        self.document(document_id)
        with self._generations.lock:
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
        with self._generations.reading() as vectors:
            check_filter_documents(self._db, filters)
            if vectors is None or len(vectors) == 0:
                return []
            postings = self._lexical_postings(vectors)
            built = build_query(self._db, query, k, filters, mode, self._embed_query, needs_vector=mode != "lexical",
                                postings=postings, news_date=self._news_date(query, filters))
            return search_passages(self._db, vectors, built, postings).hits

    def ask(
        self,
        question: str,
        k: int = 5,
        *,
        filters: SearchFilters | None = None,
        mode: str = DEFAULT_MODE,
        min_confidence: float = ANSWER_FROM,
        write: bool = False,
        on_text: Callable[[str], None] | None = None,
    ) -> Answer:
        """An extractive answer with citations from the top k passages of `mode`, or an
        abstention with the nearest passages when the answer's confidence (the estimated
        probability that its first citation answers) is below `min_confidence` (0 answers
        always, with the confidence attached).
        `write`: have `language_model` write the answer from those passages, shown only as far
        as its citations hold (`rag.written_answers`; `Answer.written` says what was dropped,
        or why the quoted answer is shown instead); `on_text` gets its reply as it streams."""
        question, k, mode = normalise_query(question), check_k(k), check_mode(mode)
        min_confidence = check_confidence(min_confidence)
        answerer = self._writing_answerer(on_text) if write else self.answerer
        with self._generations.reading() as vectors:
            check_filter_documents(self._db, filters)
            if vectors is None or len(vectors) == 0:
                return compose(question, None, [], [], [])
            # Even a lexical search needs the question's vector: abstention and evidence
            # scoring are by meaning.
            postings = self._lexical_postings(vectors)
            query = build_query(self._db, question, k, filters, mode, self._embed_query, needs_vector=True,
                                postings=postings, news_date=self._news_date(question, filters))
            run = search_passages(self._db, vectors, query, postings)
            return answerer.answer(query, self.evidence.read(question, run), answer_from=min_confidence)

    def _writing_answerer(self, on_text) -> WritingAnswerer:
        if self.language_model is None:
            raise NoLanguageModelError()
        return WritingAnswerer(self.language_model, self._encode, quoting=self.answerer, on_text=on_text)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.encoder.encode(texts)

    def build_lexical_postings(self) -> None:
        """Build the in-memory copy of the lexical index for the current generation now
        (searches start it in the background by themselves above `POSTINGS_ABOVE` passages;
        benchmarks and servers call this to be fast from the first question)."""
        self._lexical_copy.build()

    def _news_date(self, question: str, filters: SearchFilters | None) -> str | None:
        """The question's "now" (`Query.news_date`): for a question about the present, the
        newest publication date of the generation being read, within the filters. Read once
        per generation, day and filters: it scans the documents table (15 ms at 10k documents)."""
        if not freshness.asks_about_now(question):
            return None
        key = (self._generations.generation, date.today(), filters if filters is not None and filters.active else None)
        if key not in self._news_dates:
            if len(self._news_dates) >= 64:  # a server's filters vary; generations only grow
                self._news_dates.clear()
            self._news_dates[key] = freshness.reference_date(self._db, key[1], restriction(key[2]))
        return self._news_dates[key]

    def _lexical_postings(self, vectors: VectorIndex) -> Bm25Postings | None:
        return self._lexical_copy.for_generation(self._generations.generation, len(vectors))

    # -- writing (`rag.writer`) -----------------------------------------------------------
    def add(
        self,
        paths: Iterable[Path | str],
        *,
        on_progress: Progress | None = None,
        max_file_bytes: int = DEFAULT_MAX_BYTES,
        ray=None,
        commit_every: int = DEFAULT_COMMIT_EVERY,
    ) -> IngestReport:
        """Ingest files and folders. Unchanged files are skipped, changed ones replaced.
        A file that cannot be read is reported in `failed` and changes nothing. Documents
        are committed as they are embedded, one generation per `commit_every` passages:
        other processes see them arrive, and an error or interruption leaves the library
        as its last committed generation left it (the one being built is dropped whole);
        running the same ingest again skips what was committed and goes on from there.

        `ray`: None reads and embeds in this process; "local" (a private Ray instance on
        127.0.0.1), a cluster address "host:port" or a `rag.distributed.RayCluster` runs
        that work as a Ray Data pipeline, with the same result (`rag.distributed`)."""
        ingest_run.check_commit_every(commit_every)
        files = discover([paths] if isinstance(paths, (str, Path)) else paths)
        inputs = [FileInput(f) for f in files]
        with self.writer.writing():
            record_checks.refuse_files_over_records(self._db, [item.source for item in inputs])
            if ray is None:
                return ingest_run.ingest(self.writer, inputs, on_progress, max_file_bytes, commit_every)
            from rag import distributed  # imports Ray only when asked for

            return distributed.ingest(self.writer, inputs, distributed.RayCluster.coerce(ray),
                                      on_progress=on_progress, max_bytes=max_file_bytes,
                                      commit_every=commit_every)

    def add_texts(
        self,
        records: Iterable[TextRecord],
        *,
        on_progress: Progress | None = None,
        max_text_bytes: int = DEFAULT_MAX_BYTES,
        commit_every: int = DEFAULT_COMMIT_EVERY,
    ) -> IngestReport:
        """Ingest documents that are already text (`TextRecord(source, text, title=,
        published=)`), through the same cleaning, passages and write protocol as files.
        A record whose source is already in the library replaces it if its fields changed.
        A batch repeating a source, or naming a file the library holds, is refused whole
        (`rag.record_checks`); a record with a bad field is reported in `failed`. Committed
        in generations of `commit_every` passages, like `add`."""
        ingest_run.check_commit_every(commit_every)
        inputs = [RecordInput(record) for record in records]
        with self.writer.writing():
            record_checks.refuse_ambiguous(self._db, [item.source for item in inputs])
            return ingest_run.ingest(self.writer, inputs, on_progress, max_text_bytes, commit_every)

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
        return uploads.add_upload(self.writer, name, data, on_progress=on_progress, max_bytes=max_bytes)

    def remove(self, document_id: str) -> None:
        """Delete a document, its passages and their vectors."""
        self.writer.remove(document_id)

    def edit_document(self, document_id: str, *, title: str | None = None,
                      published: str | None = None) -> Document:
        """Set a document's title and/or publication date ("YYYY-MM-DD"; "" clears either),
        e.g. the date of an article that states none. Citations, resolved relative dates
        and date filters follow at once. A new title is embedded and indexed again with every
        passage (it is their context); a date alone changes only the document's row. Either
        way it is one generation commit, so replicas see it whole. The values stay through
        re-ingests of a changed file, until edited again or the document is removed. Values
        equal to the current ones change nothing. Returns the document as stored now."""
        self.writer.edit_document(document_id, title=title, published=published)
        return self.document(document_id)
