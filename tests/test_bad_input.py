"""The bad-input matrix: each case is refused with a message naming the problem and the fix,
or skipped, or (where the input is merely unusual) read correctly — and the library's
documents, passages, generation and files are exactly as before (or, for a correct read,
changed by that one document only).

File builders come from tests/test_readers.py; the library is a copy of one built once.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
import subprocess
import tempfile
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest

from rag import Library, QueryError, SearchFilters, TextRecord, ingest_run
from rag.check import check_library
from rag.errors import (
    DiskFullError,
    EmptyPathError,
    FolderAccessError,
    LibraryError,
    LibraryNotWritableError,
    ModelMismatchError,
    RecordBatchError,
    UnknownDocumentError,
)
from rag.ingest import FileInput, prepare
from rag.readers import DEFAULT_MAX_BYTES
from tests.conftest import SAMPLES
from tests.test_readers import encrypted_pdf, make_docx, make_pdf, zip_with_zeros

GOOD = "Harbour Report\n\nThe harbour master counted forty fishing boats in the bay on Sunday morning."


@pytest.fixture(scope="module")
def template(tmp_path_factory, tiny_encoder) -> Path:
    folder = tmp_path_factory.mktemp("template") / "library"
    with Library.open(folder, encoder=tiny_encoder) as library:
        library.add([SAMPLES])
    return folder


@pytest.fixture
def library(template, tmp_path, tiny_encoder):
    shutil.copytree(template, tmp_path / "library")
    with Library.open(tmp_path / "library", encoder=tiny_encoder) as opened:
        yield opened


def on_disk(folder: Path) -> dict[str, str]:
    """Every file's hash; SQLite by its rows (its WAL and shared-memory files change on reads)."""
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.endswith(("-wal", "-shm")):
            files[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    try:
        import sqlite3
        with contextlib.closing(sqlite3.connect(f"file:{folder / 'library.sqlite'}?mode=ro", uri=True)) as db:
            files["library.sqlite"] = hashlib.sha256("\n".join(db.iterdump()).encode()).hexdigest()
    except Exception:  # not a database at all: its bytes were hashed above
        pass
    return files


def contents(library: Library):
    """What a user sees: documents with text and passages, and the generation."""
    docs = {d.id: (library.document(d.id), tuple(library.passages(d.id))) for d in library.documents()}
    return docs, library.stats().generation


def write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def refused(library: Library, path: Path, *words: str) -> None:
    report = library.add([path])
    assert report.added == report.updated == () and len(report.failed) == 1, report
    for word in words:
        assert word in report.failed[0].reason, report.failed[0].reason


def raises(error: type[Exception], *words: str) -> Callable:
    def check(action):
        with pytest.raises(error) as caught:
            action()
        for word in words:
            assert word in str(caught.value), str(caught.value)
    return check


@dataclass(frozen=True)
class Case:
    id: str
    run: Callable  # (library, tmp_path) -> None, asserting the message or the result
    adds: str | tuple[str, ...] | None = None  # the document ids a correct read adds


def nested_html(tmp):
    return write(tmp, "deep.html", "<html><body><p>Intro.</p>" + "<div>" * 10_000 + "deep" + "</div>" * 10_000)


def symlink_loops(tmp):
    folder = tmp / "loops"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").symlink_to(folder / "b.txt")
    (folder / "b.txt").symlink_to(folder / "a.txt")
    (folder / "sub" / "up").symlink_to(folder)  # a folder loop: never followed
    return folder


def sparse(tmp, size: int) -> Path:
    path = tmp / "huge.txt"
    with open(path, "wb") as out:
        out.truncate(size)  # 200 MB on paper, no blocks on disk
    return path


def as_nobody(action: Callable[[], object]) -> str:
    """What `action` raises, as "ErrorType: message" ("no error" if nothing), run by a user
    without root's privileges: root passes every permission check, so a forked child drops
    to `nobody` first (a real EACCES). The child imports nothing: /root, where Python lives,
    is closed to nobody."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        message = "no error"
        try:
            if os.geteuid() == 0:
                os.setgid(65534), os.setuid(65534)
            action()
        except BaseException as error:
            message = f"{type(error).__name__}: {error}"
        os.write(write_end, message.encode())
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    return os.read(read_end, 4096).decode()


def open_folder() -> Path:
    """A folder everyone may read but only root may write (pytest's own are closed to nobody)."""
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    folder.chmod(0o755)
    return folder


def unreadable(library, tmp):
    from rag.readers import read_file

    folder = open_folder()
    path = write(folder, "secret.txt", GOOD)
    path.chmod(0)
    message = as_nobody(lambda: read_file(path))
    shutil.rmtree(folder)
    assert message == f"DocumentError: Cannot read {path}: permission denied; make the file readable and try again"


def closed_library_folder(library, tmp):
    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # 0700: nobody may not even look inside
    try:
        _same(as_nobody(lambda: Library.open(folder / "library", encoder=library.encoder)),
              f"FolderAccessError: Cannot use {folder / 'library'} as a library folder: permission denied; "
              "give this user access to it (or choose another folder)")
    finally:
        shutil.rmtree(folder)


def library_of_another_user(library, tmp):
    """Readable, not writable: SQLite cannot create the shared-memory file it reads with."""
    folder = open_folder()
    try:
        shutil.copytree(library.folder, folder / "library", ignore=shutil.ignore_patterns("*-wal", "*-shm"))
        (folder / "library").chmod(0o755)
        message = as_nobody(lambda: Library.open(folder / "library", encoder=library.encoder).search("navy"))
        assert message.startswith("FolderAccessError: ") and "this user may not write in it" in message, message
        assert "give this user write access to the folder, or copy the library" in message
    finally:
        shutil.rmtree(folder)


def closed_subfolder(library, tmp):
    """os.walk skips a folder it may not list; ingest names it instead of losing its files."""
    from rag.ingest import discover

    folder = open_folder()
    try:
        write(folder, "open.txt", GOOD)
        (folder / "private").mkdir(mode=0o700)
        write(folder / "private", "kept.txt", GOOD)
        _same(as_nobody(lambda: discover([folder])),
              f"UnreadableFolderError: Cannot list the folder {folder / 'private'} (Permission denied); "
              "make it readable, or leave it out. Nothing was added")
    finally:
        shutil.rmtree(folder)


def path_under_a_file(library, tmp):
    blocker = write(tmp, "notes.txt", GOOD)
    raises(FolderAccessError, f"{blocker} is a file, not a folder", "choose a path whose parents are folders")(
        lambda: Library.open(blocker / "library", encoder=library.encoder))


def record(source: str, text: str = GOOD, **fields) -> TextRecord:
    return TextRecord(source=source, text=text, **fields)


def failed_record(library, rec: TextRecord, *words: str) -> None:
    report = library.add_texts([rec])
    assert report.added == report.updated == () and [f.path for f in report.failed] == [rec.source], report
    for word in words:
        assert word in report.failed[0].reason, report.failed[0].reason


def dated_records(library, tmp):
    report = library.add_texts([record("crm/dated", published=date(2025, 1, 1)),
                                record("crm/timed", GERMAN, published=datetime(2025, 2, 3, 9, 30))])
    _same(report.added, ("dated", "timed"))
    _same([library.document(i).published for i in ("dated", "timed")], ["2025-01-01", "2025-02-03"])


def record_named_like_a_file(library, tmp):
    sample = next(d for d in library.documents() if d.source.endswith("000_806c210b4fa405d6.txt"))
    raises(RecordBatchError, f"{sample.source!r} is the path of a file the library holds",
           f"(document {sample.id})", "Nothing was added")(
        lambda: library.add_texts([record(sample.source, "The replacement nobody asked for, about harbour boats.")]))


def empty_path(library, tmp):
    with contextlib.chdir(tmp):  # Path("") is this folder: what the fix must not ingest
        write(tmp, "stray.txt", GOOD)
        raises(EmptyPathError, "An empty path names no file or folder", "`.` for the current folder")(
            lambda: library.add([""]))
    (tmp / "stray.txt").unlink()


def named_pipe(tmp):
    path = tmp / "x.txt"
    os.mkfifo(path)  # opening it to read would wait for a writer that never comes
    return path


def inline_image_page(tmp):
    """A page whose image is inlined as a data: URI of 12 MB, over libxml2's 10 MB limit for
    one attribute; the article goes on after it."""
    image = "A" * 12_000_000
    return write(tmp, "inline-image.html", f"<html><head><title>Harbour</title></head><body><article>"
                 f"<p>{BEFORE_IMAGE}</p><img src='data:image/png;base64,{image}'><p>{AFTER_IMAGE}</p>"
                 "</article></body></html>")


BEFORE_IMAGE = "The harbour master counted forty fishing boats in the bay on Sunday morning."
AFTER_IMAGE = "After the storm the ferry left the quay on time and the gulls circled the cranes."


def duplicate(library, tmp):
    copy = shutil.copy(SAMPLES / "000_806c210b4fa405d6.txt", tmp / "same-article-renamed.txt")
    report = library.add([copy])
    assert report.added == () and report.skipped == (str(copy),) and report.failed == ()


def search(query, k=5):
    return lambda library, tmp: library.search(query, k=k)


def found_with(query, k=5):
    def run(library, tmp):
        hits = library.search(query, k=k)
        assert hits and all(h.passage.text in library.document(h.passage.document_id).text for h in hits)
    return run


def reopen(damage, error, *words):
    def run(library, tmp):
        damage(library)
        before = on_disk(library.folder)
        raises(error, *words)(lambda: Library.open(library.folder, encoder=library.encoder).search("navy"))
        assert on_disk(library.folder) == before
    return run


def vector_file(library) -> Path:
    return library.folder / library._meta()["vector_file"]


GERMAN = ("Hafenbericht\n\nDer Hafenmeister zählte am Sonntagmorgen vierzig Fischerboote in der Bucht, "
          "während die Möwen über den Kränen kreisten und die Fähre pünktlich ablegte.")

CASES = [
    Case("empty file", lambda lib, t: refused(lib, write(t, "empty.txt", b""), "empty", "add text")),
    Case("whitespace only", lambda lib, t: refused(lib, write(t, "blank.md", " \n\t\r\n "), "only whitespace")),
    Case("binary named .txt", lambda lib, t: refused(lib, write(t, "data.txt", bytes(range(256)) * 8),
                                                     "binary data", "extension matches its content")),
    Case("random bytes named .html", lambda lib, t: refused(lib, write(t, "page.html", os.urandom(5000) + b"\x00"),
                                                            "binary data")),
    Case("latin-1 text is read correctly", lambda lib, t: (
        lib.add([write(t, "latin.txt", "Le na\u00eff gar\u00e7on du caf\u00e9 r\u00e9pond tr\u00e8s poliment \u00e0 la "
                                       "cliente fran\u00e7aise.".encode("latin-1"))]),
        _same(lib.document("latin").text, "Le naïf garçon du café répond très poliment à la cliente française.")),
         adds="latin"),
    Case("utf-8 with an invalid byte is read as utf-8", lambda lib, t: (
        lib.add([write(t, "broken.txt", GERMAN.encode() + b" Kaputt: \xff.")]),
        _same(lib.document("broken").text, GERMAN.split("\n\n")[1] + " Kaputt: \ufffd.")),
         adds="broken"),
    Case("200 MB file", lambda lib, t: refused(lib, sparse(t, 200_000_000), "200,000,000 bytes",
                                               "over the 50,000,000-byte limit", "split it")),
    Case("corrupt pdf", lambda lib, t: refused(lib, write(t, "broken.pdf", b"%PDF-1.4\ngarbage, not a PDF\n"),
                                               "the PDF is damaged", "re-export it")),
    Case("encrypted pdf", lambda lib, t: refused(lib, write(t, "locked.pdf", encrypted_pdf("Secret", user_password="pw").getvalue()),
                                                 "encrypted PDF; remove the password")),
    Case("pdf without a text layer", lambda lib, t: refused(
        lib, write(t, "scan.pdf", make_pdf(["0.5 g 72 72 468 648 re f"])), "no text layer", "OCR")),
    Case("corrupt docx", lambda lib, t: refused(lib, write(t, "cut.docx", make_docx()[:2000]), "damaged")),
    Case("docx zip bomb", lambda lib, t: refused(lib, write(t, "bomb.docx", zip_with_zeros(300)), "zip bomb")),
    Case("html with only scripts and styles", lambda lib, t: refused(lib, write(
        t, "scripts.html", "<html><head><style>p{color:red}</style><script>alert(1)</script></head>"
                           "<body><script>document.write('x')</script></body></html>"), "no readable text")),
    Case("html nested 10,000 levels", lambda lib, t: refused(lib, nested_html(t), "nested more than 256 levels")),
    Case("symlink loops", lambda lib, t: (
        _same(sorted(f.reason for f in lib.add([symlink_loops(t)]).failed),
              ["the file cannot be opened (Too many levels of symbolic links); check the path "
               "and its permissions"] * 2))),
    Case("unreadable file", unreadable),
    Case("a named pipe called x.txt", lambda lib, t: refused(lib, named_pipe(t), "not a regular file",
                                                            "give the path of an ordinary file")),
    Case("/dev/zero", lambda lib, t: refused(lib, Path("/dev/zero"), "not a regular file")),
    Case("html with an attribute over 10 MB (an inline image)", lambda lib, t: (
        lib.add([inline_image_page(t)]),
        _same(lib.document("inline-image").text, f"{BEFORE_IMAGE}\n\n{AFTER_IMAGE}")), adds="inline-image"),
    Case("duplicate document under another name", duplicate),
    Case("document in another language", lambda lib, t: (
        lib.add([write(t, "hafen.txt", GERMAN)]),
        _same((lib.document("hafen").title, lib.document("hafen").text), tuple(GERMAN.split("\n\n"))),
        _same(lib.search("Fischerboote Bucht", k=1)[0].passage.document_id, "hafen")), adds="hafen"),
    Case("upload name with path traversal", lambda lib, t: (
        _same(lib.add_upload("../../outside.txt", GOOD.encode()).added, ("outside",)),
        _same((lib.folder / "uploads" / "outside.txt").read_text(), GOOD),
        _same([p.name for p in t.iterdir() if p.name != "library"], [])), adds="outside"),
    Case("upload that is an executable", lambda lib, t: _same(
        [f.reason for f in lib.add_upload("..\\..\\setup.exe", b"MZ\x90\x00").failed],
        ["unsupported file type; supported formats are .txt .md .html .htm .pdf .docx"])),
    Case("upload over the size limit", lambda lib, t: _same(
        lib.add_upload("big.txt", b"word " * 1000, max_bytes=1000).failed[0].reason,
        "the file is 5,000 bytes, over the 1,000-byte limit; split it or raise the limit (max_file_bytes)")),
    Case("empty query", lambda lib, t: raises(QueryError, "question is empty", "at least one word")(
        lambda: lib.search("  \t "))),
    Case("query of control characters and emoji only", lambda lib, t: raises(QueryError, "empty")(
        lambda: lib.search("\x00\x07\x1b 🙂🚢 \u200b"))),
    Case("query with control characters and emoji around words", found_with("naval 🚢 drills\x00\x1b[31m ✨")),
    Case("query of 10,000 characters", found_with("joint naval drills at Bandar Abbas " * 290)),
    Case("k of 0", lambda lib, t: raises(QueryError, "k must be at least 1, got 0")(lambda: lib.search("navy", k=0))),
    Case("negative k", lambda lib, t: raises(QueryError, "k must be at least 1, got -3")(lambda: lib.ask("navy", k=-3))),
    Case("huge k", lambda lib, t: _same(len(lib.search("navy", k=10**12)), lib.stats().passages)),
    # -- records given as text (`add_texts`)
    Case("two records with the same source", lambda lib, t: raises(
        RecordBatchError, "repeat the source 'crm/1'", "give each record its own source", "Nothing was added")(
        lambda: lib.add_texts([record("crm/1"), record("crm/2", GERMAN), record("crm/1", GERMAN)]))),
    Case("a record named like an ingested file", record_named_like_a_file),
    Case("date and datetime objects as published are read as dates", dated_records, adds=("dated", "timed")),
    Case("a published date with trailing garbage", lambda lib, t: failed_record(
        lib, record("crm/3", published="2025-01-01garbage"), "published must be a date written YYYY-MM-DD",
        "'2025-01-01garbage'")),
    Case("a lone surrogate in a record's text", lambda lib, t: failed_record(
        lib, record("crm/4", "The harbour \ud800 master counted forty boats."),
        "its text holds a lone surrogate (U+D800 at character 12)", "errors='replace'")),
    Case("a lone surrogate in a record's title", lambda lib, t: failed_record(
        lib, record("crm/5", title="Harbour \udcff"), "its title holds a lone surrogate (U+DCFF")),
    # -- paths and folders
    Case("a file name that is not UTF-8", lambda lib, t: (
        _same(lib.add([write(t, os.fsdecode(b"caf\xe9.txt"), GOOD)]).added, ("caf-xe9",)),
        _same(lib.document("caf-xe9").source, f"{t}/caf\\xe9.txt")), adds="caf-xe9"),
    Case("an empty path to ingest", empty_path),
    Case("a library path under a file", path_under_a_file),
    Case("a library folder this user may not enter", closed_library_folder),
    Case("a library this user may read but not write", library_of_another_user),
    Case("a folder to ingest with a subfolder this user may not list", closed_subfolder),
    # -- queries and filters
    Case("query holding a lone surrogate", lambda lib, t: raises(
        QueryError, "lone surrogate, U+DCFF, at character 6", "type it again")(lambda: lib.ask("naval \udcff drills"))),
    Case("a filter naming an unknown document", lambda lib, t: [raises(
        UnknownDocumentError, "No document with id 'no-such-id'", "python -m rag docs")(
        lambda: action("navy", filters=SearchFilters(documents=("000-806c210b4fa405d6", "no-such-id"))))
        for action in (lib.search, lib.ask)]),
    Case("a folder that is not a library", lambda lib, t: (
        write(t, "photo.jpg", b"\xff\xd8\xff"),
        raises(LibraryError, "is not a library", "choose a new or empty folder")(lambda: Library.open(t)))),
    Case("a library made with another model", lambda lib, t: raises(
        ModelMismatchError, "was built with the model", "open it without choosing a model")(
        lambda: Library.open(lib.folder, model="sentence-transformers/all-MiniLM-L6-v2"))),
    Case("truncated vector file", reopen(
        lambda lib: vector_file(lib).write_bytes(vector_file(lib).read_bytes()[:-64]),
        LibraryError, "vector file is damaged", "truncated", "python -m rag check --repair")),
    Case("a sqlite file that is not one", reopen(
        lambda lib: (lib.close(), (lib.folder / "library.sqlite-wal").unlink(missing_ok=True),
                     (lib.folder / "library.sqlite").write_bytes(b"this is not SQLite " * 300)),
        LibraryError, "is not a library database", "choose another folder")),
]


def _same(actual, expected):
    assert actual == expected


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case, library, tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    before_docs, before_generation = contents(library)
    before_files = on_disk(library.folder)
    case.run(library, inputs)
    if case.id in ("truncated vector file", "a sqlite file that is not one"):
        return  # the damage is the case itself; `reopen` checked nothing else changed
    after_docs, after_generation = contents(Library.open(library.folder, encoder=library.encoder))
    if case.adds is None:
        assert (after_docs, after_generation) == (before_docs, before_generation)
        assert on_disk(library.folder) == before_files
    else:  # a correct read adds exactly those documents and touches no other
        added = {case.adds} if isinstance(case.adds, str) else set(case.adds)
        assert set(after_docs) == set(before_docs) | added
        assert {k: v for k, v in after_docs.items() if k not in added} == before_docs
        assert after_generation == before_generation + 1
    assert check_library(library.folder).ok


def test_a_file_named_like_a_record_is_refused(library, tmp_path):
    """The other direction of "a record named like an ingested file": ingesting a file whose
    path is a record's source would replace that record's document silently."""
    path = write(tmp_path, "harbour.txt", GOOD)
    added = library.add_texts([record(os.path.abspath(path), "The record's own text about forty trawlers.")]).added
    before = contents(library)
    raises(RecordBatchError, f"The file {os.path.abspath(path)!r} has the source of a record",
           f"(document {added[0]}, added with add_texts)", "Nothing was added")(lambda: library.add([path]))
    assert contents(library) == before
    assert "forty trawlers" in library.document(added[0]).text


# -- the disk under the library: full, or mounted read-only -----------------------------------
# Real file systems, not simulated errors: a small tmpfs filled to the last byte, and a
# read-only bind mount (which stops root too, unlike chmod). Mounting needs root.


@contextlib.contextmanager
def mounted(target: Path, *options: str):
    target.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small or read-only file system needs root")
    result = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True)
    if result.returncode:
        pytest.skip(f"cannot mount here: {result.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=True)


def fill(disk: Path, leave: int = 0) -> Path:
    """Write one file until the disk refuses, then give back `leave` bytes."""
    filler = disk / "filler"
    handle = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(handle, b"\0" * 4096)
    except OSError as error:
        assert error.errno == errno.ENOSPC
    for size in (4096, 512, 1):  # the last partial block too
        try:
            while True:
                os.write(handle, b"\0" * size)
        except OSError:
            pass
    os.ftruncate(handle, max(0, os.fstat(handle).st_size - leave))
    os.close(handle)
    return filler


def library_copy(template: Path, folder: Path) -> Path:
    """The template library as a closed library leaves it: no -wal, no -shm."""
    shutil.copytree(template, folder, ignore=shutil.ignore_patterns("*-wal", "*-shm"))
    return folder


def test_a_disk_that_fills_up_during_an_ingest_leaves_the_library_as_it_was(template, tmp_path, tiny_encoder):
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=4m", "tmpfs") as disk:
        folder = library_copy(template, disk / "library")
        fill(disk, leave=200_000)
        library = Library.open(folder, encoder=tiny_encoder)
        before_docs, before_generation = contents(library)
        before_files = on_disk(folder)
        big = [TextRecord(f"crm/{n}", f"Record {n}. " + GERMAN.split("\n\n")[1] * 40) for n in range(40)]
        full = (DiskFullError, f"The disk holding the library at {folder} is full", "nothing was changed",
                "Free some space")
        raises(*full)(lambda: library.add_texts(big))
        assert contents(library) == (before_docs, before_generation)
        assert on_disk(folder) == before_files
        raises(*full)(lambda: library.add_upload("harbour.txt", ("\n\n".join(r.text for r in big)).encode()))
        assert contents(library) == (before_docs, before_generation)
        assert on_disk(folder) == before_files
        library.close()
        (disk / "filler").unlink()  # with space again, the library is whole and takes the ingest
        assert check_library(folder).ok
        with Library.open(folder, encoder=tiny_encoder) as again:
            assert len(again.add_texts(big).added) == 40


def test_a_full_disk_is_named_as_such_not_as_a_foreign_database(template, tmp_path, tiny_encoder):
    with mounted(tmp_path / "disk", "-t", "tmpfs", "-o", "size=4m", "tmpfs") as disk:
        folder = library_copy(template, disk / "library")
        before_files = on_disk(template)  # on_disk(folder) would leave SQLite's -shm there, read-only
        fill(disk)
        advice = (DiskFullError, "is full (0 bytes free)", "Free some space on that disk")
        raises(*advice)(lambda: Library.open(folder, encoder=tiny_encoder).ask("navy"))
        raises(*advice)(lambda: check_library(folder))  # not "restore from a backup"
        (disk / "filler").unlink()
        assert on_disk(folder) == before_files and check_library(folder).ok


def test_a_library_on_a_read_only_mount_answers_and_refuses_changes_clearly(template, tmp_path, tiny_encoder):
    source = library_copy(template, tmp_path / "source")
    with mounted(tmp_path / "read-only", "--bind", str(source)) as target:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(target)], check=True)
        library = Library.open(target, encoder=tiny_encoder)
        assert library.read_only
        assert library.search("naval drills", k=2) and not library.ask("naval drills", min_confidence=0).abstained
        library.build_lexical_postings()  # the in-memory BM25 copy big libraries search with reads it too
        assert library.search("naval drills", k=2, mode="lexical")
        refusal = (LibraryNotWritableError, f"The library at {target} is read-only (its file system is "
                   "mounted read-only)", "search and ask work", "make the folder writable")
        for change in (lambda: library.add([SAMPLES]), lambda: library.add_texts([record("crm/9")]),
                       lambda: library.remove("000-806c210b4fa405d6"),
                       lambda: library.edit_document("000-806c210b4fa405d6", title="New")):
            raises(*refusal)(change)
        assert check_library(target).ok  # verified as it is: no lock to take where nothing can write
        raises(*refusal)(lambda: check_library(target, repair=True))
        raises(FolderAccessError, "a new library cannot be made there (its file system is mounted read-only)")(
            lambda: Library.open(target / "new", encoder=tiny_encoder))


# -- a file that changes while it is ingested ---------------------------------------------
class SavedAgainAfterHashing(FileInput):
    """A file its user saves again just after the ingest hashed it and before it is read."""

    def __init__(self, path: Path, new_text: str):
        super().__init__(path)
        self.new_text = new_text

    def content_hash(self) -> str:
        digest = super().content_hash()
        self.path.write_text(self.new_text, encoding="utf-8")
        return digest


def test_a_file_edited_while_ingested_is_stored_with_the_hash_of_its_text_and_a_revert_is_read(library, tmp_path):
    path = write(tmp_path, "harbour.txt", GOOD)
    edited = GOOD.replace("forty", "fifty")
    with library.writer.writing():
        ingest_run.ingest(library.writer, [SavedAgainAfterHashing(path, edited)], None, DEFAULT_MAX_BYTES)
    stored = library.document("harbour")
    assert stored.text == edited.split("\n\n")[1]
    assert stored.content_hash == hashlib.sha256(edited.encode("utf-8")).hexdigest()  # the bytes of that text

    path.write_text(GOOD, encoding="utf-8")  # the user reverts the edit
    assert library.add([path]).updated == ("harbour",)
    assert library.document("harbour").text == GOOD.split("\n\n")[1]


# -- bounded work: reading one file costs work linear in its size ---------------------------
def long_prose(words: int, shape: str) -> str:
    """Real sentences (the samples') repeated, as one hard-wrapped block, one line, or one
    sentence that never ends (no full stops)."""
    sample = " ".join(" ".join(p.read_text(encoding="utf-8") for p in sorted(SAMPLES.iterdir())).split())
    text = " ".join((sample.split() * (words // len(sample.split()) + 1))[:words])
    if shape == "one endless sentence":
        text = text.replace(".", "").replace("?", "").replace("!", "")
    return textwrap.fill(text, 72) if shape == "hard-wrapped, no blank line" else text


@pytest.mark.parametrize("shape", ["hard-wrapped, no blank line", "one line", "one endless sentence"])
def test_reading_a_long_paragraph_costs_work_linear_in_its_length(shape, tmp_path, tiny_encoder, monkeypatch):
    """pysbd's work grows with the square of the text it is given at once, and so does the
    tokenizer's when a piece is searched from the sentence's end: the text each is given at
    once stays short and all they are given adds up to a few times the file."""
    import pysbd

    segmented, counted = [], []
    segment = pysbd.Segmenter.segment
    monkeypatch.setattr(pysbd.Segmenter, "segment", lambda self, text: segmented.append(len(text)) or segment(self, text))

    def count_tokens(texts):
        counted.extend(len(text) for text in texts)
        return tiny_encoder.count_tokens(texts)

    path = write(tmp_path, "long.txt", long_prose(10_000, shape))  # ~60 KB, one paragraph
    document = prepare(FileInput(path), count_tokens=count_tokens, max_tokens=tiny_encoder.max_tokens)
    size = path.stat().st_size
    assert max(segmented) <= 10_000 and sum(segmented) <= 2 * size
    assert max(counted) <= 100_000 and sum(counted) <= 30 * size
    passages = [document.text[p.start : p.end] for p in document.passages]
    assert " ".join(passages).split() == path.read_text(encoding="utf-8").split()  # nothing lost or repeated
    assert max(tiny_encoder.count_tokens(passages)) <= tiny_encoder.max_tokens
