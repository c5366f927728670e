"""What a batch of `TextRecord`s must be before `Library.add_texts` reads any of it.

Owns the rules a record's fields follow beyond their types: a publication date is a date
(`date`/`datetime` objects, or an ISO string with nothing after the date but a time), text
is valid Unicode (no lone surrogates, which no file can store), a source appears once per
batch, and a record never takes the source of a file the library holds, nor a file the
source of a record (either would replace the other's document silently). Leaves out what the text means (`rag.cleaning`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

from rag.errors import DocumentError, RecordBatchError

RECORD_FORMAT = "text"  # documents.format of a record; files store their reader's format
_SURROGATE = re.compile("[\ud800-\udfff]")


def published_text(value) -> str | None:
    """A record's `published` as given to `TextRecord`: a date or datetime object becomes
    its ISO date; a string stays as written (checked when the record is read)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"TextRecord.published must be a date, a datetime or a YYYY-MM-DD string, "
                    f"got {type(value).__name__}")


def checked_published(source: str, value: str) -> str:
    """The ISO date an ISO date or date-and-time string states; DocumentError if the string
    is anything else ("2025-01-01garbage" is not taken for 2025-01-01)."""
    try:
        return datetime.fromisoformat(value.strip()).date().isoformat()
    except ValueError:
        raise DocumentError(source, f"published must be a date written YYYY-MM-DD (a time may follow, "
                            f"as in 2025-06-26T09:30), got {value!r}") from None


def refuse_lone_surrogates(source: str, fields: dict[str, str | None]) -> None:
    """DocumentError naming the field and place of a lone surrogate (text decoded with
    errors="surrogateescape", or JSON's "\\ud800"): it cannot be stored or shown."""
    for name, value in fields.items():
        if value and (found := _SURROGATE.search(value)):
            raise DocumentError(source, f"its {name} holds a lone surrogate (U+{ord(found.group()):04X} at "
                                f"character {found.start()}), which is not text; decode the data with "
                                "errors='replace' or fix it where it comes from")


def refuse_ambiguous(connection, sources: Sequence[str]) -> None:
    """RecordBatchError, before anything is read, for a source given twice (which one is
    meant?) or the source of a file the library holds (the record would replace it)."""
    repeated = sorted(s for s, n in Counter(sources).items() if n > 1)
    if repeated:
        raise RecordBatchError(f"The records repeat the source {repeated[0]!r}"
                               + (f" (and {len(repeated) - 1} more)" if len(repeated) > 1 else "")
                               + "; give each record its own source, or keep only one of them. Nothing was added")
    for source, document_id, stored_format in _formats_by_source(connection, sources):
        if stored_format != RECORD_FORMAT:
            raise RecordBatchError(f"The record source {source!r} is the path of a file the library holds "
                                   f"(document {document_id}); give the record a source of its own, or "
                                   f"remove {document_id} first. Nothing was added")


def refuse_files_over_records(connection, sources: Sequence[str]) -> None:
    """RecordBatchError, before anything is read, for a file whose path is the source of a
    record the library holds: ingesting it would replace that record's document silently."""
    for source, document_id, stored_format in _formats_by_source(connection, sources):
        if stored_format == RECORD_FORMAT:
            raise RecordBatchError(f"The file {source!r} has the source of a record the library holds "
                                   f"(document {document_id}, added with add_texts); remove {document_id} "
                                   "first, or give the record another source. Nothing was added")


def _formats_by_source(connection, sources: Sequence[str]) -> list[tuple[str, str, str]]:
    """(source, document id, format) of the stored documents among `sources`. (Kept here, not
    in `rag.store`, which is at the module size limit.)"""
    rows = []
    for start in range(0, len(sources), 500):  # under SQLite's limit on bound parameters
        chunk = list(sources[start : start + 500])
        rows += connection.execute(f"SELECT source, id, format FROM documents WHERE source IN "
                                   f"({','.join('?' * len(chunk))})", chunk).fetchall()
    return rows
