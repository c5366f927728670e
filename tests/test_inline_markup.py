"""Inline HTML in plain text: quotes without tags, the links' URL words still found (rag.inline_markup).

A third of the news tuning set's passages carry a scraped page's anchors. Through
`Library.add_texts` / `Library.add`, `search`, `ask`, a title edit and `check`, with the tiny
static model.
"""

import pytest

from rag import TextRecord
from rag.check import check_library
from rag.errors import QueryError
from rag.inline_markup import slug_words, strip_inline_markup

SCRAPED = ('Rep. Liz Cheney of <b>Wyoming</b> <a href="https://www.cnn.com/2022/08/17/politics/'
           'why-liz-cheney-lost-primary-hageman/index.html" target="_blank">conceded on Tuesday</a> '
           'after a bruising campaign.<br>She thanked her staff.')
PLAIN = "The harbour authority reopened the northern quay on Monday after a week of strikes."


def test_tags_of_inline_elements_leave_the_text_and_their_content_stays():
    text, words = strip_inline_markup(SCRAPED)
    assert text == ("Rep. Liz Cheney of Wyoming conceded on Tuesday after a bruising campaign. "
                    "She thanked her staff.")
    assert words == "politics why liz cheney lost primary hageman"


@pytest.mark.parametrize("text", [
    PLAIN,
    "If a < b and b > c, then the ratio <x> is undefined.",
    "The bound holds for x<a and b>y alike.",
    "<div>A block element is a whole page's, left to the HTML reader.</div>",
])
def test_text_without_inline_tags_is_unchanged(text):
    assert strip_inline_markup(text) == (text, "")


@pytest.mark.parametrize("text, read", [
    ("Anderson .Paak won for best R&amp;B album.", "Anderson .Paak won for best R&B album."),
    ("She said &quot;no&quot; and left&#8230; at 5&#x25;.", 'She said "no" and left… at 5%.'),
    # a reference that spells a tag is what the page showed: it is read, not removed
    ('<a href="https://x.com/a">Use &lt;b&gt; for bold</a>.', "Use <b> for bold."),
    # only complete references HTML defines: prose and SGML names stay as written
    ("AT&T and R&D budgets; Q&A at 5 &amp 6.", "AT&T and R&D budgets; Q&A at 5 &amp 6."),
    ("The &bgr;-adrenergic receptor binds &NA; weakly.", "The &bgr;-adrenergic receptor binds &NA; weakly."),
])
def test_character_references_are_read_as_the_page_showed_them(text, read):
    assert strip_inline_markup(text)[0] == read


def test_a_quote_from_a_scrape_shows_the_characters_and_slices_exactly(tiny_library):
    text = "Anderson .Paak took the award for best R&amp;B album on Sunday night in Las Vegas."
    (document_id,) = tiny_library.add_texts([TextRecord(source="scrape/2", text=text)]).added
    answer = tiny_library.ask("Who took the award for best R&B album?")
    assert not answer.abstained
    citation = answer.citations[0]
    assert "R&B" in citation.evidence and "&amp;" not in answer.text
    assert tiny_library.document(document_id).text[citation.start:citation.end] == citation.passage


@pytest.mark.parametrize("url, words", [
    ("https://www.cnn.com/2020/06/10/politics/trump-rnc-jacksonville/index.html",
     ["politics", "trump", "rnc", "jacksonville"]),
    ("/2021/03/02/world/myanmar_protests.html", ["world", "myanmar", "protests"]),
    ("mailto:desk@example.com", []),
    ("#footnote-3", []),
    ("https://example.com/story/12345", []),
])
def test_slug_words_are_the_words_of_a_web_address_path(url, words):
    assert slug_words(url) == words


def test_a_scraped_text_is_quoted_without_markup_and_found_by_its_links_words(tiny_library):
    report = tiny_library.add_texts([TextRecord(source="scrape/1", text=SCRAPED),
                                     TextRecord(source="plain/2", text=PLAIN)])
    document = tiny_library.document(report.added[0])
    assert "<" not in document.text and document.link_words.split()[:3] == ["politics", "why", "liz"]
    # "hageman" is only in the link's address: the passage is still found by it
    hits = tiny_library.search("hageman", k=3, mode="lexical")
    assert [h.passage.document_id for h in hits] == [document.id]
    answer = tiny_library.ask("Who conceded on Tuesday after a bruising campaign in Wyoming?")
    assert not answer.abstained
    for citation in answer.citations:
        assert "<" not in citation.passage and "href" not in answer.text
        assert tiny_library.document(citation.document_id).text[citation.start:citation.end] == citation.passage
    assert check_library(tiny_library.folder).ok


def test_a_scraped_file_is_read_the_same_way(tiny_library, tmp_path):
    (tmp_path / "scrape.txt").write_text(SCRAPED, encoding="utf-8")
    (document_id,) = tiny_library.add([tmp_path / "scrape.txt"]).added
    assert "<" not in tiny_library.document(document_id).text
    assert [h.passage.document_id for h in tiny_library.search("hageman", k=3, mode="lexical")] == [document_id]


def test_a_title_edit_keeps_the_links_words_in_context(tiny_library):
    (document_id,) = tiny_library.add_texts([TextRecord(source="scrape/1", text=SCRAPED)]).added
    tiny_library.edit_document(document_id, title="Cheney concedes")
    assert tiny_library.document(document_id).title == "Cheney concedes"
    assert [h.passage.document_id for h in tiny_library.search("hageman", k=3, mode="lexical")] == [document_id]
    assert check_library(tiny_library.folder).ok


def test_a_question_copied_with_its_links_is_read_as_its_reader_saw_it(tiny_library):
    tiny_library.add_texts([TextRecord(source="scrape/1", text=SCRAPED), TextRecord(source="plain/2", text=PLAIN)])
    plain = "Which quay did the harbour authority reopen on Monday?"
    copied = ('Which quay did the <a data-analytics-id="inline-link" href="https://example.com/tag/harbour">harbour'
              '</a> authority reopen on <b>Monday</b>?')
    asked, expected = tiny_library.ask(copied), tiny_library.ask(plain)
    assert asked.question == plain
    assert (asked.text, asked.confidence) == (expected.text, expected.confidence)
    assert [(h.passage.id, h.score) for h in tiny_library.search(copied)] == \
        [(h.passage.id, h.score) for h in tiny_library.search(plain)]


def test_a_question_that_is_only_markup_is_refused_with_what_to_do(tiny_library):
    tiny_library.add_texts([TextRecord(source="plain/2", text=PLAIN)])
    with pytest.raises(QueryError, match="type a question"):
        tiny_library.ask('<a href="https://example.com/x"></a><br>')


@pytest.mark.parametrize("text, read", [
    ("More than 3%2C000 kids try their first cigarettes every day", "More than 3,000 kids try their first cigarettes every day"),
    ("Narrator Greg Heffley tries %22to reinvent himself%22 at school", 'Narrator Greg Heffley tries "to reinvent himself" at school'),
    ("Smoking rates have fallen 59%25 since 1964; Beyonce%27s album sold 617%2C000 copies",
     "Smoking rates have fallen 59% since 1964; Beyonce's album sold 617,000 copies"),
    # an address keeps its escapes, and so does an escape no word touches
    ("See story%2Fsports%2Fnhl%2F2021 and https://x.com/a%2Cb?q=1%2C2 now.", "See story%2Fsports%2Fnhl%2F2021 and https://x.com/a%2Cb?q=1%2C2 now."),
    ("In a URL, write %20 for a space and 5% for five percent.", "In a URL, write %20 for a space and 5% for five percent."),
])
def test_percent_escapes_in_prose_are_read_as_the_page_showed_them(text, read):
    assert strip_inline_markup(text)[0] == read


def test_a_caption_with_escapes_is_quoted_readably_and_slices_exactly(tiny_library):
    text = ("More than 3%2C000 kids try their first cigarettes every day%2C the surgeon general%27s "
            "report said on Tuesday.")
    (document_id,) = tiny_library.add_texts([TextRecord(source="scrape/3", text=text)]).added
    answer = tiny_library.ask("How many kids try their first cigarettes every day?")
    assert not answer.abstained
    citation = answer.citations[0]
    assert "3,000 kids" in citation.evidence and "%2C" not in answer.text and "general's" in citation.evidence
    stored = tiny_library.document(document_id).text
    assert stored[citation.evidence_start:citation.evidence_end] == citation.evidence
