"""The SQLite half of a library: documents, passages, their lexical index, and metadata.

Owns the schema, its version (and the upgrade from older versions), and the queries. The
lexical index is an FTS5 table keyed by passage id holding each passage's analysed terms
(`rag.lexical`); it is written in the same transactions as the passages, so the two always
agree. The vector half lives in a FAISS file named
in the `meta` table (`vector_file`), so a single SQLite commit switches both halves at once:
see `rag.library` for the write protocol. Does not embed or parse anything.
"""

from __future__ import annotations

import json
import math
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from rag.errors import LibraryError
from rag.lexical import indexed_text
from rag.passages import in_context, passage_contexts
from rag.results import Document, DocumentSummary, Passage

SCHEMA_VERSION = 5
UPGRADABLE = {"1", "2", "3", "4"}  # older schema versions `upgrade` knows how to bring up to date
DATABASE_NAME = "library.sqlite"

# passages.sentences: JSON [[start, end, paragraph], ...], absolute offsets into the text.
# passages.sentence_vectors: `rag.vector_blob` rows, one per sentence; NULL for passages
# stored before schema 3, whose sentences `ask` embeds when it needs them.
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

_PASSAGE_SELECT = """
SELECT p.id, p.document_id, d.title, d.published, d.source, p.paragraph, p.start, p.end,
       substr(d.text, p.start + 1, p.end - p.start), p.sentences
FROM passages p JOIN documents d ON d.id = p.document_id
"""


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    # check_same_thread=False: the UI serves several sessions from one cached library;
    # the Library serialises access with its own lock.
    target = f"{path.resolve().as_uri()}?mode=ro" if read_only else path
    connection = sqlite3.connect(target, timeout=30, isolation_level=None, check_same_thread=False,
                                 uri=read_only)
    try:
        if not read_only:  # a writer switched the file to WAL when it created it
            _use_wal(connection)
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=FULL")
    except sqlite3.DatabaseError as error:
        connection.close()
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


def upgrade(connection: sqlite3.Connection) -> None:
    """Bring an older library's schema up to SCHEMA_VERSION in one transaction, without
    re-embedding anything. Schema 1 had no lexical index: it is built from the stored text.
    Schemas 1-2 stored no sentence vectors: their passages keep NULL, and `ask` embeds
    those sentences when it needs them (re-ingesting the documents stores them). Schemas 1-3
    had no user edits of titles and dates: the table starts empty. Schemas 1-4 were indexed
    before British spellings were read as American (`rag.lexical.ANALYSER_VERSION` 2): the
    lexical rows are analysed again from the stored text (no embedding needed)."""
    with transaction(connection):
        version = read_meta(connection).get("schema_version")
        if version == "1":
            connection.execute(_LEXICAL_SCHEMA)
        else:
            connection.execute("DELETE FROM passage_terms")
        insert_terms(connection, expected_terms(connection))
        if version in ("1", "2"):
            connection.execute("ALTER TABLE passages ADD COLUMN sentence_vectors BLOB")
        connection.execute(_EDITS_SCHEMA)
        set_meta(connection, {"schema_version": str(SCHEMA_VERSION)})


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


def expected_terms(connection: sqlite3.Connection) -> list[tuple[int, str]]:
    """(passage id, terms) as an ingest would index them, computed from the stored text."""
    texts = contextual_texts(connection)
    return [(pid, indexed_text(texts[pid])) for pid in sorted(texts)]


def contextual_texts(connection: sqlite3.Connection, ids: Sequence[int] | None = None) -> dict[int, str]:
    """Each passage (the listed ones, or all) as ingest gave it to the model and the lexical
    index: in its context (`rag.passages.passage_contexts`), computed from the stored document."""
    spans: dict[str, list[tuple[int, int, int]]] = {}
    query = "SELECT id, document_id, start, end FROM passages"
    for chunk in ([None] if ids is None else [list(ids)[i : i + 500] for i in range(0, len(ids), 500)]):
        where = "" if chunk is None else f" WHERE id IN ({','.join('?' * len(chunk))})"
        for pid, document_id, start, end in connection.execute(query + where, chunk or []):
            spans.setdefault(document_id, []).append((pid, start, end))
    texts: dict[int, str] = {}
    for document_id, rows in spans.items():
        title, text = connection.execute("SELECT title, text FROM documents WHERE id = ?", (document_id,)).fetchone()
        contexts = passage_contexts(title, text, [(start, end) for _, start, end in rows])
        texts.update((pid, in_context(context, text[start:end])) for (pid, start, end), context in zip(rows, contexts))
    return texts


# FTS5's bm25() constants (its defaults), for scoring passages FTS5 was not asked about.
BM25_K1 = 1.2
BM25_B = 0.75


def lexical_matches(connection: sqlite3.Connection, match: str, limit: int | None = None) -> list[tuple[int, float]]:
    """(passage id, BM25 score) of the passages matching an FTS5 MATCH expression, best
    first; the `limit` best, or all. Scores of other passages: `bm25_scores`. (Asking FTS5
    for the scores of listed rowids, `rowid IN (...)`, re-runs the query once per rowid.)"""
    rows = connection.execute(
        # bm25() is negative, more negative is better; ties broken by id for a stable order.
        "SELECT rowid, -bm25(passage_terms) FROM passage_terms WHERE passage_terms MATCH ? "
        "ORDER BY bm25(passage_terms), rowid" + (" LIMIT ?" if limit is not None else ""),
        (match,) if limit is None else (match, limit),
    )
    return [(row[0], float(row[1])) for row in rows]


def bm25_scores(connection: sqlite3.Connection, terms: Sequence[str], ids: Sequence[int]) -> dict[int, float]:
    """Each listed passage's BM25 score for the distinct `terms`, computed as FTS5's bm25()
    computes it (same IDF, length normalisation and constants; a test holds them equal),
    from the stored terms: a rowid lookup per passage instead of re-running a MATCH."""
    terms = list(dict.fromkeys(terms))
    if not ids or not terms:
        return {i: 0.0 for i in ids}
    rows_total, tokens_total = lexical_totals(connection)
    average_length = tokens_total / rows_total if rows_total else 1.0
    idf = term_idf(connection, terms)
    scores = {}
    for pid, text in connection.execute(
        # the FTS5 table's own content table: a plain B-tree lookup by id
        f"SELECT id, c0 FROM passage_terms_content WHERE id IN ({','.join('?' * len(ids))})", list(ids)
    ):
        tokens = text.split()
        counts = Counter(tokens)  # counted in C: a Python loop over the tokens cost ~10 ms per search
        norm = BM25_K1 * (1 - BM25_B + BM25_B * len(tokens) / average_length)
        scores[pid] = sum(idf[t] * counts[t] * (BM25_K1 + 1) / (counts[t] + norm) for t in terms if t in counts)
    return {i: scores.get(i, 0.0) for i in ids}


def lexical_totals(connection: sqlite3.Connection) -> tuple[int, int]:
    """(rows, tokens) in the lexical index, as FTS5 keeps them for bm25(): read from its
    "averages" record (the varints at id 1 of its data table) instead of counting, which
    takes ~30 ms per 100k rows. Falls back to counting if the record is not there."""
    row = connection.execute("SELECT block FROM passage_terms_data WHERE id = 1").fetchone()
    if row is not None and row[0]:
        values = _varints(row[0])
        if len(values) >= 2:
            return values[0], values[1]
    rows, tokens = connection.execute(
        "SELECT count(*), coalesce(sum(length(terms) - length(replace(terms, ' ', '')) + (terms != '')), 0) "
        "FROM passage_terms"
    ).fetchone()
    return rows, tokens


def _varints(block: bytes) -> list[int]:
    """SQLite's variable-length integers (big-endian, 7 bits a byte, the 9th byte whole)."""
    values, position = [], 0
    while position < len(block):
        value = 0
        for index in range(9):
            byte = block[position]
            position += 1
            if index == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return values


def term_idf(connection: sqlite3.Connection, terms: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency of each term over the passages (BM25's definition, floored
    at a small positive value like FTS5's); a term no passage has gets the highest value."""
    having = term_passage_counts(connection, terms)
    if not having:
        return {}
    total = lexical_totals(connection)[0]
    return {t: max(math.log((total - n + 0.5) / (n + 0.5)), 1e-6) for t, n in having.items()}


def term_passage_counts(connection: sqlite3.Connection, terms: Iterable[str]) -> dict[str, int]:
    """How many passages hold each term (0 for a term the library has never seen)."""
    terms = list(dict.fromkeys(terms))
    if not terms:
        return {}
    # fts5vocab reads the index's own counts; a temp table, so the library file is untouched.
    connection.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.passage_vocab USING fts5vocab(main, 'passage_terms', 'row')"
    )
    having = dict(connection.execute(
        f"SELECT term, doc FROM temp.passage_vocab WHERE term IN ({','.join('?' * len(terms))})", terms
    ))
    return {t: having.get(t, 0) for t in terms}


def lexical_rows(connection: sqlite3.Connection) -> int:
    return connection.execute("SELECT count(*) FROM passage_terms").fetchone()[0]


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
