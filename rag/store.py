"""The SQLite half of a library: documents, passages and library metadata.

Owns the schema, its version, and the queries. The vector half lives in a FAISS file named
in the `meta` table (`vector_file`), so a single SQLite commit switches both halves at once:
see `rag.library` for the write protocol. Does not embed or parse anything.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag.errors import LibraryError
from rag.results import Document, DocumentSummary, Passage

SCHEMA_VERSION = 1
DATABASE_NAME = "library.sqlite"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    published TEXT,
    source TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    format TEXT NOT NULL,
    text TEXT NOT NULL,
    paragraphs INTEGER NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sentences TEXT NOT NULL  -- JSON [[start, end, paragraph], ...], absolute offsets
);
CREATE INDEX passages_by_document ON passages(document_id);
CREATE INDEX documents_by_hash ON documents(content_hash);
"""

_PASSAGE_SELECT = """
SELECT p.id, p.document_id, d.title, d.published, d.source, p.paragraph, p.start, p.end,
       substr(d.text, p.start + 1, p.end - p.start), p.sentences
FROM passages p JOIN documents d ON d.id = p.document_id
"""


def connect(path: Path) -> sqlite3.Connection:
    # check_same_thread=False: the UI serves several sessions from one cached library;
    # the Library serialises access with its own lock.
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=FULL")
    except sqlite3.DatabaseError as error:
        connection.close()
        raise LibraryError(f"{path} is not a library database ({error}); choose another folder") from error
    return connection


def create(connection: sqlite3.Connection, meta: dict[str, str]) -> None:
    with transaction(connection):
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        set_meta(connection, {"schema_version": str(SCHEMA_VERSION), **meta})


class transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __enter__(self):
        self.connection.execute("BEGIN IMMEDIATE")
        return self.connection

    def __exit__(self, kind, error, trace):
        self.connection.execute("ROLLBACK" if kind else "COMMIT")
        return False


def read_meta(connection: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(connection.execute("SELECT key, value FROM meta"))
    except sqlite3.DatabaseError as error:
        raise LibraryError(f"the library database is not readable ({error})") from error


def set_meta(connection: sqlite3.Connection, values: dict[str, str]) -> None:
    connection.executemany(
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        list(values.items()),
    )


def _summary(row) -> DocumentSummary:
    return DocumentSummary(*row)


def list_documents(connection: sqlite3.Connection) -> list[DocumentSummary]:
    rows = connection.execute(
        """SELECT d.id, d.title, d.published, d.source, d.format, d.paragraphs,
                  (SELECT count(*) FROM passages p WHERE p.document_id = d.id)
           FROM documents d ORDER BY d.published IS NULL, d.published, d.title"""
    )
    return [_summary(row) for row in rows]


def get_document(connection: sqlite3.Connection, document_id: str) -> Document | None:
    row = connection.execute(
        """SELECT d.id, d.title, d.published, d.source, d.content_hash, d.format, d.text,
                  d.paragraphs, (SELECT count(*) FROM passages p WHERE p.document_id = d.id)
           FROM documents d WHERE d.id = ?""",
        (document_id,),
    ).fetchone()
    return Document(*row) if row else None


def find_by_source(connection: sqlite3.Connection, source: str):
    return connection.execute(
        "SELECT id, content_hash, pipeline FROM documents WHERE source = ?", (source,)
    ).fetchone()


def find_by_content(connection: sqlite3.Connection, content_hash: str, pipeline: str):
    return connection.execute(
        "SELECT id, source FROM documents WHERE content_hash = ? AND pipeline = ?",
        (content_hash, pipeline),
    ).fetchone()


def document_ids(connection: sqlite3.Connection) -> set[str]:
    return {row[0] for row in connection.execute("SELECT id FROM documents")}


def passage_ids(connection: sqlite3.Connection, document_id: str | None = None) -> list[int]:
    if document_id is None:
        rows = connection.execute("SELECT id FROM passages ORDER BY id")
    else:
        rows = connection.execute(
            "SELECT id FROM passages WHERE document_id = ? ORDER BY id", (document_id,)
        )
    return [row[0] for row in rows]


def filtered_passage_ids(
    connection: sqlite3.Connection,
    *,
    document_ids: Sequence[str] | None,
    published_from: str | None,
    published_to: str | None,
) -> list[int]:
    clauses, arguments = [], []
    if document_ids is not None:
        clauses.append(f"d.id IN ({','.join('?' * len(document_ids))})")
        arguments.extend(document_ids)
    if published_from:
        clauses.append("d.published >= ?")
        arguments.append(published_from)
    if published_to:
        clauses.append("d.published <= ?")
        arguments.append(published_to)
    where = " AND ".join(clauses) or "1"
    rows = connection.execute(
        f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where}",
        arguments,
    )
    return [row[0] for row in rows]


def get_passages(connection: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Passage]:
    ids = list(ids)
    if not ids:
        return {}
    rows = connection.execute(
        _PASSAGE_SELECT + f" WHERE p.id IN ({','.join('?' * len(ids))})", ids
    )
    return {row[0]: _passage(row) for row in rows}


def document_passages(connection: sqlite3.Connection, document_id: str) -> list[Passage]:
    rows = connection.execute(_PASSAGE_SELECT + " WHERE p.document_id = ? ORDER BY p.ordinal", (document_id,))
    return [_passage(row) for row in rows]


def _passage(row) -> Passage:
    sentences = tuple(tuple(span) for span in json.loads(row[9]))
    return Passage(*row[:9], sentences=sentences)


def insert_document(connection: sqlite3.Connection, values: dict) -> None:
    connection.execute(
        """INSERT INTO documents(id, title, published, source, content_hash, pipeline, format,
                                 text, paragraphs)
           VALUES (:id, :title, :published, :source, :content_hash, :pipeline, :format,
                   :text, :paragraphs)""",
        values,
    )


def insert_passages(connection: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """rows: (id, document_id, ordinal, paragraph, start, end, sentences_json)."""
    connection.executemany(
        "INSERT INTO passages(id, document_id, ordinal, paragraph, start, end, sentences) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def delete_document(connection: sqlite3.Connection, document_id: str) -> None:
    connection.execute("DELETE FROM documents WHERE id = ?", (document_id,))
