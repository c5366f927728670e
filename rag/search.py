"""Query checking, filters, and dense retrieval over a library's vectors.

Owns what a valid query is, what the filters mean, and turning FAISS ids into typed hits.
Filters are applied inside FAISS (an id selector), so a filtered search returns the true
top-k of the allowed passages rather than the survivors of a short list. A document with no
known publication date never matches a date filter.
"""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from dataclasses import dataclass

import numpy as np

from embeddings import VectorIndex
from rag import store
from rag.dates import normalise_iso_date
from rag.errors import RagError
from rag.results import Hit

# Longer queries are cut here; the model reads at most a few hundred tokens anyway.
MAX_QUERY_CHARS = 2000
MAX_K = 1000


class QueryError(RagError):
    """A query or search option that cannot be used; the message says how to fix it."""


@dataclass(frozen=True)
class SearchFilters:
    documents: tuple[str, ...] | None = None  # document ids; None means all
    published_from: str | None = None  # inclusive ISO dates
    published_to: str | None = None

    def __post_init__(self):
        for name in ("published_from", "published_to"):
            value = getattr(self, name)
            if value is not None and normalise_iso_date(value) != value:
                raise QueryError(f"{name} must be a date written YYYY-MM-DD, got {value!r}")
        if self.documents is not None:
            object.__setattr__(self, "documents", tuple(self.documents))

    @property
    def active(self) -> bool:
        return self.documents is not None or bool(self.published_from or self.published_to)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def normalise_query(query: str) -> str:
    if not isinstance(query, str):
        raise TypeError("query must be a string")
    query = unicodedata.normalize("NFC", _CONTROL.sub(" ", query))
    query = " ".join(query.split())[:MAX_QUERY_CHARS]
    if not any(ch.isalnum() for ch in query):
        raise QueryError("The question is empty; type a question with at least one word")
    return query


def check_k(k: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise QueryError(f"k must be a whole number, got {k!r}")
    if k < 1:
        raise QueryError(f"k must be at least 1, got {k}")
    return min(k, MAX_K)


def allowed_ids(connection: sqlite3.Connection, filters: SearchFilters | None) -> np.ndarray | None:
    if filters is None or not filters.active:
        return None
    return np.asarray(
        store.filtered_passage_ids(
            connection,
            document_ids=filters.documents,
            published_from=filters.published_from,
            published_to=filters.published_to,
        ),
        dtype=np.int64,
    )


def dense_search(
    connection: sqlite3.Connection,
    vectors: VectorIndex,
    query_vector: np.ndarray,
    k: int,
    filters: SearchFilters | None = None,
) -> list[Hit]:
    scores, ids = vectors.search(query_vector, k, allowed_ids=allowed_ids(connection, filters))
    pairs = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
    passages = store.get_passages(connection, [i for i, _ in pairs])
    ranked = [(passages[i], s) for i, s in pairs if i in passages]
    return [Hit(rank=r, score=s, passage=p) for r, (p, s) in enumerate(ranked, 1)]
