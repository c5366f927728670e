"""The SQLite half of a library: documents, passages, their lexical index, and metadata.

Owns the connection, the metadata and the queries; the tables and their versions are
`rag.schema`'s, BM25 scoring `rag.bm25_postings`'. The lexical index is an FTS5 table keyed
by passage id holding each passage's analysed terms (`rag.lexical`); it is written in the
same transactions as the passages, so the two always agree. The vector half lives in a
FAISS file named in the `meta` table (`vector_file`), so a single SQLite commit switches
both halves at once: see `rag.generations` for the write protocol. Does not embed or parse
anything.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Collection, Iterable, Sequence
from itertools import chain
from pathlib import Path

from rag import storage_errors
from rag.errors import LibraryError, UnknownDocumentError
from rag.lexical import indexed_text
from rag.passages import in_context, passage_contexts
from rag.results import Document, DocumentSummary, Passage

DATABASE_NAME = "library.sqlite"

_PASSAGE_SELECT = """
SELECT p.id, p.document_id, d.title, d.published, d.source, p.paragraph, p.start, p.end,
       substr(d.text, p.start + 1, p.end - p.start), p.sentences
FROM passages p JOIN documents d ON d.id = p.document_id
"""


def connect(path: Path, *, read_only: bool = False, immutable: bool = False) -> sqlite3.Connection:
    """`immutable` (read-only media, `rag.library_folder`): SQLite reads without the shared-memory
    file it cannot create there; nothing can change such a file while it is read."""
    # check_same_thread=False: the UI serves several sessions from one cached library;
    # the Library serialises access with its own lock.
    target = f"{path.resolve().as_uri()}?mode=ro{'&immutable=1' * immutable}" if read_only else path
    connection = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False,
                                 uri=read_only)
    try:
        if not read_only:  # a writer switched the file to WAL when it created it
            _use_wal(connection)
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=FULL")
    except sqlite3.DatabaseError as error:
        connection.close()
        if (meaning := storage_errors.translated(error, path.parent)) is not None:
            raise meaning from error  # a full disk or a read-only folder, not a foreign file
        raise LibraryError(f"{path} is not a library database ({error}); choose another folder") from error
    return connection


def _use_wal(connection: sqlite3.Connection) -> None:
    # Switching a new database to WAL needs an exclusive lock, and SQLite reports "locked"
    # at once instead of waiting when another process is opening the same new file.
    for attempt in range(100):
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 99:
                raise
            time.sleep(0.05)


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


def counts(connection: sqlite3.Connection) -> tuple[int, int]:
    """(documents, passages) stored."""
    return connection.execute(
        "SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages)"
    ).fetchone()


def _summary(row) -> DocumentSummary:
    return DocumentSummary(*row)


def list_documents(connection: sqlite3.Connection) -> list[DocumentSummary]:
    rows = connection.execute(
        """SELECT d.id, d.title, d.published, d.source, d.format, d.paragraphs,
                  (SELECT count(*) FROM passages p WHERE p.document_id = d.id)
           FROM documents d ORDER BY d.published IS NULL, d.published, d.title"""
    )
    return [_summary(row) for row in rows]


def get_document(connection: sqlite3.Connection, document_id: str) -> Document:
    """The stored document; UnknownDocumentError if there is none with that id."""
    try:
        row = connection.execute(
            """SELECT d.id, d.title, d.published, d.source, d.content_hash, d.format, d.text,
                      d.paragraphs, (SELECT count(*) FROM passages p WHERE p.document_id = d.id),
                      d.link_words
               FROM documents d WHERE d.id = ?""",
            (document_id,),
        ).fetchone()
    except sqlite3.OperationalError as error:
        if "decode" not in str(error):  # only text SQLite cannot decode is the document's damage
            raise
        raise LibraryError(f"The stored text of document {document_id} is damaged ({str(error)[:60]}…); "
                           f"remove it (`python -m rag remove {document_id}`) and ingest its file again") from error
    if row is None:
        raise UnknownDocumentError(document_id)
    return Document(*row)


def find_by_source(connection: sqlite3.Connection, source: str):
    return connection.execute(
        "SELECT id, content_hash, pipeline FROM documents WHERE source = ?", (source,)
    ).fetchone()


def find_by_content(connection: sqlite3.Connection, content_hash: str, pipeline: str):
    return connection.execute(
        "SELECT id, source FROM documents WHERE content_hash = ? AND pipeline = ?",
        (content_hash, pipeline),
    ).fetchone()


def document_ids(connection: sqlite3.Connection, among: Sequence[str] | None = None) -> set[str]:
    """Every stored document's id, or those of `among` that are stored."""
    if among is None:
        return {row[0] for row in connection.execute("SELECT id FROM documents")}
    marks = ",".join("?" * len(among))
    return {row[0] for row in connection.execute(f"SELECT id FROM documents WHERE id IN ({marks})", list(among))}


def passage_ids(connection: sqlite3.Connection, document_id: str | None = None) -> list[int]:
    if document_id is None:
        rows = connection.execute("SELECT id FROM passages ORDER BY id")
    else:
        rows = connection.execute(
            "SELECT id FROM passages WHERE document_id = ? ORDER BY id", (document_id,)
        )
    return [row[0] for row in rows]


def filter_clause(
    *,
    document_ids: Sequence[str] | None,
    published_from: str | None,
    published_to: str | None,
) -> tuple[str, list]:
    """A WHERE condition over passages `p` joined with documents `d`, and its arguments."""
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
    return " AND ".join(clauses) or "1", arguments


def filtered_passage_ids(connection: sqlite3.Connection, where: str, arguments: list) -> list[int]:
    rows = connection.execute(
        f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where}",
        arguments,
    )
    return [row[0] for row in rows]


# -- the lexical index -----------------------------------------------------------------------
def insert_terms(connection: sqlite3.Connection, rows: Sequence[tuple[int, str]]) -> None:
    """rows: (passage id, analysed terms separated by spaces)."""
    connection.executemany("INSERT INTO passage_terms(rowid, terms) VALUES (?, ?)", rows)


def indexed_terms(connection: sqlite3.Connection) -> dict[int, str]:
    """passage id -> terms, as the lexical index holds them."""
    return dict(connection.execute("SELECT rowid, terms FROM passage_terms"))


def expected_terms(connection: sqlite3.Connection, skip_documents: Collection[str] = ()) -> list[tuple[int, str]]:
    """(passage id, terms) as an ingest would index them, computed from the stored text
    (except the passages of `skip_documents`, whose text is not to be trusted)."""
    texts = contextual_texts(connection, skip_documents=skip_documents)
    return [(pid, indexed_text(texts[pid])) for pid in sorted(texts)]


def contextual_texts(connection: sqlite3.Connection, ids: Sequence[int] | None = None, *,
                     skip_documents: Collection[str] = ()) -> dict[int, str]:
    """Each passage (the listed ones, or all) as ingest gave it to the model and the lexical
    index: in its context (`rag.passages.passage_contexts`), computed from the stored document."""
    spans: dict[str, list[tuple[int, int, int]]] = {}
    query = "SELECT id, document_id, start, end FROM passages"
    for chunk in ([None] if ids is None else [list(ids)[i : i + 500] for i in range(0, len(ids), 500)]):
        where = "" if chunk is None else f" WHERE id IN ({','.join('?' * len(chunk))})"
        for pid, document_id, start, end in connection.execute(query + where, chunk or []):
            if document_id not in skip_documents:
                spans.setdefault(document_id, []).append((pid, start, end))
    texts: dict[int, str] = {}
    for document_id, rows in spans.items():
        title, text, link_words = connection.execute(
            "SELECT title, text, link_words FROM documents WHERE id = ?", (document_id,)).fetchone()
        contexts = passage_contexts(title, text, [(start, end) for _, start, end in rows], link_words)
        texts.update((pid, in_context(context, text[start:end])) for (pid, start, end), context in zip(rows, contexts))
    return texts


def stored_definitions(connection: sqlite3.Connection, document_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Each listed document's (`text_sha256`, `definitions`): what its stored text is and what
    ingest read of it (`rag.document_definitions`), without reading the text."""
    ids = list(document_ids)
    if not ids:
        return {}
    rows = connection.execute(
        f"SELECT id, text_sha256, definitions FROM documents WHERE id IN ({','.join('?' * len(ids))})", ids)
    return {document_id: (digest, definitions) for document_id, digest, definitions in rows}


def get_passages(connection: sqlite3.Connection, ids: Iterable[int]) -> dict[int, Passage]:
    ids = list(ids)
    if not ids:
        return {}
    rows = connection.execute(
        _PASSAGE_SELECT + f" WHERE p.id IN ({','.join('?' * len(ids))})", ids
    )
    return {row[0]: _passage(row) for row in rows}


def sentence_vector_blobs(connection: sqlite3.Connection, ids: Sequence[int]) -> dict[int, bytes | None]:
    """Each passage's stored sentence vectors (`rag.vector_blob`), None where not stored."""
    rows = connection.execute(
        f"SELECT id, sentence_vectors FROM passages WHERE id IN ({','.join('?' * len(ids))})", list(ids)
    )
    return dict(rows)


def adjacent_passage_ids(connection: sqlite3.Connection, ids: Sequence[int]) -> dict[int, tuple[int | None, int | None]]:
    """Each passage's neighbours in its document: (the passage before, the passage after),
    None at either end."""
    if not ids:
        return {}
    found: dict[int, list[int | None]] = {i: [None, None] for i in ids}
    rows = connection.execute(
        "SELECT p.id, q.id, q.ordinal - p.ordinal FROM passages p JOIN passages q "
        "ON q.document_id = p.document_id AND q.ordinal IN (p.ordinal - 1, p.ordinal + 1) "
        f"WHERE p.id IN ({','.join('?' * len(ids))})", list(ids))
    for passage_id, neighbour_id, step in rows:
        found[passage_id][0 if step < 0 else 1] = neighbour_id
    return {i: (before, after) for i, (before, after) in found.items()}


def text_sha256(data: bytes) -> str:
    """The checksum `documents.text_sha256` holds: of the text's UTF-8 bytes."""
    return hashlib.sha256(data).hexdigest()


def sentence_spans_of(sentences_json: str) -> tuple[tuple[int, int, int], ...]:
    """A passage's `sentences` column as (start, end, paragraph) spans; ValueError if it is
    not that."""
    spans = json.loads(sentences_json)
    if type(spans) is list and all(type(span) is list and len(span) == 3 for span in spans):
        found = tuple(map(tuple, spans))
        # one pass over all the numbers: every search reads ~40 passages' spans
        if all(type(n) is int for n in chain.from_iterable(found)):
            return found
    raise ValueError("not a list of [start, end, paragraph] spans")


def document_passages(connection: sqlite3.Connection, document_id: str) -> list[Passage]:
    rows = connection.execute(_PASSAGE_SELECT + " WHERE p.document_id = ? ORDER BY p.ordinal", (document_id,))
    return [_passage(row) for row in rows]


def _passage(row) -> Passage:
    try:
        sentences = sentence_spans_of(row[9])
    except ValueError as error:
        raise LibraryError(
            f"Passage {row[0]} of document {row[1]} has damaged sentence offsets ({error}). Run "
            f"`python -m rag check --repair` to restore them, or remove document {row[1]} and ingest it again"
        ) from error
    return Passage(*row[:9], sentences=sentences)


def insert_document(connection: sqlite3.Connection, values: dict) -> None:
    connection.execute(
        """INSERT INTO documents(id, title, published, source, content_hash, pipeline, format,
                                 text, text_sha256, paragraphs, link_words, definitions)
           VALUES (:id, :title, :published, :source, :content_hash, :pipeline, :format,
                   :text, :text_sha256, :paragraphs, :link_words, :definitions)""",
        {**values, "text_sha256": text_sha256(values["text"].encode("utf-8"))},
    )


def insert_passages(connection: sqlite3.Connection, rows: Sequence[tuple]) -> None:
    """rows: (id, document_id, ordinal, paragraph, start, end, sentences_json,
    sentence_vectors_blob)."""
    connection.executemany(
        "INSERT INTO passages(id, document_id, ordinal, paragraph, start, end, sentences, "
        "sentence_vectors) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )


def delete_document(connection: sqlite3.Connection, document_id: str) -> None:
    connection.execute(
        "DELETE FROM passage_terms WHERE rowid IN (SELECT id FROM passages WHERE document_id = ?)",
        (document_id,),
    )
    connection.execute("DELETE FROM documents WHERE id = ?", (document_id,))


# -- what users set -----------------------------------------------------------------------
def document_edit(connection: sqlite3.Connection, document_id: str) -> tuple[str | None, str | None] | None:
    """(title, published) the user set for a document, None where they set nothing."""
    return connection.execute(
        "SELECT title, published FROM document_edits WHERE document_id = ?", (document_id,)
    ).fetchone()


def save_document_edit(connection: sqlite3.Connection, document_id: str, title: str | None,
                       published: str | None) -> None:
    connection.execute(
        "INSERT INTO document_edits(document_id, title, published) VALUES (?, ?, ?) "
        "ON CONFLICT(document_id) DO UPDATE SET title = excluded.title, published = excluded.published",
        (document_id, title, published),
    )


def delete_document_edit(connection: sqlite3.Connection, document_id: str) -> None:
    connection.execute("DELETE FROM document_edits WHERE document_id = ?", (document_id,))


def set_published(connection: sqlite3.Connection, document_id: str, published: str | None) -> None:
    connection.execute("UPDATE documents SET published = ? WHERE id = ?", (published, document_id))


def document_pipeline(connection: sqlite3.Connection, document_id: str) -> str:
    """The pipeline fingerprint a document was stored with."""
    return connection.execute("SELECT pipeline FROM documents WHERE id = ?", (document_id,)).fetchone()[0]
