"""Tests for rag.readers: every format, decoding, and every refusal a user can hit.

All fixtures are built in code: DOCX with python-docx, PDFs written by hand (Helvetica text in
a content stream with a correct xref table), an encrypted PDF with pypdf, zip bombs streamed
with zipfile.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from rag.errors import DocumentError, EmptyDocumentError, FileTooLargeError, UnsupportedFileError
from rag.readers import DEFAULT_MAX_BYTES, RawDocument, read_bytes, read_file


# ---------------------------------------------------------------- fixture builders
def make_pdf(page_streams: list[str], title: str | None = None) -> bytes:
    """A minimal valid PDF: one page per content stream, Helvetica as /F1, optional /Title."""
    objects: list[bytes] = [b"", b""]  # 1: catalog, 2: page tree (filled in below)
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                   b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for stream in page_streams:
        data = stream.encode("latin-1")
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(data), data))
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
                       b"<< /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % len(objects))
        kids.append(len(objects))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids), len(kids))
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1 + (title is not None))
    if title is not None:
        objects.append(b"<< /Title (%s) >>" % title.encode("latin-1"))
        trailer += b" /Info %d 0 R" % len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n%s >>\nstartxref\n%d\n%%%%EOF\n" % (trailer, xref)
    return bytes(out)


def text_stream(paragraphs: list[list[str]], leading: int = 14, paragraph_gap: int = 10) -> str:
    """Lines with a fixed leading (T*), and an extra vertical gap between paragraphs."""
    ops = ["BT", "/F1 12 Tf", f"{leading} TL", "72 720 Td"]
    for p_index, lines in enumerate(paragraphs):
        if p_index:
            ops += ["T*", f"0 -{paragraph_gap} Td"]
        for l_index, line in enumerate(lines):
            if l_index:
                ops.append("T*")
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj")
    return "\n".join(ops + ["ET"])


REPORT_PARAGRAPHS = [
    ["Annual Report"],
    ["The committee met on a rainy day to discuss the exam-",
     "ple budget and agreed to publish a summary of the",
     "findings for all members."],
    ["A well-known rule applies to self-",
     "contained units. The self-contained units are small."],
    ["A second paragraph follows here. It is short."],
]
REPORT_TEXT = (
    "Annual Report\n\n"
    "The committee met on a rainy day to discuss the example budget and agreed to publish a "
    "summary of the findings for all members.\n\n"
    "A well-known rule applies to self-contained units. The self-contained units are small.\n\n"
    "A second paragraph follows here. It is short."
)


def encrypted_pdf(text: str, **passwords: str) -> io.BytesIO:
    import pypdf

    plain = pypdf.PdfReader(io.BytesIO(make_pdf([text_stream([[text]])])))
    writer = pypdf.PdfWriter(clone_from=plain)
    writer.encrypt(**passwords)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer


def make_docx(title: str | None = "Quarterly Notes") -> bytes:
    import docx

    document = docx.Document()
    if title:
        document.core_properties.title = title
    document.add_heading("Budget meeting", level=1)
    document.add_paragraph("The board approved the   budget on Monday.")
    paragraph = document.add_paragraph("Spending rises by ")
    paragraph.add_run("five percent").bold = True
    paragraph.add_run(" next year.")
    table = document.add_table(rows=2, cols=2)
    for row, values in zip(table.rows, [("Item", "Cost"), ("Roads", "12 million")]):
        for cell, value in zip(row.cells, values):
            cell.text = value
    document.add_paragraph("")  # an empty paragraph is not a paragraph of text
    document.add_paragraph("Questions go to the treasurer.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


DOCX_TEXT = (
    "Budget meeting\n\nThe board approved the budget on Monday.\n\n"
    "Spending rises by five percent next year.\n\nItem | Cost\n\nRoads | 12 million\n\n"
    "Questions go to the treasurer."
)


def zip_with_zeros(megabytes: int) -> bytes:
    """A ZIP holding word/document.xml and `megabytes` MiB of zeros (compresses ~1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as entry:
            chunk = bytes(1 << 20)
            for _ in range(megabytes):
                entry.write(chunk)
    return buffer.getvalue()


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# ---------------------------------------------------------------- plain text and decoding
def test_txt_is_returned_as_decoded_with_newlines_normalised(tmp_path):
    path = write(tmp_path, "notes.txt", b"First line\r\nwrapped line\r\n\r\nSecond\rpara\n")
    expected = RawDocument("First line\nwrapped line\n\nSecond\npara\n", None, None, "txt")
    assert read_file(path) == expected


CP1252_SENTENCES = [
    "He said “it’s fine” – the ticket cost €12.",
    "Café au lait, crème brûlée and a naïve résumé … all for £5.",
    "Die Straße in München ist über drei Kilometer lang — „schön“, sagt Herr Götz.",
    "El señor Peña preguntó: ¿dónde está la estación?",
    "L’été dernier, nous sommes allés à la forêt.",
]


@pytest.mark.parametrize("sentence", CP1252_SENTENCES)
def test_windows_1252_text_decodes_to_the_right_characters(tmp_path, sentence):
    path = write(tmp_path, "legacy.txt", sentence.encode("cp1252"))
    assert read_file(path).text == sentence


def test_windows_1252_quotes_dash_and_euro_bytes(tmp_path):
    data = b"\x93Quoted\x94 \x96 costs \x80 10"
    assert read_file(write(tmp_path, "a.txt", data)).text == "“Quoted” – costs € 10"


@pytest.mark.parametrize("text", ["café naïve Zürich", "Grüße aus Köln, ça va?"])
def test_latin_1_text_decodes_correctly(tmp_path, text):
    assert read_file(write(tmp_path, "latin.txt", text.encode("latin-1"))).text == text


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Привет, как дела? Это тестовый текст на русском языке.", "cp1251"),
        ("Dzień dobry, jak się masz? Wszystko w porządku, dziękuję bardzo.", "cp1250"),
    ],
)
def test_non_western_legacy_text_is_not_read_as_windows_1252(tmp_path, text, encoding):
    assert read_file(write(tmp_path, "legacy.txt", text.encode(encoding))).text == text


def test_utf8_with_and_without_bom(tmp_path):
    text = "Naïve – 日本語\nline two"
    assert read_file(write(tmp_path, "plain.txt", text.encode("utf-8"))).text == text
    with_bom = b"\xef\xbb\xbf" + text.encode("utf-8")
    assert read_file(write(tmp_path, "bom.txt", with_bom)).text == text


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_utf16_with_bom(tmp_path, encoding):
    text = "Grüße – 日本\r\nsecond line"
    data = text.encode(encoding) if encoding == "utf-16" else b"\xfe\xff" + text.encode(encoding)
    assert read_file(write(tmp_path, "wide.txt", data)).text == "Grüße – 日本\nsecond line"


@pytest.mark.parametrize(
    "data",
    [
        bytes(range(256)) * 4,  # NUL bytes
        "hello".encode("utf-16-le") * 20,  # UTF-16 without a BOM is not accepted as text
        b"ok \x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12 text" * 5,  # control characters
    ],
)
@pytest.mark.parametrize("name", ["data.txt", "data.md", "data.html"])
def test_binary_content_named_as_text_is_refused(tmp_path, data, name):
    with pytest.raises(DocumentError, match="looks like binary data") as caught:
        read_file(write(tmp_path, name, data))
    assert "extension matches its content" in str(caught.value)


# ---------------------------------------------------------------- Markdown
MARKDOWN = """---
title: "Release notes: spring"
date: 2024-03-15
tags: [news]
---
# Spring release

This release is **faster** and *smaller*, see the [changelog](https://example.com/log_(2024))
for details about `snake_case_name` and __bold__ text.

![diagram of the pipeline](img/pipeline.png)

- first item with a [reference link][docs]
* second item
1. third <b>item</b> &amp; an escaped \\*star\\*

> A quoted line
> that continues.

Setext heading
--------------

| Setting | Value |
|---------|:-----:|
| depth   | 3     |

```python
def double(x):
    return x * 2  # *not emphasis*
```

<!-- a hidden comment -->
Last paragraph.

[docs]: https://example.com/docs
"""
MARKDOWN_TEXT = (
    "Spring release\n\n"
    "This release is faster and smaller, see the changelog for details about snake_case_name "
    "and bold text.\n\n"
    "first item with a reference link\n\nsecond item\n\nthird item & an escaped *star*\n\n"
    "A quoted line that continues.\n\nSetext heading\n\nSetting | Value\n\ndepth | 3\n\n"
    "def double(x): return x * 2  # *not emphasis*\n\nLast paragraph."
)


def test_markdown_front_matter_and_markup(tmp_path):
    doc = read_file(write(tmp_path, "notes.md", MARKDOWN))
    assert doc == RawDocument(MARKDOWN_TEXT, "Release notes: spring", "2024-03-15", "md")


def test_markdown_title_from_first_level_one_heading_without_front_matter(tmp_path):
    source = "Intro line.\n\n## Not the title\n\n# The *Real* Title\n\nBody text.\n"
    doc = read_file(write(tmp_path, "page.markdown", source))
    assert (doc.text, doc.title, doc.published) == (
        "Intro line.\n\nNot the title\n\nThe Real Title\n\nBody text.", "The Real Title", None)


def test_markdown_front_matter_with_an_invalid_date_gives_no_date(tmp_path):
    doc = read_file(write(tmp_path, "a.MD", "---\ndate: 2024-13-45\n---\nText.\n"))
    assert (doc.text, doc.title, doc.published, doc.format) == ("Text.", None, None, "md")


# ---------------------------------------------------------------- HTML
ARTICLE_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Council votes on budget | City News</title>
<meta property="article:published_time" content="2023-05-04T10:00:00Z">
<style>body { color: red; } .secret-style { display: none; }</style>
<script>alert(1); var secretScript = "never shown";</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/politics">Politics</a> | <a href="/sport">Sport</a></nav>
<article>
<h1>Council votes on budget</h1>
<p>The city council approved the new budget on Tuesday evening after a long debate that lasted
well into the night, with twelve votes in favour and three against.</p>
<p>The budget raises spending on public transport by five percent and freezes the fees for
libraries, swimming pools and museums for another two years.</p>
<script>document.write("inline script text");</script>
<p>Opposition members said the plan relies on optimistic tax forecasts and promised to
revisit the figures in the autumn session of the council.</p>
</article>
<footer>Copyright 2023 City News. All rights reserved. Contact us.</footer>
</body></html>"""
ARTICLE_TEXT = (
    "Council votes on budget\n\n"
    "The city council approved the new budget on Tuesday evening after a long debate that lasted "
    "well into the night, with twelve votes in favour and three against.\n\n"
    "The budget raises spending on public transport by five percent and freezes the fees for "
    "libraries, swimming pools and museums for another two years.\n\n"
    "Opposition members said the plan relies on optimistic tax forecasts and promised to "
    "revisit the figures in the autumn session of the council."
)


def test_html_article_drops_scripts_styles_and_boilerplate(tmp_path):
    doc = read_file(write(tmp_path, "article.html", ARTICLE_HTML))
    assert doc == RawDocument(ARTICLE_TEXT, "Council votes on budget", "2023-05-04", "html")


def test_short_html_page_uses_block_text_without_scripts(tmp_path):
    page = (
        "<html><head><title> Tiny\n page </title><script>alert(1)</script></head><body>"
        "<nav>Home About</nav><div>Hi <b>there</b>, friend.<br>Next line</div>"
        "<style>p{color:red}</style><p>Two <a href='/x'>linked</a> words</p>"
        "<table><tr><td>cell a</td><td>cell b</td></tr></table>"
        "<footer>Copyright</footer></body></html>"
    )
    doc = read_file(write(tmp_path, "tiny.HTM", page))
    assert doc == RawDocument(
        "Hi there, friend.\n\nNext line\n\nTwo linked words\n\ncell a | cell b",
        "Tiny page", None, "html",
    )


def test_html_date_in_body_text_is_not_a_published_date(tmp_path):
    page = ("<html><head><title>Minutes</title></head><body><article><p>The meeting on 2021-03-04 "
            "was long, and the committee discussed the roads, the parks and the schools.</p>"
            "</article></body></html>")
    assert read_file(write(tmp_path, "minutes.html", page)).published is None


def test_html_with_declared_legacy_charset(tmp_path):
    text = "Привет мир"
    page = f'<html><head><meta charset="windows-1251"></head><body><p>{text}</p></body></html>'
    assert read_file(write(tmp_path, "ru.html", page.encode("cp1251"))).text == text


def test_html_nested_ten_thousand_levels_is_refused_not_crashing(tmp_path):
    nested = "<div>" * 10_000 + "deep" + "</div>" * 10_000
    page = "<html><body><p>Intro.</p>" + nested + "</body></html>"
    with pytest.raises(DocumentError, match="nested more than 256 levels deep") as caught:
        read_file(write(tmp_path, "deep.html", page))
    assert ".txt file" in str(caught.value)


def test_html_with_only_scripts_and_styles_is_empty(tmp_path):
    page = "<html><head><style>p{}</style></head><body><script>alert(1)</script></body></html>"
    with pytest.raises(EmptyDocumentError, match="no readable text"):
        read_file(write(tmp_path, "blank.html", page))


# ---------------------------------------------------------------- PDF
def test_pdf_text_title_and_paragraphs(tmp_path):
    pages = [text_stream(REPORT_PARAGRAPHS), text_stream([["Page two text."]])]
    pdf = make_pdf(pages, title="Board Report")
    doc = read_file(write(tmp_path, "report.pdf", pdf))
    assert doc == RawDocument(REPORT_TEXT + "\n\nPage two text.", "Board Report", None, "pdf")


def test_pdf_running_headers_and_page_footers_are_not_text(tmp_path):
    body = [["The harbour handled 4.2 million containers in 2024, a rise of",
             "8 percent on the year before, the authority said in its review,",
             "which also noted that the eastern channel had been deepened."],
            ["Two new cranes were ordered from a supplier in Finland, and",
             "the authority expects traffic to grow again in 2025."]]
    pages = [text_stream([["Orlavia Harbour Authority - Annual Review"], *body, [f"Page {n} of 3"]])
             for n in (1, 2, 3)]
    text = read_file(write(tmp_path, "review.pdf", make_pdf(pages))).text
    assert "Annual Review" not in text and "Page" not in text
    assert text.count("The harbour handled 4.2 million containers") == 3
    # a first line that opens only one page of two is text
    two = [text_stream([["Orlavia Harbour Authority - Annual Review"], *body]), text_stream(body)]
    assert read_file(write(tmp_path, "two.pdf", make_pdf(two))).text.startswith("Orlavia Harbour Authority")


def test_hand_made_pdf_is_valid_for_pypdf():
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(make_pdf([text_stream([["Hello PDF"], ["Second line"]])])))
    assert reader.pages[0].extract_text() == "Hello PDF\nSecond line"


def test_encrypted_pdf_is_refused(tmp_path):
    buffer = encrypted_pdf("Secret", user_password="s3cret")
    with pytest.raises(DocumentError, match="encrypted PDF; remove the password and try again"):
        read_file(write(tmp_path, "locked.pdf", buffer.getvalue()))


def test_pdf_with_only_an_owner_password_opens(tmp_path):
    buffer = encrypted_pdf("Open text", user_password="", owner_password="owner")
    assert read_file(write(tmp_path, "restricted.pdf", buffer.getvalue())).text == "Open text"


def test_pdf_without_text_layer_needs_ocr(tmp_path):
    drawing = "0.5 g 72 72 468 648 re f"  # a page that is only a filled rectangle, like a scan
    with pytest.raises(EmptyDocumentError, match="no text layer") as caught:
        read_file(write(tmp_path, "scan.pdf", make_pdf([drawing, drawing])))
    assert "OCR" in str(caught.value)


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4\ngarbage, not a PDF body\n", b"%PDF-1.7\n" + bytes(range(1, 256)) * 40]
)
def test_corrupt_pdf_is_a_document_error(tmp_path, data):
    with pytest.raises(DocumentError, match="the PDF is damaged") as caught:
        read_file(write(tmp_path, "broken.pdf", data))
    assert not isinstance(caught.value, EmptyDocumentError)


def test_png_named_pdf_is_refused(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(100)
    with pytest.raises(DocumentError, match=r"it is not a PDF \(it is a PNG image\)"):
        read_file(write(tmp_path, "picture.pdf", png))


def test_pdf_reading_prints_nothing(tmp_path, capsys):
    with pytest.raises(DocumentError):
        read_file(write(tmp_path, "broken.pdf", b"%PDF-1.4\ngarbage"))
    read_file(write(tmp_path, "ok.pdf", make_pdf([text_stream([["Fine"]])])))
    assert capsys.readouterr() == ("", "")


# ---------------------------------------------------------------- DOCX
def test_docx_paragraphs_tables_and_title(tmp_path):
    doc = read_file(write(tmp_path, "notes.docx", make_docx()))
    assert doc == RawDocument(DOCX_TEXT, "Quarterly Notes", None, "docx")


def test_docx_without_title_metadata(tmp_path):
    assert read_file(write(tmp_path, "notes.DOCX", make_docx(title=None))).title is None


def test_random_bytes_named_docx_are_refused(tmp_path):
    data = bytes((i * 37 + 11) % 256 for i in range(4096))
    with pytest.raises(DocumentError, match=r"it is not a Word \.docx document"):
        read_file(write(tmp_path, "random.docx", data))


def test_damaged_zip_named_docx_is_refused(tmp_path):
    data = make_docx()[:2000]  # truncated: the central directory is gone
    with pytest.raises(DocumentError, match="damaged"):
        read_file(write(tmp_path, "cut.docx", data))


def test_zip_without_word_document_is_not_a_docx(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    with pytest.raises(DocumentError, match="without word/document.xml"):
        read_file(write(tmp_path, "odt-in-disguise.docx", buffer.getvalue()))


def test_docx_zip_bomb_over_200_mb_is_refused_without_unpacking(tmp_path):
    bomb = zip_with_zeros(300)
    assert len(bomb) < 2_000_000
    with pytest.raises(DocumentError, match="zip bomb") as caught:
        read_file(write(tmp_path, "bomb.docx", bomb))
    assert "314,572,8" in str(caught.value)  # the unpacked size the user is told about


def test_docx_entry_compressed_over_100_to_1_is_refused(tmp_path):
    with pytest.raises(DocumentError, match="zip bomb"):
        read_file(write(tmp_path, "ratio.docx", zip_with_zeros(20)))


def test_damaged_docx_content_is_a_document_error(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<not xml")
    with pytest.raises(DocumentError, match="Word document is damaged"):
        read_file(write(tmp_path, "bad.docx", buffer.getvalue()))


# ---------------------------------------------------------------- files, sizes, emptiness
@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.pdf", "empty.docx"])
@pytest.mark.parametrize("content", [b"", b"  \n\t\r\n  "])
def test_empty_and_whitespace_only_files(tmp_path, name, content):
    with pytest.raises(EmptyDocumentError, match="empty or only whitespace; add text"):
        read_file(write(tmp_path, name, content))


@pytest.mark.parametrize(("name", "content"), [
    ("bom.txt", b"\xff\xfe" + " \n ".encode("utf-16-le")),
    ("front.md", b"---\ntitle: Only metadata\n---\n\n![img](a.png)\n"),
    ("comment.html", b"<!-- only a comment -->"),
])
def test_content_without_text_after_extraction_is_empty(tmp_path, name, content):
    with pytest.raises(EmptyDocumentError, match="no readable text"):
        read_file(write(tmp_path, name, content))


@pytest.mark.parametrize("name", ["slides.pptx", "old.doc", "README", "archive.tar.gz"])
def test_unsupported_suffix(tmp_path, name):
    with pytest.raises(UnsupportedFileError, match=r"supported formats are \.txt \.md"):
        read_file(write(tmp_path, name, b"some text"))
    with pytest.raises(UnsupportedFileError):
        read_bytes(b"some text", name)


def test_size_limit_is_checked_before_reading(tmp_path, monkeypatch):
    path = write(tmp_path, "big.txt", b"x" * 100)

    def refuse_open(*args, **kwargs):
        raise AssertionError("the file was opened before its size was checked")

    monkeypatch.setattr(Path, "open", refuse_open)
    with pytest.raises(FileTooLargeError, match="100 bytes, over the 10-byte limit"):
        read_file(path, max_bytes=10)


def test_size_limit_boundary_and_read_bytes(tmp_path):
    assert read_file(write(tmp_path, "ten.txt", b"0123456789"), max_bytes=10).text == "0123456789"
    with pytest.raises(FileTooLargeError, match="11 bytes, over the 10-byte limit"):
        read_bytes(b"0123456789A", "upload.txt", max_bytes=10)
    assert DEFAULT_MAX_BYTES == 50_000_000


def test_missing_file(tmp_path):
    with pytest.raises(DocumentError, match="does not exist; check the path"):
        read_file(tmp_path / "nope.txt")


def test_directory(tmp_path):
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(DocumentError, match="it is a folder, not a file"):
        read_file(folder)


@pytest.mark.timeout(10)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_is_not_read(tmp_path):
    pipe = tmp_path / "pipe.txt"
    os.mkfifo(pipe)
    with pytest.raises(DocumentError, match="not a regular file"):
        read_file(pipe)


def test_unreadable_file(tmp_path, monkeypatch):
    path = write(tmp_path, "secret.txt", b"text")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)  # what opening a file the user may not read raises
    with pytest.raises(DocumentError, match="permission denied; make the file readable"):
        read_file(path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read any file")
def test_unreadable_file_for_real(tmp_path):
    path = write(tmp_path, "secret.txt", b"text")
    path.chmod(0)
    with pytest.raises(DocumentError, match="permission denied"):
        read_file(path)


def test_errors_name_the_file(tmp_path):
    path = tmp_path / "missing.pdf"
    with pytest.raises(DocumentError) as caught:
        read_file(path)
    assert caught.value.path == path and str(path) in str(caught.value)
    with pytest.raises(DocumentError) as caught:
        read_bytes(b"\x89PNG\r\n\x1a\n", "upload.pdf")
    assert caught.value.path == Path("upload.pdf")


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("a.txt", "café – text".encode("cp1252")),
        ("a.md", MARKDOWN.encode("utf-8")),
        ("a.html", ARTICLE_HTML.encode("utf-8")),
        ("a.pdf", make_pdf([text_stream(REPORT_PARAGRAPHS)], title="Board Report")),
        ("a.docx", make_docx()),
    ],
)
def test_read_bytes_matches_read_file(tmp_path, name, data):
    from_file = read_file(write(tmp_path, name, data))
    from_bytes = read_bytes(data, name)
    assert from_bytes == from_file
    assert from_bytes.text.strip() and from_bytes.format == Path(name).suffix[1:]


def test_importing_readers_does_not_import_heavy_dependencies():
    import subprocess
    import sys

    # Import rag.readers without running rag/__init__.py, so only the readers' own imports count.
    code = (
        "import sys, types, pathlib; package = types.ModuleType('rag'); "
        "package.__path__ = [str(pathlib.Path('rag').resolve())]; sys.modules['rag'] = package; "
        "import rag.readers; print([m for m in ('trafilatura', 'pypdf', 'docx', 'lxml', "
        "'charset_normalizer') if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1], check=True)
    assert result.stdout.strip() == "[]"
