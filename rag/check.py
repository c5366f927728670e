"""Is a library consistent? A list of named checks, and the repairs that are safe to make.

Owns the rules a healthy library obeys (`CHECKS`): the database is readable and of this
schema; the metadata agrees with the rows; `meta.vector_file` exists and loads with the
recorded dimension; every passage has exactly one vector and every vector one passage, and
exactly one lexical (BM25) row holding the terms of its text, and stored sentence vectors
(if any) of the right shape;
every passage's and sentence's offsets lie inside the stored document and slice non-blank
text out of it; every document has passages. Files that no generation uses are reported
as leftovers (an interrupted write leaves them; they are harmless and the next writer
deletes them).

A rule is a function from a `Snapshot` (`rag.check_snapshot`) to messages, registered as
one `Check(...)` line; a check with a `repair` can fix what it finds, writing through the
library's public write side (`Library.writer`). Repairs only rebuild what the library can
rebuild from what it stores: vectors are re-embedded from the stored passage text, vectors
without a passage are dropped, unused files deleted, the passage-id counter moved on. Text
and offsets are never rewritten: those problems name the document to re-ingest.
Leaves out: the source files on disk (they may have moved), and model quality.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import VectorIndex
from rag import schema, store
from rag.check_snapshot import Snapshot, read_snapshot
from rag.errors import LibraryError, LibraryNotWritableError, RagError, StorageError
from rag.generations import leftover_files, write_lock
from rag.library import Library
from rag.storage_errors import read_only_reason, storage_errors

REPAIR = "`python -m rag check --repair`"
SHOWN = 5  # ids listed in one message before "and N more"


@dataclass(frozen=True)
class Finding:
    check: str  # the name of the check that found it
    message: str  # what is wrong, and what to do about it
    repairable: bool  # whether `--repair` (repair=True) fixes it


@dataclass(frozen=True)
class CheckReport:
    library: str
    checks: tuple[str, ...]  # the checks that ran, in order (a failed fatal check stops the rest)
    problems: tuple[Finding, ...]  # the library is inconsistent or unusable
    leftovers: tuple[Finding, ...] = ()  # harmless remains of an interrupted write
    repaired: tuple[str, ...] = ()  # what `repair=True` did, one line per repair

    @property
    def ok(self) -> bool:
        return not self.problems


Find = Callable[[Snapshot], Iterable[str]]
Repair = Callable[[Snapshot, Library], str]


@dataclass(frozen=True)
class Check:
    name: str
    find: Find  # yields one message per problem found
    fix: str  # appended to each message: what the user (or --repair) does about it
    repair: Repair | None = None
    fatal: bool = False  # later checks need this one to pass
    leftover: bool = False  # what it finds is harmless, not a problem


def _listed(ids: list) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN])
    return shown + (f" and {len(ids) - SHOWN} more" if len(ids) > SHOWN else "")


# ------------------------------------------------------------------ the checks
def _schema(snapshot: Snapshot) -> Iterator[str]:
    state = schema.schema_state(snapshot.meta)
    if state == schema.NOT_A_LIBRARY:
        yield "the database is not a library database (no library format in its metadata)"
    elif state != schema.CURRENT_SCHEMA:
        yield (f"the library uses schema {snapshot.meta.get('schema_version')}, this version "
               f"reads schema {schema.SCHEMA_VERSION}")


def _metadata(snapshot: Snapshot) -> Iterator[str]:
    largest = max((row[0] for row in snapshot.passages), default=0)
    if int(snapshot.meta.get("next_passage_id", 0)) <= largest:
        yield (f"the next passage id ({snapshot.meta.get('next_passage_id')}) is not past the "
               f"largest stored one ({largest}), so the next ingest would collide")


def _vector_file(snapshot: Snapshot) -> Iterator[str]:
    name = snapshot.meta.get("vector_file")
    if name is None:
        if snapshot.passages:
            yield f"{len(snapshot.passages)} passages are stored but no vector file is recorded"
    elif snapshot.vector_error is not None:
        yield f"the vector file {name} cannot be used: {snapshot.vector_error}"


def _passage_vectors(snapshot: Snapshot) -> Iterator[str]:
    if snapshot.vectors is None:
        return  # no usable vector file: `vector file` reports that
    stored, counts = np.unique(snapshot.vectors.ids(), return_counts=True)
    passages = {row[0] for row in snapshot.passages}
    if missing := sorted(passages - set(stored.tolist())):
        yield f"{len(missing)} passages have no vector (passage ids {_listed(missing)})"
    if extra := sorted(set(stored.tolist()) - passages):
        yield f"{len(extra)} vectors belong to no passage (ids {_listed(extra)})"
    if repeated := stored[counts > 1].tolist():
        yield f"{len(repeated)} passages have more than one vector (passage ids {_listed(repeated)})"


def _offsets(snapshot: Snapshot) -> Iterator[str]:
    texts = snapshot.texts
    for pid, document_id, paragraph, start, end, sentences in snapshot.passages:
        text = texts.get(document_id)
        where = f"passage {pid} of document {document_id}"
        if text is None:
            yield f"{where} belongs to no stored document"
            continue
        if not (0 <= start < end <= len(text)) or not text[start:end].strip():
            yield f"{where} has offsets {start}:{end} that do not slice text out of its {len(text)}-character document"
            continue
        if not 1 <= paragraph <= text.count("\n\n") + 1:
            yield f"{where} names paragraph {paragraph}, which its document does not have"
        for s_start, s_end, _ in json.loads(sentences):
            sentence = text[s_start:s_end]
            if not (start <= s_start < s_end <= end) or not sentence.strip() or sentence != sentence.strip():
                yield f"{where} has a sentence at {s_start}:{s_end} that is not a sentence inside the passage"
                break


def _sentence_vectors(snapshot: Snapshot) -> Iterator[str]:
    if bad := snapshot.malformed_sentence_vectors():
        yield (f"{len(bad)} passages store sentence vectors that do not fit their sentences "
               f"(passage ids {_listed(bad)})")


def _documents(snapshot: Snapshot) -> Iterator[str]:
    empty = sorted(set(snapshot.texts) - {row[1] for row in snapshot.passages})
    if empty:
        yield f"{len(empty)} documents have no passages ({_listed(empty)})"


def _lexical_rows(snapshot: Snapshot) -> Iterator[str]:
    # A passage whose offsets are broken is the `offsets` check's finding; its terms would
    # only repeat it.
    broken = {pid for pid, document_id, _, start, end, _ in snapshot.passages
              if not 0 <= start < end <= len(snapshot.texts.get(document_id, ""))}
    expected = {pid: terms for pid, terms in store.expected_terms(snapshot.db) if pid not in broken}
    indexed = store.indexed_terms(snapshot.db)
    if missing := sorted(set(expected) - set(indexed)):
        yield f"{len(missing)} passages are missing from the lexical index (passage ids {_listed(missing)})"
    if extra := sorted(set(indexed) - set(expected) - broken):
        yield f"{len(extra)} lexical index rows belong to no passage (ids {_listed(extra)})"
    if stale := sorted(i for i in expected.keys() & indexed.keys() if expected[i] != indexed[i]):
        yield f"{len(stale)} lexical index rows do not match their passage's text (ids {_listed(stale)})"


def _unused_files(snapshot: Snapshot) -> Iterator[str]:
    for path in leftover_files(snapshot.folder, snapshot.meta.get("vector_file")):
        yield f"{path.name} is not used by the library (an interrupted write left it)"


# ------------------------------------------------------------------ the repairs
def _rebuild_vectors(snapshot: Snapshot, library: Library) -> str:
    """Keep every usable vector, drop those without a passage (or repeated), re-embed the
    missing ones from the stored text, and publish the result as a new generation."""
    dimension = int(snapshot.meta.get("dimension") or library.encoder.dimension)
    if library.encoder.dimension != dimension:
        raise LibraryError(f"cannot re-embed: the model {library.encoder.name!r} makes "
                           f"{library.encoder.dimension}-dimensional vectors, the library holds {dimension}")
    index = snapshot.vectors or VectorIndex(dimension)
    stored, counts = np.unique(index.ids(), return_counts=True)
    passages = {row[0] for row in snapshot.passages}
    drop = sorted(set(stored.tolist()) - passages | set(stored[counts > 1].tolist()))
    index.remove(drop)
    missing = sorted(passages - set(index.ids().tolist()))
    texts = store.contextual_texts(snapshot.db, missing)
    index.add(missing, library.encoder.encode([texts[i] for i in missing]))
    generation = library.writer.replace_vectors(index)
    return (f"vectors: re-embedded {len(missing)} passages, dropped {len(drop)} vectors, "
            f"wrote generation {generation}")


def _rebuild_lexical_index(snapshot: Snapshot, library: Library) -> str:
    """The lexical rows are a pure function of the stored text: rebuild them all."""
    with store.transaction(snapshot.db):
        rows = store.reindex_terms(snapshot.db)
    return f"lexical index: rebuilt {rows} rows from the stored text"


def _forget_sentence_vectors(snapshot: Snapshot, library: Library) -> str:
    """Sentence vectors are an optimisation: without them `ask` embeds the sentences."""
    bad = snapshot.malformed_sentence_vectors()
    with store.transaction(snapshot.db):
        store.clear_sentence_vectors(snapshot.db, bad)
    return f"sentence vectors: cleared {len(bad)} malformed rows (their sentences are embedded when asked)"


def _move_passage_counter(snapshot: Snapshot, library: Library) -> str:
    largest = max(row[0] for row in snapshot.passages)
    with store.transaction(snapshot.db):
        store.set_meta(snapshot.db, {"next_passage_id": str(largest + 1)})
    return f"metadata: next passage id set to {largest + 1}"


def _delete_unused_files(snapshot: Snapshot, library: Library) -> str:
    paths = leftover_files(snapshot.folder, snapshot.meta.get("vector_file"))
    for path in paths:
        path.unlink(missing_ok=True)
    return f"leftover files: deleted {', '.join(path.name for path in paths)}"


REINGEST = "remove the document (`python -m rag remove DOC_ID`) and ingest its file again"
CHECKS: tuple[Check, ...] = (
    Check("schema", _schema, "re-create the library from your documents", fatal=True),
    Check("metadata", _metadata, f"{REPAIR} moves the counter on", _move_passage_counter),
    Check("vector file", _vector_file, f"{REPAIR} rebuilds it from the stored text", _rebuild_vectors),
    Check("passage vectors", _passage_vectors, f"{REPAIR} re-embeds or drops them", _rebuild_vectors),
    Check("lexical index", _lexical_rows, f"{REPAIR} rebuilds it from the stored text", _rebuild_lexical_index),
    Check("sentence vectors", _sentence_vectors, f"{REPAIR} clears them", _forget_sentence_vectors),
    Check("offsets", _offsets, REINGEST),
    Check("documents", _documents, REINGEST),
    Check("leftover files", _unused_files, f"the next ingest or {REPAIR} deletes them",
          _delete_unused_files, leftover=True),
)


# ------------------------------------------------------------------ running them
def _run(folder: Path) -> tuple[list[str], list[Finding]]:
    ran, findings = ["database"], []
    try:
        with read_snapshot(folder) as snapshot:
            if problem := store.damage(snapshot.db):
                raise LibraryError(f"SQLite reports damage: {problem}")
            for check in CHECKS:
                ran.append(check.name)
                found = [Finding(check.name, f"{message}; {check.fix}", check.repair is not None)
                         for message in check.find(snapshot)]
                findings += [(check, f) for f in found]
                if found and check.fatal:
                    break
    except StorageError:
        raise  # the disk or folder refuses: nothing to repair in the library, and its own advice
    except (RagError, sqlite3.DatabaseError) as error:
        message = f"the database cannot be read ({error}); restore the folder from a backup or re-create the library"
        findings.append((None, Finding("database", message, False)))
    return ran, findings


def check_library(path: Path | str, *, repair: bool = False, encoder=None) -> CheckReport:
    """Check the library at `path`; with `repair`, fix what can be fixed safely and check
    again. Takes the writers' lock, so it fails with LibraryBusyError during an ingest
    (whose half-written files would otherwise look like leftovers). `encoder` is used for
    re-embedding (default: the library's own model)."""
    folder = Path(path).expanduser()
    if not (folder / store.DATABASE_NAME).is_file():
        message = f"{folder} is not a library: it has no {store.DATABASE_NAME}; give the library folder"
        return CheckReport(str(folder), ("database",), (Finding("database", message, False),))
    repaired: list[str] = []
    read_only = read_only_reason(folder)  # a read-only mount: checked as it is, with no lock to take
    if read_only is not None and repair:
        raise LibraryNotWritableError(folder, read_only)
    with storage_errors(folder), (write_lock(folder) if read_only is None else nullcontext()):
        ran, findings = _run(folder)
        fatal = any(check is None or check.fatal for check, _ in findings)
        if repair and not fatal and any(f.repairable for _, f in findings):
            repaired = _repair(folder, encoder)
            ran, findings = _run(folder)
    problems = tuple(f for check, f in findings if not (check and check.leftover))
    leftovers = tuple(f for check, f in findings if check and check.leftover)
    return CheckReport(str(folder), tuple(ran), problems, leftovers, tuple(repaired))


def _repair(folder: Path, encoder) -> list[str]:
    done: list[str] = []
    library = None
    try:
        for check in CHECKS:
            if check.repair is None:
                continue
            with read_snapshot(folder) as snapshot:  # fresh: an earlier repair may have fixed it
                if not list(check.find(snapshot)):
                    continue
                snapshot.db.execute("COMMIT")  # the repair writes; end the read snapshot
                library = library or Library.open(folder, encoder=encoder)
                done.append(check.repair(snapshot, library))
    finally:
        if library is not None:
            library.close()
    return done
