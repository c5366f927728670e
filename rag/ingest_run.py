"""One ingest run: which inputs need reading (triage), reading them, embedding, storing.

Owns the order of those steps in this process, the rule for what is skipped (an input
stored unchanged under the same pipeline, or one that repeats the content of another
document), and streaming: documents are committed as they are embedded, one generation
per `commit_every` passages (`GenerationBuffer`), so other processes see them arrive, the
process holds at most one generation's texts and vectors, and an interrupted run loses at
most the generation it was building; the re-run skips what was committed (triage). The
distributed ingest (`rag.distributed`) runs the same `triage`, the same reading step
(`rag.ingest.prepare_or_failure`) on Ray workers, and the same `GenerationBuffer`. The
caller holds the writers' lock (`Writer.writing`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from embeddings import ModelLoadFailed
from rag import store
from rag.document_vectors import embed_documents
from rag.errors import CommitEveryError, DocumentError, ModelLoadError
from rag.ingest import prepare_or_failure
from rag.results import FileFailure, IngestReport
from rag.writer import Writer

log = logging.getLogger(__name__)

# (stage, done, total); stage: "reading" (inputs), "embedding" (passages of the generation
# being built), "stored" (inputs whose generation is committed, of all inputs)
Progress = Callable[[str, int, int], None]

# Passages per generation. Memory: a generation's texts, passage vectors and sentence
# vectors, ~10 KB per passage with MiniLM (~50 MB), and the free memory glibc keeps after it:
# 5,000 instead of 10,000 brought the 200k-document archive's driver peak from 2,045 to
# 1,931 MB, under issue 16's 2 GB (docs/performance.md, bench/archive_ingest.py). Commits:
# each writes the new vectors and rows, fsyncs and renews every reader's snapshot, 1.2-2.8 s
# there at 100k-440k passages; at ~60 passages/s with MiniLM on 2 cores a generation takes
# ~1.5 min to embed, so commits cost ~2% and a crash loses at most those minutes. Smaller
# makes documents appear sooner and memory lower, larger makes fewer commits.
DEFAULT_COMMIT_EVERY = 5_000
# Inputs triaged (hashed and looked up) at a time: a bounded list, however many inputs.
TRIAGE_SLICE = 256


def triage(connection, inputs, fingerprint: str, seen: set[str] | None = None):
    """Which inputs need reading: (input, content hash, id of the document it replaces or
    None) for each; the rest are skipped because they are stored unchanged, or repeat
    the content of another document. `seen`: content hashes already chosen for reading
    and not yet committed (updated in place), so a repeat across calls is skipped too."""
    pending: list[tuple[object, str, str | None]] = []
    skipped: list[str] = []
    batch_hashes = set() if seen is None else seen
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


def check_commit_every(commit_every: int) -> int:
    if isinstance(commit_every, bool) or not isinstance(commit_every, int) or commit_every < 1:
        raise CommitEveryError(commit_every)
    return commit_every


class GenerationBuffer:
    """An ingest's documents on their way into the library: held until they make up
    `commit_every` passages (or the inputs end), then stored as one generation by `store`
    (a list of (document, id it replaces or None) -> IngestReport). Reports ("stored",
    inputs committed, inputs in all) after each commit."""

    def __init__(self, store, commit_every: int, progress: Progress, total: int):
        self.store, self.commit_every = store, check_commit_every(commit_every)
        self.progress, self.total = progress, total
        self.items: list[tuple[object, str | None]] = []
        self.passages = 0
        self.reports: list[IngestReport] = []
        self.inputs_done = 0  # inputs seen so far, committed or skipped or failed

    @property
    def committed(self) -> int:
        return sum(len(r.added) + len(r.updated) for r in self.reports)

    def add(self, document, replaces: str | None, passages: int) -> None:
        self.items.append((document, replaces))
        self.passages += passages
        if self.passages >= self.commit_every:
            self.flush()

    def flush(self) -> None:
        if self.items:
            self.reports.append(self.store(self.items))
            self.items, self.passages = [], 0
        self.progress("stored", self.inputs_done, self.total)

    def report(self, skipped, failed) -> IngestReport:
        self.flush()
        return IngestReport.combined(self.reports, skipped=skipped, failed=failed)


def ingest(writer: Writer, inputs, on_progress: Progress | None, max_bytes: int,
           commit_every: int = DEFAULT_COMMIT_EVERY) -> IngestReport:
    """Read, embed and store `inputs` (`FileInput`/`RecordInput`) in this process, one
    generation per `commit_every` passages."""
    progress = on_progress or (lambda stage, done, total: None)
    writer.ensure_model_recorded()
    fingerprint = writer.fingerprint()

    def embed_and_store(prepared):
        try:
            embedded = embed_documents(writer.encoder, [document for document, _ in prepared],
                                       on_progress=lambda d, t: progress("embedding", d, t))
        except ModelLoadFailed as error:
            raise ModelLoadError(writer.encoder.name, str(error)) from error
        pairs = [(e, old_id) for e, (_, old_id) in zip(embedded, prepared)]
        return writer.store_embedded(pairs, [], [], fingerprint)

    buffer = GenerationBuffer(embed_and_store, commit_every, progress, len(inputs))
    # Content hashes chosen for reading in this run (~0.15 KB per input): a repeat of one
    # still in the buffer is not in the library yet, so only this set can tell.
    seen: set[str] = set()
    skipped: list[str] = []
    failed: list[FileFailure] = []
    for start in range(0, len(inputs), TRIAGE_SLICE):
        pending, skipped_here = triage(writer.db, inputs[start : start + TRIAGE_SLICE], fingerprint, seen)
        skipped += skipped_here
        buffer.inputs_done += len(skipped_here)
        for item, _, old_id in pending:
            outcome = _prepared(writer, item, max_bytes)
            buffer.inputs_done += 1
            progress("reading", buffer.inputs_done, len(inputs))
            if isinstance(outcome, FileFailure):
                failed.append(outcome)
            else:
                buffer.add(writer.with_user_edits(outcome, old_id), old_id, len(outcome.passages))
    return buffer.report(skipped, failed)


def _prepared(writer: Writer, item, max_bytes: int):
    try:
        return prepare_or_failure(item, writer.encoder, max_bytes)
    except ModelLoadFailed as error:
        raise ModelLoadError(writer.encoder.name, str(error)) from error
