"""The bad-input matrix: each case is refused with a message naming the problem and the fix,
or skipped, or (where the input is merely unusual) read correctly — and the library's
documents, passages, generation and files are exactly as before (or, for a correct read,
changed by that one document only).

File builders come from tests/test_readers.py; the library is a copy of one built once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag import Library, QueryError
from rag.check import check_library
from rag.errors import LibraryError, ModelMismatchError
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
        with sqlite3.connect(f"file:{folder / 'library.sqlite'}?mode=ro", uri=True) as db:
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
    adds: str | None = None  # the one document id a correct read adds


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


def unreadable(library, tmp):
    """root reads any file, so a forked child drops to `nobody` before reading: a real EACCES."""
    from rag.readers import read_file

    folder = Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's own folders are closed to nobody
    folder.chmod(0o755)
    path = write(folder, "secret.txt", GOOD)
    path.chmod(0)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child imports nothing: /root, where Python lives, is closed to nobody
        message = b"no error"
        try:
            os.setgid(65534), os.setuid(65534)
            read_file(path)
        except BaseException as error:
            message = str(error).encode()
        os.write(write_end, message)
        os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    message = os.read(read_end, 4096).decode()
    shutil.rmtree(folder)
    assert message == f"Cannot read {path}: permission denied; make the file readable and try again"


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
    else:  # a correct read adds exactly that document and touches no other
        assert set(after_docs) == set(before_docs) | {case.adds}
        assert {k: v for k, v in after_docs.items() if k != case.adds} == before_docs
        assert after_generation == before_generation + 1
    assert check_library(library.folder).ok
