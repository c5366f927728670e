"""Read one file (or uploaded bytes) into plain text plus the title/date its format states.

Owns the registry of formats (`READERS`: every list of supported suffixes is derived from
it), dispatch by suffix, checking that the content matches the suffix, the size limit, and PDF and DOCX extraction; text decoding, HTML and
Markdown live in `rag.text_decoding`, `rag.html_text` and `rag.markdown_text`. For
md/html/pdf/docx the text is paragraphs separated by a blank line, each on one line; .txt
text is returned as decoded (paragraph splitting is `rag.cleaning`'s job).

Leaves out: OCR (a scanned PDF is refused as having no text layer), legacy .doc/.odt/.rtf,
DOCX headers, footers, footnotes and text boxes, PDF multi-column layout analysis, HTML
nested more than 256 levels deep (refused), and any cleaning beyond the format's own markup.
Failures are `DocumentError` subclasses from `rag.errors`; nothing is printed.
"""

from __future__ import annotations

import io
import logging
import re
import statistics
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import DocumentError, EmptyDocumentError, FileTooLargeError, UnsupportedFileError
from .html_text import html_to_text
from .inline_markup import strip_inline_markup
from .markdown_text import markdown_to_text
from .regular_files import open_regular_file
from .text_decoding import decode_text

log = logging.getLogger(__name__)
# pypdf and trafilatura log warnings about damaged input. Without a handler of their own, an
# application that configured no logging would see Python's last-resort handler print them
# to stderr; with a NullHandler, records still reach any handler the application installs.
for _library in ("pypdf", "trafilatura", "htmldate"):
    logging.getLogger(_library).addHandler(logging.NullHandler())
del _library

DEFAULT_MAX_BYTES = 50_000_000
ZIP_MAX_TOTAL_BYTES = 200_000_000  # a .docx unpacking to more than this is refused
ZIP_MAX_RATIO = 100  # ... as is an entry over ZIP_RATIO_MIN_BYTES compressed more than this
ZIP_RATIO_MIN_BYTES = 10_000_000
_MAGIC = {b"%PDF": "a PDF", b"PK\x03\x04": "a ZIP archive", b"\x89PNG": "a PNG image",
          b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
          b"\xd0\xcf\x11\xe0": "an old Office file (.doc/.xls)"}
_MISMATCH = "check that the file name's extension matches its content"


@dataclass(frozen=True)
class RawDocument:
    text: str  # plain text, newlines normalised to "\n"
    title: str | None  # only from the format's metadata (or a Markdown "# " heading)
    published: str | None  # ISO "YYYY-MM-DD", only when the format's metadata states it
    format: str  # "txt" | "md" | "html" | "pdf" | "docx"
    link_words: str = ""  # words of the URLs of links removed from plain text (rag.inline_markup)


@dataclass(frozen=True)
class Reader:
    """One format: the suffixes that name it and the function from its bytes to a document."""

    format: str  # RawDocument.format
    suffixes: tuple[str, ...]  # collected from folders, accepted as uploads; the first is named in help texts
    read: Callable[[bytes, Path | str], RawDocument]  # (data, source named in errors)
    # Also read when a file is named explicitly, but neither collected from folders nor
    # accepted as an upload (.markdown has always been read only so).
    named_only: tuple[str, ...] = ()


def read_file(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    path = Path(path)
    return _parse(read_file_bytes(path, max_bytes=max_bytes), path, _reader_for(path))


def read_file_bytes(path: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of the regular file at `path`, of a supported format and at most `max_bytes`,
    read once (so whatever is computed from them, text and hash, describes one version)."""
    path = Path(path)
    with open_regular_file(path) as (handle, info):
        _reader_for(path)
        if info.st_size > max_bytes:
            raise FileTooLargeError(path, info.st_size, max_bytes)
        try:
            data = handle.read(max_bytes + 1)  # the file may have grown since it was opened
        except OSError as exc:
            reason = f"it could not be read ({exc.strerror or exc}); check the disk and try again"
            raise DocumentError(path, reason) from exc
    if len(data) > max_bytes:
        raise FileTooLargeError(path, len(data), max_bytes)
    return data


def read_bytes(data: bytes, name: Path | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RawDocument:
    """Same as `read_file` for bytes already read (an upload, `read_file_bytes`); `name`
    (its file name) decides the format."""
    reader = _reader_for(Path(name))
    if len(data) > max_bytes:
        raise FileTooLargeError(name, len(data), max_bytes)
    return _parse(bytes(data), name, reader)


def _reader_for(path: Path) -> Reader:
    reader = _BY_SUFFIX.get(path.suffix.lower())
    if reader is None:
        raise UnsupportedFileError(path)
    return reader


def _parse(data: bytes, source: Path | str, reader: Reader) -> RawDocument:
    if not data.strip():
        raise EmptyDocumentError(source, "the file is empty or only whitespace")
    doc = reader.read(data, source)
    if not doc.text.strip():
        raise EmptyDocumentError(source)
    return doc


def _not_a(kind: str, data: bytes, source: Path | str) -> DocumentError:
    actual = next((name for magic, name in _MAGIC.items() if data.startswith(magic)), None)
    found = f"it is {actual}" if actual else "its content does not look like one"
    return DocumentError(source, f"it is not {kind} ({found}); {_MISMATCH}")


def _one_line(text: str | None) -> str | None:
    return (" ".join(text.split()) or None) if text else None


# ---------------------------------------------------------------- text, Markdown, HTML
def _read_txt(data: bytes, source: Path | str) -> RawDocument:
    text, link_words = strip_inline_markup(decode_text(data, source))
    return RawDocument(text, None, None, "txt", link_words)


def _read_md(data: bytes, source: Path | str) -> RawDocument:
    text, title, published = markdown_to_text(decode_text(data, source))
    return RawDocument(text, title, published, "md")


def _read_html(data: bytes, source: Path | str) -> RawDocument:
    return RawDocument(*html_to_text(data, source), "html")


# ---------------------------------------------------------------- PDF
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)
_BULLET = tuple("•◦▪‣●■")
_PARAGRAPH_GAP = 1.4  # a vertical gap this many times the usual line spacing starts a paragraph


def _read_pdf(data: bytes, source: Path | str) -> RawDocument:
    if b"%PDF-" not in data[:1024]:
        raise _not_a("a PDF", data, source)
    import pypdf

    damaged = "the PDF is damaged and cannot be read ({}); re-save or re-export it and try again"
    page_paragraphs: list[list[str]] = []
    failed_pages = 0
    with warnings.catch_warnings(record=True) as caught:  # pypdf's warnings go to the log
        warnings.simplefilter("always")
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                _decrypt(reader, source)
            pages = list(reader.pages)
        except DocumentError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on malformed files
            raise DocumentError(source, damaged.format(exc)) from exc
        try:
            title = _one_line(reader.metadata.title) if reader.metadata else None
        except Exception as exc:  # a damaged /Info dictionary costs only the title
            log.debug("unreadable PDF metadata in %s: %r", source, exc)
            title = None
        for number, page in enumerate(pages, 1):
            try:
                page_paragraphs.append(_pdf_page_paragraphs(page))
            except Exception as exc:
                failed_pages += 1
                log.warning("no text from page %d of %s: %r", number, source, exc)
    for warning in caught:
        log.debug("pypdf warning on %s: %s", source, warning.message)
    paragraphs = ([p for page in _without_running_lines(page_paragraphs) for p in page]
                  or [p for page in page_paragraphs for p in page])  # nothing but such lines: keep them
    if not paragraphs:
        if failed_pages:
            reason = f"text extraction failed on {failed_pages} of {len(pages)} pages"
            raise DocumentError(source, damaged.format(reason))
        raise EmptyDocumentError(source, "the PDF has no text layer (it is probably a scan); "
                                 "run OCR on it first (for example ocrmypdf)")
    return RawDocument("\n\n".join(paragraphs), title, None, "pdf")


# A running header or footer is short ("Orlavia Harbour Authority - Annual Review", "Page 2 of 9").
_RUNNING_LINE_CHARS = 120
_DIGITS = re.compile(r"\d+")


def _without_running_lines(pages: list[list[str]]) -> list[list[str]]:
    """The pages without their running headers and footers: a short first (or last) paragraph
    that opens (or closes) at least two pages and half of them, digits aside ("Page 2 of 9"
    and "Page 3 of 9" are one footer). Such a line is about the document, never its text, and
    repeated on every page it would be cited as evidence for any question that names it."""
    def key(paragraph: str) -> str | None:
        return _DIGITS.sub("#", paragraph) if len(paragraph) <= _RUNNING_LINE_CHARS else None

    needed = max(2, (len(pages) + 1) // 2)
    firsts = Counter(key(page[0]) for page in pages if page)
    lasts = Counter(key(page[-1]) for page in pages if page)
    running_first = {k for k, n in firsts.items() if k is not None and n >= needed}
    running_last = {k for k, n in lasts.items() if k is not None and n >= needed}
    kept = []
    for page in pages:
        page = list(page)
        if page and key(page[0]) in running_first:
            page = page[1:]
        if page and key(page[-1]) in running_last:
            page = page[:-1]
        kept.append(page)
    return kept


def _decrypt(reader, source: Path | str) -> None:
    """Open a PDF that has only an owner password (no password to read); refuse the others."""
    try:
        opened = reader.decrypt("")
    except Exception as exc:  # e.g. AES encryption without the `cryptography` package
        raise DocumentError(source, f"encrypted PDF that cannot be decrypted here ({exc}); "
                            "remove the password and try again") from exc
    if not opened:
        raise DocumentError(source, "encrypted PDF; remove the password and try again")


def _pdf_page_paragraphs(page) -> list[str]:
    """Lines with their heights from pypdf; a larger vertical gap or a bullet starts a paragraph."""
    lines: list[tuple[float, str]] = []
    current: list = [None, []]  # [y of the line's first text, text pieces]

    def end_line():
        text = "".join(current[1]).translate(_LIGATURES).strip()
        if text:
            lines.append((current[0], text))
        current[:] = [None, []]

    def visit(text, cm, tm, _font, _size):
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        for index, piece in enumerate(text.split("\n")):
            if index:
                end_line()
            if piece.strip() and current[0] is None:
                current[0] = y
            current[1].append(piece)

    page.extract_text(visitor_text=visit)
    end_line()
    # The usual line spacing is the most common gap (the smaller one on a tie): on a page of
    # short paragraphs, paragraph gaps can outnumber line gaps, so a median would be wrong.
    steps = [above - below for (above, _), (below, _) in zip(lines, lines[1:])]
    gaps = [round(step) for step in steps if step > 0.5]
    usual = min(statistics.multimode(gaps)) if gaps else None
    paragraphs = [[lines[0][1]]] if lines else []
    for (above, _), (below, text) in zip(lines, lines[1:]):
        if text.startswith(_BULLET) or (usual and above - below > usual * _PARAGRAPH_GAP):
            paragraphs.append([text])
        else:
            paragraphs[-1].append(text)
    page_text = "\n".join(text for _, text in lines)
    return [_join_wrapped(p, page_text) for p in paragraphs]


def _join_wrapped(lines: list[str], page_text: str) -> str:
    """Join hard-wrapped lines; drop a hyphen only between two lowercase word parts
    ("exam-" + "ple"), and keep it if the page spells that compound with the hyphen elsewhere."""
    joined = lines[0]
    for line in lines[1:]:
        head = re.search(r"(\w*[^\W\d_])-$", joined)
        tail = re.match(r"[^\W\d_]\w*", line)
        if joined.endswith("\u00ad"):
            joined = joined[:-1] + line
        elif head and tail and head.group(1)[-1].islower() and line[0].islower():
            compound = f"{head.group(1)}-{tail.group(0)}"
            joined = joined + line if compound in page_text else joined[:-1] + line
        else:
            joined += " " + line
    return " ".join(joined.split())


# ---------------------------------------------------------------- DOCX
def _read_docx(data: bytes, source: Path | str) -> RawDocument:
    if not data.startswith(b"PK\x03\x04"):
        raise _not_a("a Word .docx document", data, source)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        reason = f"the .docx (a ZIP archive) is damaged ({exc}); re-save it and try again"
        raise DocumentError(source, reason) from exc
    if not any(entry.filename == "word/document.xml" for entry in entries):
        raise DocumentError(source, "it is a ZIP archive without word/document.xml, so not a "
                            f"Word .docx document; {_MISMATCH}")
    total = sum(entry.file_size for entry in entries)
    bomb = any(
        entry.file_size > ZIP_RATIO_MIN_BYTES
        and entry.file_size > ZIP_MAX_RATIO * max(entry.compress_size, 1)
        for entry in entries
    )
    if total > ZIP_MAX_TOTAL_BYTES or bomb:
        raise DocumentError(
            source,
            f"it would unpack to {total:,} bytes from {len(data):,} (a possible zip bomb); open it "
            "in Word or LibreOffice, remove large embedded objects and save it again",
        )
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        paragraphs = list(_docx_blocks(document))
        title = _one_line(document.core_properties.title)
    except Exception as exc:  # python-docx/lxml raise many kinds of errors on damaged files
        raise DocumentError(source, f"the Word document is damaged ({exc!r}); open it in Word or "
                            "LibreOffice, save it again and retry") from exc
    return RawDocument("\n\n".join(p for p in paragraphs if p), title, None, "docx")


def _docx_blocks(container):
    """Body paragraphs and tables in document order; a table row becomes "cell | cell"."""
    from docx.table import Table

    for item in container.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) not in seen:  # a merged cell is repeated in row.cells
                        seen.add(id(cell._tc))
                        cells.append(" ".join(_docx_blocks(cell)))
                yield " | ".join(c for c in cells if c)
        else:
            yield " ".join(item.text.split())


# ---------------------------------------------------------------- the registry
# A new format: a reader function above (or in its own module) and one line here.
READERS = (
    Reader("txt", (".txt",), _read_txt),
    Reader("md", (".md",), _read_md, named_only=(".markdown",)),
    Reader("html", (".html", ".htm"), _read_html),
    Reader("pdf", (".pdf",), _read_pdf),
    Reader("docx", (".docx",), _read_docx),
)
_BY_SUFFIX = {suffix: reader for reader in READERS for suffix in reader.suffixes + reader.named_only}
# What folders are searched for and uploads may be: .txt .md .html .htm .pdf .docx
SUPPORTED_SUFFIXES = tuple(suffix for reader in READERS for suffix in reader.suffixes)
# One suffix per format, for help texts: .txt .md .html .pdf .docx
LISTED_SUFFIXES = tuple(reader.suffixes[0] for reader in READERS)
