"""One ingest run: which inputs need reading (triage), reading them, embedding, storing.

Owns the order of those steps in this process and the rule for what is skipped: an input
stored unchanged under the same pipeline, or one that repeats the content of another
document. The distributed ingest (`rag.distributed`) runs the same `triage` and the same
reading step (`rag.ingest.prepare_or_failure`) on Ray workers, and both end in
`Writer.store_embedded`. The caller holds the writers' lock (`Writer.writing`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from embeddings import ModelLoadFailed
from rag import store
from rag.document_vectors import embed_documents
from rag.errors import DocumentError, ModelLoadError
from rag.ingest import PreparedDocument, prepare_or_failure
from rag.results import FileFailure, IngestReport
from rag.writer import Writer

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (stage, done, total); stage: "reading" | "embedding"


def triage(connection, inputs, fingerprint: str):
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
        existing = store.find_by_source(connection, item.source)
        if existing and existing[1:] == (content_hash, fingerprint):
            skipped.append(item.label)
            continue
        duplicate = store.find_by_content(connection, content_hash, fingerprint)
        if (duplicate and duplicate[1] != item.source) or content_hash in batch_hashes:
            log.info("skipping %s: same content as a document already in the library", item.label)
            skipped.append(item.label)
            continue
        batch_hashes.add(content_hash)
        pending.append((item, content_hash, existing[0] if existing else None))
    return pending, skipped


def ingest(writer: Writer, inputs, on_progress: Progress | None, max_bytes: int) -> IngestReport:
    """Read, embed and store `inputs` (`FileInput`/`RecordInput`) in this process."""
    progress = on_progress or (lambda stage, done, total: None)
    writer.ensure_model_recorded()
    fingerprint = writer.fingerprint()
    pending, skipped = triage(writer.db, inputs, fingerprint)
    prepared, failed = _prepare(writer, pending, progress, max_bytes)
    prepared = [(writer.with_user_edits(document, old_id), old_id) for document, old_id in prepared]
    try:
        embedded = embed_documents(writer.encoder, [document for document, _ in prepared],
                                   on_progress=lambda d, t: progress("embedding", d, t))
    except ModelLoadFailed as error:
        raise ModelLoadError(writer.encoder.name, str(error)) from error
    return writer.store_embedded(
        [(e, old_id) for e, (_, old_id) in zip(embedded, prepared)], skipped, failed, fingerprint
    )


def _prepare(writer: Writer, pending, progress: Progress, max_bytes: int):
    prepared: list[tuple[PreparedDocument, str | None]] = []
    failed: list[FileFailure] = []
    for done, (item, _, old_id) in enumerate(pending, 1):
        try:
            outcome = prepare_or_failure(item, writer.encoder, max_bytes)
        except ModelLoadFailed as error:
            raise ModelLoadError(writer.encoder.name, str(error)) from error
        finally:
            progress("reading", done, len(pending))
        if isinstance(outcome, FileFailure):
            failed.append(outcome)
        else:
            prepared.append((outcome, old_id))
    return prepared, failed
