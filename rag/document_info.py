"""A document's title and publication date as the user sets them.

Owns checking the values a user gives (`Library.edit_document`, `python -m rag edit`, the
UI's edit form) and applying them to a document about to be stored: the stored text and its
offsets never change; the title is context embedded with every passage (`rag.passages`), so
a new title means the passages are cut again for the model's window (the title takes part
of it) and embedded again. The library's write protocol, and when edits are re-applied
(every re-ingest of the same document, so a changed file keeps the user's values), are
`rag.writer`'s job (the protocol itself `rag.generations`'); storing them is `rag.store`'s.

An empty value clears what the user set before: an empty title means "no title", an empty
date means "date unknown". Does not guess dates and does not parse free-form ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from rag.dates import normalise_iso_date
from rag.errors import RagError
from rag.ingest import PreparedDocument, context_tokens
from rag.passages import build_passages, context_ceiling
from rag.results import Document

MAX_TITLE_CHARS = 300


class DocumentInfoError(RagError):
    """A title or date the library cannot use; the message says how to write it."""


@dataclass(frozen=True)
class DocumentEdit:
    """What the user set for one document; None where they set nothing (the document's own
    value stands), "" for a date they cleared (unknown) or a title they removed."""

    title: str | None = None
    published: str | None = None

    def merged(self, newer: "DocumentEdit") -> "DocumentEdit":
        return DocumentEdit(
            title=self.title if newer.title is None else newer.title,
            published=self.published if newer.published is None else newer.published,
        )

    def title_for(self, own: str) -> str:
        return own if self.title is None else self.title

    def published_for(self, own: str | None) -> str | None:
        return own if self.published is None else (self.published or None)


def checked_title(value: str | None) -> str | None:
    """The title as stored (whitespace collapsed to single spaces), None if not given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"title must be a string, got {type(value).__name__}")
    title = " ".join(value.split())
    if len(title) > MAX_TITLE_CHARS:
        raise DocumentInfoError(f"The title is {len(title)} characters long; shorten it to at most "
                                f"{MAX_TITLE_CHARS}")
    return title


def checked_published(value: str | None) -> str | None:
    """The date as stored ("YYYY-MM-DD", or "" to clear it), None if not given."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"published must be a string, got {type(value).__name__}")
    value = value.strip()
    if value and normalise_iso_date(value) != value:
        raise DocumentInfoError(f"The publication date {value!r} is not a date; write YYYY-MM-DD "
                                "(e.g. 2015-10-15), or leave it empty for an unknown date")
    return value


def stored_as_prepared(document: Document) -> PreparedDocument:
    """A stored document as an ingest would have prepared it (its paragraphs are the
    stored text's, split where the ingest joined them), ready to be re-cut and embedded."""
    return PreparedDocument(
        source=document.source,
        content_hash=document.content_hash,
        format=document.format,
        title=document.title,
        published=document.published,
        paragraphs=tuple(document.text.split("\n\n")),
        passages=(),
        link_words=document.link_words,
    )


def applied(document: PreparedDocument, edit: DocumentEdit, *, count_tokens, max_tokens: int,
            force_recut: bool = False) -> PreparedDocument:
    """`document` with the user's title and date; its passages cut again when the title
    (context that takes part of the model's window) changed, or when `force_recut`."""
    title = edit.title_for(document.title)
    published = edit.published_for(document.published)
    if title == document.title and not force_recut:
        return dataclasses.replace(document, published=published)
    # Cut as ingest cuts: short enough for the longest context a passage can get.
    ceiling = context_ceiling(title, document.text, document.link_words)
    passages = build_passages(document.paragraphs, count_tokens=count_tokens,
                              max_tokens=max_tokens - context_tokens(ceiling, count_tokens))
    return dataclasses.replace(document, title=title, published=published, passages=tuple(passages))
