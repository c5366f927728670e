"""The Library page's values: documents by date, counts per month, and finding a word in a document."""

from rag.library_page import document_table, documents_per_period, find
from rag.render import reader_html
from rag.results import DocumentSummary


def summary(doc_id, published, source=None, title="T"):
    return DocumentSummary(id=doc_id, title=title, published=published, source=source or f"/data/{doc_id}.txt",
                           format="txt", paragraphs=3, passages=2)


def test_documents_are_listed_newest_first_and_undated_last():
    docs = [summary("a", "2016-10-14"), summary("b", None), summary("c", "2025-06-26"), summary("d", "2025-06-03")]
    rows = document_table(docs)
    assert [r["id"] for r in rows] == ["c", "d", "a", "b"]
    assert rows[-1]["published"] == "unknown" and rows[0]["source"] == "c.txt"


def test_documents_are_counted_per_month_with_empty_months_shown():
    docs = [summary("a", "2025-01-05"), summary("b", "2025-01-20"), summary("c", "2025-04-01"), summary("d", None)]
    assert documents_per_period(docs) == ("month", {"2025-01": 2, "2025-02": 0, "2025-03": 0, "2025-04": 1})


def test_a_long_span_is_counted_per_year():
    docs = [summary("a", "2016-10-14"), summary("b", "2025-06-26"), summary("c", "2025-01-01")]
    unit, counts = documents_per_period(docs)
    assert unit == "year" and counts["2016"] == 1 and counts["2020"] == 0 and counts["2025"] == 2
    assert list(counts) == [str(y) for y in range(2016, 2026)]


def test_no_dated_documents_give_an_empty_chart():
    assert documents_per_period([summary("a", None)]) == ("month", {})


def test_finding_ignores_case_and_marks_every_match():
    text = "The SCO met.\n\nSco members: the sco grew in Moscow."
    found = find(text, "sco")
    assert [text[s:e] for s, e in found] == ["SCO", "Sco", "sco"]
    page = reader_html(text, found)
    assert page == ('<div class="reader"><p>The <mark id="found-1">SCO</mark> met.</p>'
                    '<p><mark id="found-2">Sco</mark> members: the <mark id="found-3">sco</mark> grew in Moscow.</p></div>')


def test_a_phrase_is_found_across_a_line_break():
    text = "ports of Bandar\nAbbas and Bandar Abbas"
    assert [text[s:e] for s, e in find(text, "bandar  abbas")] == ["Bandar\nAbbas", "Bandar Abbas"]
    assert find("Bandar\n\nAbbas", "bandar abbas") == []  # not across paragraphs


def test_a_blank_word_finds_nothing_and_the_text_is_shown_whole():
    assert find("some text", "   ") == []
    assert reader_html("a\n\nb", []) == '<div class="reader"><p>a</p><p>b</p></div>'


def test_document_text_and_the_word_are_escaped():
    text = "<script>alert(1)</script> and <img src=x onerror=alert(2)> cost $5 and $6"
    found = find(text, "<img")
    page = reader_html(text, found)
    assert "<script>" not in page and "<img" not in page
    assert '<mark id="found-1">&lt;img</mark>' in page
    assert "&#36;5" in page  # no LaTeX between dollar signs
    assert find("a.b axb", ".") == [(1, 2)]  # literal, not a pattern
