"""A library database's schema: its tables, its version, creating it and upgrading it.

Owns what a library database is (`LIBRARY_FORMAT` in its metadata), the schema version this
code reads, bringing older versions up to date without re-embedding, and the one test of
both that opening a library (`rag.library`) and checking one (`rag.check`) share. The
queries are `rag.store`'s.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from pathlib import Path

from rag import meta_values
from rag.errors import LibraryError, ModelMismatchError
from rag.store import DATABASE_NAME, expected_terms, insert_terms, read_meta, set_meta, text_sha256, transaction

LIBRARY_FORMAT = "rag-library"  # meta.format of every library database
SCHEMA_VERSION = 9
UPGRADABLE = {"1", "2", "3", "4", "5", "6", "7", "8"}  # older schema versions `upgrade` knows how to bring up to date
# Schemas whose lexical rows an older `rag.lexical` analyser wrote (schema 8 came with
# ANALYSER_VERSION 3, today's): an upgrade analyses their stored text again.
_ANALYSED_BY_AN_OLDER_ANALYSER = {"1", "2", "3", "4", "5", "6", "7"}
# What `schema_state` finds.
CURRENT_SCHEMA, UPGRADABLE_SCHEMA, NOT_A_LIBRARY, OTHER_SCHEMA = "current", "upgradable", "not a library", "other"

# passages.sentences: JSON [[start, end, paragraph], ...], absolute offsets into the text.
# passages.sentence_vectors: `rag.vector_blob` rows, one per sentence; NULL for passages
# stored before schema 3, whose sentences `ask` embeds when it needs them.
# documents.text_sha256: hex sha256 of the text's UTF-8 bytes as ingest stored them, so
# `check` can tell damaged text from trusted text (and never repairs from the former).
# documents.link_words: the words of the URLs of links ingest took out of plain text
# (`rag.inline_markup`), read with every passage as context; '' for everything else.
# documents.definitions: its short forms' long forms and its people's full names, read at
# ingest (`rag.document_definitions`, JSON with the reading's version); '' when not read.
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
    text_sha256 TEXT NOT NULL,
    paragraphs INTEGER NOT NULL,
    link_words TEXT NOT NULL DEFAULT '',
    definitions TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL DEFAULT (datetime('now'))
);
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ordinal INTEGER NOT NULL,
    paragraph INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    sentences TEXT NOT NULL,
    sentence_vectors BLOB
);
CREATE INDEX passages_by_document ON passages(document_id);
CREATE INDEX documents_by_hash ON documents(content_hash);
"""
# The title and date a user set (`rag.document_info`; NULL: not set, the document's own value
# stands). `documents` holds the values in force; this table is what re-ingesting the same
# document applies again. No foreign key: an update deletes and re-inserts the document row.
_EDITS_SCHEMA = """CREATE TABLE IF NOT EXISTS document_edits (
    document_id TEXT PRIMARY KEY,
    title TEXT,
    published TEXT
)"""
# The terms are already analysed by rag.lexical: the ascii tokenizer only splits at spaces.
_LEXICAL_SCHEMA = "CREATE VIRTUAL TABLE passage_terms USING fts5(terms, tokenize = 'ascii')"


def is_empty(connection: sqlite3.Connection) -> bool:
    """Whether the database has no tables yet (a brand-new file)."""
    return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def create(connection: sqlite3.Connection, meta: dict[str, str]) -> None:
    """Create the schema in an empty database. Two processes may open a new library at the
    same instant: BEGIN IMMEDIATE lets one create it, and the other then finds it made."""
    with transaction(connection):
        if not is_empty(connection):
            return
        for statement in _SCHEMA.split(";"):
            if statement.strip():
                connection.execute(statement)
        connection.execute(_LEXICAL_SCHEMA)
        connection.execute(_EDITS_SCHEMA)
        set_meta(connection, {"schema_version": str(SCHEMA_VERSION), **meta})


def rebuild_lexical_index(connection: sqlite3.Connection, skip_documents: Collection[str] = ()) -> int:
    """Drop the lexical index and build it again from the stored text (in the caller's
    transaction), leaving out the passages of `skip_documents` (damaged text); returns how
    many rows were written. Dropping, not deleting rows: a damaged FTS5 index can fail its
    own DELETE, while its shadow tables always drop."""
    connection.execute("DROP TABLE IF EXISTS passage_terms")
    connection.execute(_LEXICAL_SCHEMA)
    rows = expected_terms(connection, skip_documents)
    insert_terms(connection, rows)
    return len(rows)


def upgrade(connection: sqlite3.Connection) -> None:
    """Bring an older library's schema up to SCHEMA_VERSION in one transaction, without
    re-embedding anything. Schema 1 had no lexical index: it is built from the stored text.
    Schemas 1-2 stored no sentence vectors: their passages keep NULL, and `ask` embeds
    those sentences when it needs them (re-ingesting the documents stores them). Schemas 1-3
    had no user edits of titles and dates: the table starts empty. Schemas 1-4 were indexed
    before British spellings were read as American (`rag.lexical.ANALYSER_VERSION` 2): the
    lexical rows are analysed again from the stored text (no embedding needed). Schemas 1-5
    recorded no checksum of the stored text: it is computed from the text as it is now, so
    damage done before the upgrade goes unnoticed; damage after it is found by `check`.
    Schemas 1-6 had no link words: documents get none (their text keeps the tags it had, so
    their passages read as before). Schemas 1-7 were indexed before irregular verb forms were
    read as their verb (`rag.lexical.ANALYSER_VERSION` 3: "said" as "say"): the lexical rows
    are analysed again, as for schema 4. Schemas 1-8 stored no definitions: documents get
    none stored ('') and are read when asked about, as before (a document added or changed
    afterwards has them stored)."""
    with transaction(connection):
        version = read_meta(connection).get("schema_version")
        _add_document_column(connection, "link_words")  # first: the lexical rebuild reads them
        if version in _ANALYSED_BY_AN_OLDER_ANALYSER:
            rebuild_lexical_index(connection, skip_documents=_undecodable_documents(connection))
        _add_document_column(connection, "definitions")
        if version in ("1", "2"):
            connection.execute("ALTER TABLE passages ADD COLUMN sentence_vectors BLOB")
        connection.execute(_EDITS_SCHEMA)
        _record_text_checksums(connection)
        set_meta(connection, {"schema_version": str(SCHEMA_VERSION)})


def _undecodable_documents(connection: sqlite3.Connection) -> set[str]:
    """Documents whose stored text is not UTF-8 (damaged): an upgrade indexes around them,
    and `check` names them."""
    undecodable = set()
    for document_id, data in connection.execute("SELECT id, CAST(text AS BLOB) FROM documents"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            undecodable.add(document_id)
    return undecodable


def _add_document_column(connection: sqlite3.Connection, name: str) -> None:
    """A text column an older schema's documents lack, '' for every stored document."""
    if name not in {row[1] for row in connection.execute("PRAGMA table_info(documents)")}:
        connection.execute(f"ALTER TABLE documents ADD COLUMN {name} TEXT NOT NULL DEFAULT ''")


def _record_text_checksums(connection: sqlite3.Connection) -> None:
    _add_document_column(connection, "text_sha256")
    rows = connection.execute("SELECT id, CAST(text AS BLOB) FROM documents WHERE text_sha256 = ''").fetchall()
    connection.executemany("UPDATE documents SET text_sha256 = ? WHERE id = ?",
                           [(text_sha256(blob), document_id) for document_id, blob in rows])


def schema_state(meta: dict[str, str]) -> str:
    """Whether a database's metadata is a library of this schema (CURRENT_SCHEMA), of an
    older one `upgrade` brings up to date (UPGRADABLE_SCHEMA), not a library database at
    all (NOT_A_LIBRARY), or of a schema this version cannot read (OTHER_SCHEMA)."""
    if meta.get("format") != LIBRARY_FORMAT:
        return NOT_A_LIBRARY
    version = meta.get("schema_version")
    if version == str(SCHEMA_VERSION):
        return CURRENT_SCHEMA
    return UPGRADABLE_SCHEMA if version in UPGRADABLE else OTHER_SCHEMA


def checked_meta(connection, folder: Path, requested: str | None, *, may_upgrade: bool) -> dict[str, str]:
    """The library's metadata, once it is known to be a library of this schema (upgraded if
    allowed) made with the `requested` model; otherwise the connection is closed and the
    error says what to do."""
    try:
        meta = read_meta(connection)
        state = schema_state(meta)
        if state == NOT_A_LIBRARY:
            raise LibraryError(f"{folder / DATABASE_NAME} is not a library database; choose another folder")
        if state == UPGRADABLE_SCHEMA:
            if not may_upgrade:
                raise LibraryError(f"{folder} uses library schema {meta.get('schema_version')}; open it once "
                                   "for writing (e.g. `python -m rag check`) to upgrade it")
            upgrade(connection)
            meta = read_meta(connection)
            state = schema_state(meta)
        if state != CURRENT_SCHEMA:
            raise LibraryError(
                f"{folder} uses library schema {meta.get('schema_version')}; this version reads "
                f"schema {SCHEMA_VERSION}. Re-create the library from your documents"
            )
        meta_values.checked(meta, folder)
        if requested and requested != meta["model"]:
            raise ModelMismatchError(folder, meta["model"], requested)
    except BaseException:
        connection.close()
        raise
    return meta
