"""Opening a library folder: creating it if new, connecting to its database, and deciding
whether this process may write to it.

Owns the rules `Library.open` follows before any document is read: a new or empty folder
becomes a library, a folder holding other files is refused, a library this process cannot
write (a read-only mount, a folder of another user) opens for search and answers only, and
every refusal of the disk or the folder is a `RagError` naming the fix
(`rag.storage_errors`). Leaves out the schema itself (`rag.schema`) and everything after
opening (`rag.library`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from embeddings import DEFAULT_MODEL
from rag import schema, store
from rag.errors import FolderAccessError, LibraryError
from rag.storage_errors import READ_ONLY_MOUNT, existing_ancestor, read_only_reason, storage_errors

@dataclass(frozen=True)
class OpenedDatabase:
    connection: sqlite3.Connection
    meta: dict[str, str]
    read_only: bool
    not_writable_because: str | None = None  # when the folder, not the caller, forbids writing


def open_database(folder: Path, requested: str | None, *, read_only: bool) -> OpenedDatabase:
    """The library database in `folder`, created if the folder is new or empty (unless
    `read_only`), checked to be a library made with `requested` (a model name, or None)."""
    with storage_errors(folder):
        if folder.exists() and not folder.is_dir():
            raise LibraryError(f"{folder} is a file, not a library folder; choose a folder path")
        database = folder / store.DATABASE_NAME
        if read_only:
            return _open_replica(folder, requested)
        if database.is_file() and (reason := read_only_reason(folder)) is not None:
            return _open_replica(folder, requested, not_writable_because=reason)
        if not database.exists():
            if (reason := read_only_reason(existing_ancestor(folder))) is not None:
                raise FolderAccessError(folder, f"a new library cannot be made there ({reason}); choose a "
                                        "folder you can write")
            # Files named library.sqlite* may be another process creating this library now.
            if folder.exists() and any(not p.name.startswith(store.DATABASE_NAME) for p in folder.iterdir()):
                raise LibraryError(
                    f"{folder} is not a library (it has no {store.DATABASE_NAME}) and is not empty; "
                    "choose a new or empty folder"
                )
            folder.mkdir(parents=True, exist_ok=True)
        connection = store.connect(database)
        if schema.is_empty(connection):  # new, or another process has not committed it yet
            schema.create(connection, {
                "format": schema.LIBRARY_FORMAT,
                "model": requested or DEFAULT_MODEL,
                "generation": "0",
                "next_passage_id": "1",
            })
        meta = schema.checked_meta(connection, folder, requested, may_upgrade=True)
        return OpenedDatabase(connection, meta, read_only=False)


def reading_connection(folder: Path) -> sqlite3.Connection:
    """A connection to the library database in `folder` for reading only: writable if this
    process may write there (SQLite's readers write its shared-memory file), else read-only."""
    if read_only_reason(folder) is None:
        return store.connect(folder / store.DATABASE_NAME)
    return read_only_connection(folder)


def read_only_connection(folder: Path) -> sqlite3.Connection:
    """A read-only connection to the library database in `folder`, on a read-only mount too."""
    return store.connect(folder / store.DATABASE_NAME, read_only=True, immutable=_immutable(folder))


def _open_replica(folder: Path, requested: str | None, not_writable_because: str | None = None) -> OpenedDatabase:
    database = folder / store.DATABASE_NAME
    if not database.is_file():
        raise LibraryError(f"{folder} has no library to open read-only; build it first with "
                           "`python -m rag ingest PATH --library DIR`")
    connection = read_only_connection(folder)
    meta = schema.checked_meta(connection, folder, requested, may_upgrade=False)
    return OpenedDatabase(connection, meta, read_only=True, not_writable_because=not_writable_because)


def _immutable(folder: Path) -> bool:
    """Whether SQLite must read without its shared-memory file: on a read-only mount it cannot
    create one, and nothing can write the library there. Elsewhere a reader that cannot create
    it has no safe way to read while a writer may commit, so it is refused with the fix."""
    shared_memory = folder / f"{store.DATABASE_NAME}-shm"
    reason = read_only_reason(folder)
    if shared_memory.exists() or reason is None:
        return False
    if reason == READ_ONLY_MOUNT:
        return not (folder / f"{store.DATABASE_NAME}-wal").exists()  # else: a writer's commits wait there
    raise FolderAccessError(folder, "this user may not write in it, and SQLite must create "
                            f"{shared_memory.name} there to read a library safely; give this user "
                            "write access to the folder, or copy the library to a folder you can write")
