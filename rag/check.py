"""Is a library consistent? A list of named checks, and the repairs that are safe to make.

Owns the list of checks (`CHECKS`) and running them; each check's rule is a function in
`rag.check_rules`, its repair one in `rag.check_repairs`. A healthy library: the database is
readable and of this schema; every metadata value is usable and agrees with the rows; the
model at the recorded path has the weights the library was built with; every document's
stored text is valid UTF-8 and matches the checksum recorded at ingest; `meta.vector_file`
is a vector file in the folder, written for its generation, loading with the recorded
dimension; every passage has exactly one vector and every vector one passage; the lexical
(BM25) index passes FTS5's integrity-check and holds exactly the terms of each passage's
text; every passage's sentence offsets can be read, and stored sentence vectors (if any)
fit them; every passage's and sentence's offsets slice non-blank text out of its document;
every document has passages. Files no generation uses are reported as leftovers (an
interrupted write leaves them; they are harmless and the next writer deletes them).

Repairs only rebuild what the library derives from data it trusts (see
`rag.check_repairs`); damaged text and offsets name the documents to ingest again
(`CheckReport.reingest`). Leaves out: the source files on disk (they may have moved), and
model quality.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from rag import check_repairs as repairs
from rag import check_rules as rules
from rag import schema, store
from rag.check_snapshot import Snapshot, read_snapshot
from rag.errors import LibraryError, LibraryNotWritableError, RagError, StorageError
from rag.generations import write_lock
from rag.storage_errors import read_only_reason, storage_errors

REPAIR = "`python -m rag check --repair`"


@dataclass(frozen=True)
class Finding:
    check: str  # the name of the check that found it
    message: str  # what is wrong, and what to do about it
    repairable: bool  # whether `--repair` (repair=True) fixes it
    document: str | None = None  # the document to ingest again, when that is the fix
    source: str | None = None  # where that document was ingested from


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

    @property
    def reingest(self) -> tuple[tuple[str, str | None], ...]:
        """(id, source) of each document to remove and ingest again, in the order found."""
        return tuple(dict.fromkeys((f.document, f.source) for f in self.problems if f.document))


Find = Callable[[Snapshot], Iterable[str | tuple[str, str]]]
Repair = Callable[[Snapshot, repairs.Repairing], str]


@dataclass(frozen=True)
class Check:
    name: str
    find: Find  # yields one message per problem found, or (message, document id to re-ingest)
    fix: str  # appended to each message: what the user (or --repair) does about it
    repair: Repair | None = None
    fatal: bool = False  # later checks need this one to pass
    leftover: bool = False  # what it finds is harmless, not a problem
    blocks_repair: bool = False  # while it finds anything, no repair may run


REINGEST = "remove the document (`python -m rag remove DOC_ID`) and ingest its file again"
REBUILT = f"{REPAIR} rebuilds it from the stored text"
CHECKS: tuple[Check, ...] = (
    Check("schema", rules.schema_version, "re-create the library from your documents", fatal=True),
    Check("metadata", rules.metadata, f"{REPAIR} restores it from the rows and files", repairs.restore_metadata),
    Check("model", rules.model, "put the library's model back at its path (repairs would embed with "
          "other weights), or build a new library with this model", blocks_repair=True),
    Check("texts", rules.texts, REINGEST),
    Check("vector file", rules.vector_file, REBUILT, repairs.rebuild_vectors),
    Check("passage vectors", rules.passage_vectors, f"{REPAIR} re-embeds or drops them", repairs.rebuild_vectors),
    Check("lexical index", rules.lexical_rows, REBUILT, repairs.rebuild_lexical_index),
    Check("sentences", rules.sentences, f"{REPAIR} derives them again from the stored text",
          repairs.rederive_sentences),
    Check("sentence vectors", rules.sentence_vectors, f"{REPAIR} clears them", repairs.forget_sentence_vectors),
    Check("offsets", rules.offsets, REINGEST),
    Check("documents", rules.documents, REINGEST),
    Check("leftover files", rules.unused_files, f"the next ingest or {REPAIR} deletes them",
          repairs.delete_unused_files, leftover=True),
)


# ------------------------------------------------------------------ running them
def _findings(check: Check, snapshot: Snapshot) -> list[Finding]:
    found = []
    for item in check.find(snapshot):
        message, document = (item, None) if isinstance(item, str) else item
        found.append(Finding(check.name, f"{message}; {check.fix}", check.repair is not None, document,
                             snapshot.sources.get(document)))
    return found


def _run(folder: Path) -> tuple[list[str], list[tuple[Check | None, Finding]]]:
    ran, findings = ["database"], []
    try:
        with read_snapshot(folder) as snapshot:
            if problem := snapshot.database_damage():
                raise LibraryError(f"SQLite reports damage: {problem}")
            for check in CHECKS:
                ran.append(check.name)
                found = _findings(check, snapshot)
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
    read_only = read_only_reason(folder)  # a read-only mount: checked as it is, with no lock to take
    if read_only is not None and repair:
        raise LibraryNotWritableError(folder, read_only)
    with storage_errors(folder), (write_lock(folder) if read_only is None else nullcontext()):
        repaired = _upgrade_older_schema(folder) if read_only is None else []
        ran, findings = _run(folder)
        blocked = any(check is None or check.fatal or check.blocks_repair for check, _ in findings)
        if repair and not blocked and any(f.repairable for _, f in findings):
            repaired += _repair(folder, encoder)
            ran, findings = _run(folder)
    problems = tuple(f for check, f in findings if not (check and check.leftover))
    leftovers = tuple(f for check, f in findings if check and check.leftover)
    return CheckReport(str(folder), tuple(ran), problems, leftovers, tuple(repaired))


def _upgrade_older_schema(folder: Path) -> list[str]:
    """Bring a library of an older schema up to date first, as any writable open does (the
    checks are this schema's); one line saying so, or none."""
    try:
        connection = store.connect(folder / store.DATABASE_NAME)
    except RagError:
        return []  # `_run` reports an unreadable database
    try:
        meta = store.read_meta(connection)
        if schema.schema_state(meta) != schema.UPGRADABLE_SCHEMA:
            return []
        schema.upgrade(connection)
        return [f"schema: upgraded from version {meta['schema_version']} to {schema.SCHEMA_VERSION}"]
    except (RagError, sqlite3.DatabaseError):
        return []  # `_run` reports what keeps it from being read
    finally:
        connection.close()


def _repair(folder: Path, encoder) -> list[str]:
    done: list[str] = []
    repairing = repairs.Repairing(folder, encoder)
    try:
        for check in CHECKS:
            if check.repair is None:
                continue
            with read_snapshot(folder) as snapshot:  # fresh: an earlier repair may have fixed it
                if not list(check.find(snapshot)):
                    continue
                snapshot.db.execute("COMMIT")  # the repair writes; end the read snapshot
                done.append(check.repair(snapshot, repairing))
    finally:
        repairing.close()
    return done
