"""Files and texts -> documents ready to store: discovery, reading, cleaning, passage cutting.

Owns which files a path means (folders are walked recursively, hidden entries and
unsupported suffixes inside folders are skipped, symlinked folders are not followed, so a
symlink loop cannot trap the walk) and turning one file into a `PreparedDocument`. Running an ingest
is `rag.ingest_run`'s job, storage `rag.writer`'s.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rag import passages as passage_settings  # read at call time: tools swap the settings
from rag import document_definitions, record_checks
from rag.cleaning import clean, rules_fingerprint
from rag.errors import (
    DocumentError,
    EmptyDocumentError,
    EmptyPathError,
    FileTooLargeError,
    MissingPathError,
    UnreadableFolderError,
)
from rag.inline_markup import strip_inline_markup
from rag.passages import (
    PassageSpan,
    build_passages,
    context_ceiling,
    context_offset,
    in_context,
    passage_contexts,
)
from rag.readers import DEFAULT_MAX_BYTES, SUPPORTED_SUFFIXES, RawDocument, read_bytes, read_file_bytes
from rag.regular_files import open_regular_file
from rag.results import FileFailure

log = logging.getLogger(__name__)

# Bump when reading, cleaning or cutting changes, so stored documents are re-ingested.
# 2: passages read with their title; 3: sentence vectors stored; 4: no id as title, no file name
# as title, one-line texts kept, datelines and page furniture never passages, passages read with
# the long forms of the short forms they use; 6: inline HTML tags out of plain text, its links'
# URL words read as context; 7: HTML character references in plain text read ("R&amp;B" -> "R&B"),
# a closing quote kept with the sentence it closes; 8: widget labels read without their dressing
# ("Read more:", "» Related"), inline "Read more: <headline>" promos and app pitches dropped, a
# dateline's time read after "at" ("June 26, 2025 at 10:32 a.m. EDT"), share/follow/subscribe
# prompts, "5 min read", "Image caption: ...", "Tags: ..." and "This article originally appeared
# in ..." dropped, more widget labels ("Recommended Stories", "More from Reuters") end the article,
# a PDF's running headers and page footers dropped; 9: an outlet's lines over a story ("USA
# TODAY", "London CNN —", a name over "CNBC"), credits, sign-offs, reporters' notes and contact
# lines under it, newsletter, subscription and shopping pitches dropped; CNN's dashless
# dateline ("Washington (CNN) ...") read as the lead; 10: links to other stories under a label
# glued to their headline ("More:...", "Live updates:...") and bare addresses dropped; 11: prose's
# percent-escapes read ("3%2C000" -> "3,000")
PIPELINE_VERSION = "11"


@dataclass(frozen=True)
class PreparedDocument:
    source: str
    content_hash: str
    format: str
    title: str
    published: str | None
    paragraphs: tuple[str, ...]
    passages: tuple[PassageSpan, ...]
    link_words: str = ""  # words of the URLs of links taken out of plain text (rag.inline_markup)
    # its short forms' long forms and full names as stored (rag.document_definitions); "": not
    # read yet (the writer reads them)
    definitions: str = ""

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    def contexts(self) -> list[str]:
        """What each passage is read with besides its text (`passages.passage_contexts`)."""
        return passage_contexts(self.title, self.text, [(p.start, p.end) for p in self.passages],
                                self.link_words)

    def contextual_passages(self) -> list[str]:
        """Each passage as the model and the lexical index read it (`passages.in_context`)."""
        text = self.text
        return [in_context(c, text[p.start : p.end]) for c, p in zip(self.contexts(), self.passages)]

    def contextual_sentence_spans(self) -> list[list[tuple[int, int]]]:
        """Each passage's sentences as character spans of its `contextual_passages` text."""
        spans = []
        for context, p in zip(self.contexts(), self.passages):
            shift = context_offset(context) - p.start
            spans.append([(s.start + shift, s.end + shift) for s in p.sentences])
        return spans


def pipeline_fingerprint(model: str, max_tokens: int) -> str:
    """What decides the stored passages and vectors: a document stored under another
    fingerprint is re-embedded, and evaluation caches a library per fingerprint."""
    settings = passage_settings.SETTINGS.fingerprint()
    return f"{PIPELINE_VERSION}:{rules_fingerprint()}:{model}:{max_tokens}:{settings}"


def discover(paths: Iterable[Path | str]) -> list[Path]:
    """Every file the given paths mean, in a stable order. Missing paths raise at once,
    before anything is read, so a typo never half-ingests a batch."""
    paths = list(paths)
    if any(not str(p).strip() for p in paths):  # Path("") is the current folder: never meant
        raise EmptyPathError()
    paths = [Path(p).expanduser() for p in paths]
    for path in paths:
        try:
            if not path.exists() and not path.is_symlink():
                raise MissingPathError(path)
        except PermissionError as error:  # a folder above it may not be entered
            raise UnreadableFolderError(path.parent, error.strerror) from error
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(_walk(path))
        else:
            files.append(path)  # named explicitly: a wrong type is reported, not ignored
    seen, unique = set(), []
    for file in files:
        key = os.path.abspath(file)
        if key not in seen:
            seen.add(key)
            unique.append(file)
    return unique


def _walk(folder: Path) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(folder, followlinks=False, onerror=_refuse_unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root, name)
            if name.startswith(".") or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                log.debug("skipping %s: not a supported document", path)
                continue
            found.append(path)
    return found


def _refuse_unreadable(error: OSError) -> None:
    """os.walk skips a folder it cannot list unless told: its documents would be lost unsaid."""
    raise UnreadableFolderError(error.filename, error.strerror) from error


def file_hash(path: Path) -> str:
    """sha256 of a regular file's bytes (anything else is refused before it is opened)."""
    digest = hashlib.sha256()
    with open_regular_file(path) as (handle, _):
        try:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        except OSError as error:
            reason = f"it could not be read ({error.strerror or error}); check the disk and try again"
            raise DocumentError(path, reason) from error
    return digest.hexdigest()


def source_name(path: Path) -> str:
    """The absolute path as text. Bytes of a file name that are not UTF-8 (Python holds them
    as lone surrogates, which SQLite cannot store) are written as escapes: caf\\xe9.txt."""
    return os.fsencode(os.path.abspath(path)).decode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class TextRecord:
    """A document that is already text (a database row, a JSON record): `source` names it
    uniquely (re-adding the same source replaces it); `title` and `published` (YYYY-MM-DD)
    are used as given, else found in the text like for a file."""

    source: str
    text: str
    title: str | None = None
    published: str | None = None

    def __post_init__(self):
        if not isinstance(self.source, str) or not self.source.strip():
            raise ValueError("a TextRecord needs a non-empty source string")
        if not isinstance(self.text, str):
            raise TypeError(f"TextRecord.text must be a string, got {type(self.text).__name__}")
        object.__setattr__(self, "published", record_checks.published_text(self.published))


class FileInput:
    """A file to ingest: read lazily, hashed by its bytes. `content_hash` is for deciding
    whether to read it at all; what is stored comes from `read`, which hashes the same bytes
    it parses, so a file edited in between is stored with the hash of the text stored."""

    def __init__(self, path: Path):
        self.path = path
        self.source = source_name(path)
        self.label = str(path)

    def content_hash(self) -> str:
        return file_hash(self.path)

    def read(self, max_bytes: int) -> tuple[RawDocument, str]:
        """The document and the sha256 of the bytes it was read from."""
        data = read_file_bytes(self.path, max_bytes=max_bytes)
        return read_bytes(data, self.path, max_bytes=max_bytes), hashlib.sha256(data).hexdigest()


class RecordInput:
    """A TextRecord to ingest, hashed by its fields."""

    def __init__(self, record: TextRecord):
        self.record = record
        self.source = self.label = record.source

    def content_hash(self) -> str:
        r = self.record
        record_checks.refuse_lone_surrogates(r.source, {"source": r.source, "text": r.text, "title": r.title})
        fields = json.dumps([r.text, r.title, r.published], ensure_ascii=False)
        return hashlib.sha256(fields.encode("utf-8")).hexdigest()

    def read(self, max_bytes: int) -> tuple[RawDocument, str]:
        content_hash = self.content_hash()  # first: it refuses text UTF-8 cannot encode
        size = len(self.record.text.encode("utf-8"))
        if size > max_bytes:
            raise FileTooLargeError(self.source, size, max_bytes)
        published = record_checks.checked_published(self.source, self.record.published) if self.record.published else None
        text, link_words = strip_inline_markup(self.record.text.replace("\r\n", "\n"))
        return RawDocument(text, self.record.title, published, "text", link_words), content_hash


def prepare(
    item: FileInput | RecordInput,
    *,
    count_tokens,
    max_tokens: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PreparedDocument:
    raw, content_hash = item.read(max_bytes)
    cleaned = clean(raw.text, title=raw.title, published=raw.published)
    if not cleaned.paragraphs:
        raise EmptyDocumentError(item.label, "nothing is left after removing page boilerplate")
    # No title stays no title (""): a file name or a record's id ("crm/4711") is not one, and
    # embedded as context it would only add noise. Listings show the source instead.
    title = cleaned.title or ""
    passages = build_passages(
        cleaned.paragraphs,
        count_tokens=count_tokens,
        max_tokens=max_tokens - context_tokens(
            context_ceiling(title, "\n\n".join(cleaned.paragraphs), raw.link_words), count_tokens),
        lead=cleaned.lead,
    )
    return PreparedDocument(
        source=item.source,
        content_hash=content_hash,
        format=raw.format,
        title=title,
        published=cleaned.published,
        paragraphs=cleaned.paragraphs,
        passages=tuple(passages),
        link_words=raw.link_words,
        # read here, on the reading workers, not by the one writer
        definitions=document_definitions.encoded(document_definitions.read("\n\n".join(cleaned.paragraphs))),
    )


def prepare_or_failure(item: FileInput | RecordInput, encoder,
                       max_bytes: int = DEFAULT_MAX_BYTES) -> PreparedDocument | FileFailure:
    """`prepare` for `encoder`'s passages, or why `item` cannot become a document: the one
    reading step of every ingest, local (`rag.ingest_run`) or on Ray workers (`rag.distributed`)."""
    try:
        return prepare(item, count_tokens=encoder.count_tokens, max_tokens=encoder.max_tokens,
                       max_bytes=max_bytes)
    except DocumentError as error:
        return FileFailure(item.label, error.reason)


def context_tokens(context: str, count_tokens) -> int:
    """Tokens a context adds to a passage, so passages are cut short enough for the model
    to read context and passage whole."""
    if not context:
        return 0
    with_context, alone = count_tokens([in_context(context, "x"), "x"])
    return with_context - alone


def document_id_for(path: Path | str, taken: set[str]) -> str:
    """A readable id from the file name, unique in the library: '003-f6b81b0075e755a8'."""
    base = re.sub(r"[^a-z0-9]+", "-", Path(path).stem.lower()).strip("-")[:60] or "document"
    candidate, suffix = base, 2
    while candidate in taken:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    return candidate
