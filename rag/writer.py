"""The write side of one open library: every change to its documents, one generation each.

Owns taking the writers' locks, storing embedded documents (rows, lexical terms, vectors),
removing documents, the titles and dates users set (kept through re-ingests), and what every
ingest, local or distributed, ends with (`store_embedded`). Leaves out reading and embedding
files (`rag.ingest_run`, `rag.distributed`) and the commit protocol itself
(`rag.generations`). `Library` reads; this writes; `rag.check`'s repairs write through it too.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import numpy as np

from embeddings import Encoder, ModelLoadFailed, VectorIndex, model_digest
from rag import document_definitions, document_info, meta_values, store, vector_blob
from rag.document_info import DocumentEdit
from rag.document_vectors import EmbeddedDocument, embed_documents
from rag.errors import (LibraryError, LibraryNotWritableError, ModelLoadError, UnknownDocumentError,
                        VectorKindMismatchError)
from rag.generations import DEFAULT_LOCK_TIMEOUT, Generations, write_lock
from rag.ingest import document_id_for, pipeline_fingerprint
from rag.lexical import indexed_text
from rag.results import IngestReport
from rag.storage_errors import storage_errors


def model_problem(meta: dict[str, str]) -> str | None:
    """Why the model at the library's recorded path is not the one it was built with, None
    if it is (or no digest is recorded)."""
    recorded = meta.get("model_sha256")
    if recorded is None:
        return None
    digest = model_digest(meta["model"])
    if digest is None:
        return f"the model {meta['model']!r} the library was built with is not on this machine"
    if digest != recorded:
        return (f"the model at {meta['model']!r} has other weights than the library was built with "
                f"(sha256 {digest[:12]}…, recorded {recorded[:12]}…)")
    return None


def verify_model(meta: dict[str, str], folder) -> None:
    if problem := model_problem(meta):
        raise LibraryError(f"Cannot write to the library at {folder}: {problem}. Put that model back "
                           "at its path, or build a new library with this one")


class Writer:
    def __init__(self, generations: Generations, encoder: Encoder, *, read_only: bool = False,
                 not_writable_because: str | None = None):
        self.generations = generations
        self.folder = generations.folder
        self.db = generations.db
        self.encoder = encoder
        self.read_only = read_only  # a replica never writes
        self._not_writable_because = not_writable_because  # the folder, not the caller, forbids writing
        self.passages_embedded = 0  # this object's count, for "re-ingest embeds nothing"
        # A long ingest (parsing, embedding) holds only this lock, not `generations.lock`,
        # so searches in other threads keep answering meanwhile.
        self._thread_lock = threading.Lock()

    @contextmanager
    def writing(self, timeout: float = DEFAULT_LOCK_TIMEOUT):
        """Exclusive across processes (flock) and threads (a lock per Library object)."""
        if self._not_writable_because:
            raise LibraryNotWritableError(self.folder, self._not_writable_because)
        if self.read_only:
            raise LibraryError(f"{self.folder} was opened read-only (a replica); add, remove and edit "
                               "documents through a writable Library.open of the same folder")
        # A full disk or a folder turned read-only: a RagError; the commit protocol left the library as it was.
        with storage_errors(self.folder), self._thread_lock, write_lock(self.folder, timeout):
            with self.generations.lock:
                self.generations.remove_leftovers()
            yield

    def fingerprint(self) -> str:
        """The pipeline fingerprint documents ingested now are stored with."""
        return pipeline_fingerprint(self.encoder.name, self.encoder.max_tokens)

    def ensure_model_recorded(self) -> None:
        """Record the model's vector dimension and weights' digest before the first ingest
        needs them; refuse to write with other weights than the library was built with (the
        same path can hold another model). A library from before digests were recorded
        records the present model's."""
        meta = self.generations.meta()
        verify_model(meta, self.folder)
        self.verify_vector_kind(meta)  # before anything is recorded: a refused ingest changes nothing
        recorded = {}
        if "dimension" not in meta:
            try:
                recorded["dimension"] = str(self.encoder.dimension)
            except ModelLoadFailed as error:
                raise ModelLoadError(self.encoder.name, str(error)) from error
        if "model_sha256" not in meta and (digest := model_digest(meta["model"])):
            recorded["model_sha256"] = digest
        if recorded:
            with store.transaction(self.db):
                store.set_meta(self.db, recorded)

    def verify_vector_kind(self, meta: dict[str, str]) -> None:
        """Refuse to add vectors of another kind than the library holds (an fp32 library
        ingesting with onnx-int8): its index would mix two numeric paths. A library with no
        passages holds no kind yet; the next commit records the encoder's."""
        recorded, wanted = meta_values.vector_kind(meta), self.encoder.vector_kind
        if recorded != wanted and store.counts(self.db)[1]:
            raise VectorKindMismatchError(self.folder, recorded, self.encoder.requested_backend,
                                          meta_values.backend_for(meta))

    def store_embedded(self, embedded, skipped, failed, fingerprint: str) -> IngestReport:
        """Commit `embedded` ((EmbeddedDocument, id it replaces or None) pairs) as the next
        generation and report it; the last step of every ingest, local or distributed."""
        if not embedded:
            return IngestReport(skipped=tuple(skipped), failed=tuple(failed))
        embedded = [(self._embedded_with_user_edits(e, old_id), old_id) for e, old_id in embedded]
        count = sum(len(e.document.passages) for e, _ in embedded)
        self.passages_embedded += count
        ids = self.commit(embedded, fingerprint)
        return IngestReport(
            added=tuple(ids[i] for i, (_, old) in enumerate(embedded) if old is None),
            updated=tuple(ids[i] for i, (_, old) in enumerate(embedded) if old is not None),
            skipped=tuple(skipped),
            failed=tuple(failed),
            passages_embedded=count,
        )

    def commit(self, embedded, fingerprint: str, edit: tuple[str, DocumentEdit] | None = None) -> list[str]:
        """Write generation g+1 (vectors file, then one SQLite transaction) storing
        `embedded` ((EmbeddedDocument, id it replaces or None) pairs); `edit`: a document's
        user-set title and date, saved in the same transaction. Returns the documents' ids."""
        with self.generations.lock:
            meta = self.generations.meta()
            next_id = int(meta["next_passage_id"])
            self.verify_vector_kind(meta)  # every path that adds vectors commits here
            index = self.generations.current_vectors() or VectorIndex(int(meta["dimension"]))
            taken = store.document_ids(self.db)
            ids: list[str] = []
            first_id = next_id
            with self.generations.next_generation(index) as extra_meta:
                for item, old_id in embedded:
                    if old_id is not None:
                        index.remove(store.passage_ids(self.db, old_id))
                        store.delete_document(self.db, old_id)
                    document_id = old_id or document_id_for(item.document.source, taken)
                    taken.add(document_id)
                    ids.append(document_id)
                    passage_ids = list(range(next_id, next_id + len(item.document.passages)))
                    self._insert(document_id, item, passage_ids, fingerprint)
                    next_id += len(passage_ids)
                # One add for the generation, not one per document: each add checks the new ids
                # against every id in the index (~40 s per 1,000 documents once it is an IVF).
                if embedded:
                    index.add(np.arange(first_id, next_id), np.concatenate([e.passage_vectors for e, _ in embedded]))
                if edit is not None:
                    store.save_document_edit(self.db, edit[0], edit[1].title, edit[1].published)
                extra_meta["next_passage_id"] = str(next_id)
                extra_meta["vector_kind"] = self.encoder.vector_kind
            return ids

    def _insert(self, document_id: str, item: EmbeddedDocument, passage_ids: list[int], fingerprint: str) -> None:
        document = item.document
        store.insert_document(self.db, {
            "id": document_id,
            "title": document.title,
            "published": document.published,
            "source": document.source,
            "content_hash": document.content_hash,
            "pipeline": fingerprint,
            "format": document.format,
            "text": document.text,
            "paragraphs": len(document.paragraphs),
            "link_words": document.link_words,
            "definitions": document.definitions or document_definitions.encoded(document_definitions.read(document.text)),
        })
        store.insert_passages(self.db, [
            (pid, document_id, ordinal, p.paragraph, p.start, p.end,
             json.dumps([[s.start, s.end, s.paragraph] for s in p.sentences]),
             vector_blob.pack(sentence_vectors))
            for ordinal, (pid, p, sentence_vectors) in enumerate(
                zip(passage_ids, document.passages, item.sentence_vectors))
        ])
        store.insert_terms(self.db, [
            (pid, indexed_text(text)) for pid, text in zip(passage_ids, document.contextual_passages())
        ])

    def replace_vectors(self, index: VectorIndex) -> int:
        """Publish `index` as the next generation, rows unchanged (the repair of the vector
        file). The caller holds the write lock. Returns the new generation."""
        self.verify_vector_kind(self.generations.meta())  # re-embedded vectors join the kept ones
        return self.generations.replace_vectors(index)

    def remove(self, document_id: str) -> None:
        """Delete a document, its passages and their vectors."""
        with self.writing(), self.generations.lock:
            if document_id not in store.document_ids(self.db):  # without reading its (maybe damaged) text
                raise UnknownDocumentError(document_id)
            index = self.generations.current_vectors()
            with self.generations.next_generation(index):
                index.remove(store.passage_ids(self.db, document_id))
                store.delete_document(self.db, document_id)
                store.delete_document_edit(self.db, document_id)

    # -- titles and dates the user sets --------------------------------------------------
    def edit_document(self, document_id: str, *, title: str | None = None, published: str | None = None) -> None:
        """`Library.edit_document`'s change, committed as one generation (or none)."""
        change = DocumentEdit(document_info.checked_title(title), document_info.checked_published(published))
        with self.writing():
            with self.generations.lock:
                current = store.get_document(self.db, document_id)
            wanted = DocumentEdit(change.title_for(current.title), change.published_for(current.published) or "")
            new_title, new_published = wanted.title, wanted.published or None
            if (new_title, new_published) == (current.title, current.published):
                return
            edit = (self.user_edit(document_id) or DocumentEdit()).merged(DocumentEdit(
                title=new_title if new_title != current.title else None,
                published=wanted.published if new_published != current.published else None,
            ))
            if new_title != current.title:
                prepared = document_info.applied(document_info.stored_as_prepared(current), wanted,
                                                 count_tokens=self.encoder.count_tokens,
                                                 max_tokens=self.encoder.max_tokens)
                embedded = embed_documents(self.encoder, [prepared])
                self.passages_embedded += len(prepared.passages)
                with self.generations.lock:
                    self.commit([(embedded[0], document_id)], store.document_pipeline(self.db, document_id),
                                edit=(document_id, edit))
            else:
                with self.generations.lock, self.generations.next_rows_generation():
                    store.set_published(self.db, document_id, new_published)
                    store.save_document_edit(self.db, document_id, edit.title, edit.published)

    def user_edit(self, document_id: str | None) -> DocumentEdit | None:
        """The title and date the user set for a document (None: never edited)."""
        if document_id is None:
            return None
        with self.generations.lock:
            row = store.document_edit(self.db, document_id)
        return DocumentEdit(*row) if row else None

    def with_user_edits(self, document, replaces: str | None):
        """A re-ingested document keeps the title and date its user set (`edit_document`)."""
        edit = self.user_edit(replaces)
        if edit is None:
            return document
        return document_info.applied(document, edit, count_tokens=self.encoder.count_tokens,
                                     max_tokens=self.encoder.max_tokens)

    def _embedded_with_user_edits(self, item: EmbeddedDocument, replaces: str | None) -> EmbeddedDocument:
        """The same for a document embedded elsewhere (a Ray worker) without the user's title:
        embedded again here with it. A local ingest applied it before embedding."""
        edited = self.with_user_edits(item.document, replaces)
        if edited.title == item.document.title:
            return EmbeddedDocument(edited, item.passage_vectors, item.sentence_vectors)
        return embed_documents(self.encoder, [edited])[0]
