"""HTML built for the UI: untrusted text is always escaped, markers link to their cards."""

from rag.confidence import ANSWER_FROM, UNCERTAIN_BELOW
from rag.render import (REMOVED_NOTE, answer_html, card_html, confidence_html, document_page, escape, group_citations,
                        library_stats_html)
from rag.library import LibraryStats
from rag.results import Answer, Citation, Document

EVIL = "<script>alert(1)</script> & <img src=x onerror=alert(2)> costs $5 and $6"


def citation(n, evidence_start, evidence_end, passage=EVIL, start=100):
    return Citation(n=n, document_id="d", title="<b>Title</b>", published=None, source="/x/<y>.txt",
                    paragraph=1, start=start, end=start + len(passage), passage=passage,
                    evidence=passage[evidence_start - start:evidence_end - start],
                    evidence_start=evidence_start, evidence_end=evidence_end, score=0.5)


def test_escape_neutralises_markup_and_latex():
    out = escape(EVIL)
    assert "<" not in out and ">" not in out and "$" not in out
    assert "&lt;script&gt;" in out


def test_answer_markers_become_links_and_text_is_escaped():
    answer = Answer("q", f"{EVIL} [1] more [2]", False, (citation(1, 100, 110), citation(2, 100, 110)))
    out = answer_html(answer, "q3")
    assert '<a class="cite" href="#q3-source-1">[1]</a>' in out
    assert '<a class="cite" href="#q3-source-2">[2]</a>' in out
    assert "<script>" not in out and "<img" not in out


def test_the_confidence_says_when_an_answer_is_uncertain():
    def shown(confidence, abstained=False):
        return confidence_html(Answer("q", "x [1]", abstained, (citation(1, 100, 110),), confidence=confidence))

    sure, unsure = shown(0.93), shown(UNCERTAIN_BELOW - 0.01)
    assert "confidence 0.93: the estimated chance that [1] answers" in sure and "uncertain" not in sure
    assert 'class="confidence uncertain"' in unsure and "check [1] before relying on it" in unsure
    refused = shown(ANSWER_FROM - 0.05, abstained=True)
    assert f"below the {ANSWER_FROM:.2f} an answer needs" in refused and "uncertain" not in refused


def test_the_confidence_names_both_sentences_of_a_claim_made_by_two():
    def said(*citations):
        return confidence_html(Answer("q", "x", False, citations, confidence=0.93))

    # two sentences of one passage, or the sentence right after a paragraph break: one claim
    assert "chance that [1] read with [2] answers" in said(citation(1, 100, 110), citation(2, 111, 120))
    end = 100 + len(EVIL)  # the first passage's last sentence ends it; the next starts after "\n\n"
    after_break = citation(2, end + 2, end + 9, start=end + 2)
    assert "chance that [1] read with [2] answers" in said(citation(1, 110, end), after_break)
    # a run of three (a sentence with the one before and the one after it) is one claim too
    assert "chance that [1], [2] read with [3] answers" in said(citation(1, 100, 110), citation(2, 111, 120),
                                                                 citation(3, 121, 130))
    # a second entry from elsewhere in the document is a claim of its own
    far = citation(2, end + 50, end + 57, start=end + 50)
    assert "chance that [1] answers" in said(citation(1, 100, 110), far)


def test_card_highlights_each_evidence_and_escapes_everything():
    group = [citation(1, 100, 125), citation(2, 128, 162)]
    out = card_html(group, "q0")
    assert out.count("<mark>") == 2 and "<script>" not in out and "<img" not in out and "<b>Title" not in out
    assert 'id="q0-source-1"' in out and 'id="q0-source-2"' in out


def test_citations_of_one_passage_share_a_card():
    a, b, c = citation(1, 100, 110), citation(2, 112, 120), citation(3, 10, 20, passage="other text here", start=5)
    assert group_citations(Answer("q", "", False, (a, b, c))) == [[a, b], [c]]


def test_document_page_marks_the_passage_and_only_runs_its_own_script():
    text = "First paragraph.\n\n" + EVIL + "\n\nLast paragraph."
    document = Document("d", "T", None, "s", "h", "txt", text, 3, 3)
    start = text.index("<script>")
    page = document_page(document, start, start + len(EVIL))
    assert page.count("<script>") == 1 and "scrollIntoView" in page
    assert '<mark id="cited">&lt;script&gt;' in page


def test_a_document_without_title_shows_its_source_as_a_source():
    untitled = Citation(n=1, document_id="d", title="", published=None, source="/data/<x>/000_806c.txt",
                        paragraph=1, start=0, end=4, passage="text", evidence="text",
                        evidence_start=0, evidence_end=4, score=0.5)
    head = card_html([untitled], "q0").split('<div class="card-source">')[0]
    assert '<i>(no title)</i> <code>000_806c.txt</code>' in head and "<b>000_806c" not in head
    assert untitled.display_title == "(no title) 000_806c.txt"
    page = document_page(Document("d", "", None, "crm/<4711>", "h", "text", "Body.", 1, 1), 0, 5)
    assert "<h3><span class=\"untitled\"><i>(no title)</i> <code>crm/&lt;4711&gt;</code></span></h3>" in page
    titled = card_html([citation(1, 100, 110)], "q0")
    assert "<b>&lt;b&gt;Title&lt;/b&gt;</b>" in titled


def test_a_removed_source_is_marked_on_its_card():
    group = [citation(1, 100, 110)]
    assert REMOVED_NOTE not in card_html(group, "q0")
    removed = card_html(group, "q0", removed=True)
    assert removed.startswith('<div class="card removed" id="q0-source-1">') and REMOVED_NOTE in removed


def test_the_sidebar_names_a_less_exact_kind_of_vectors_only():
    assert "vectors" not in library_stats_html(LibraryStats(2, 25, "m", 384, 1), read_only=False)
    line = library_stats_html(LibraryStats(2, 25, "m", 384, 1, "onnx-int8"), read_only=False)
    assert "· onnx-int8 vectors</div>" in line


def test_model_name_may_wrap_only_after_its_slash():
    stats = LibraryStats(2, 25, "sentence-transformers/<all>-MiniLM", 384, 1)
    line = library_stats_html(stats, read_only=True)
    assert ('<code><span class="whole">sentence-transformers/</span><wbr><span class="whole">&lt;all&gt;-MiniLM'
            "</span></code>") in line and "read-only replica" in line


def test_a_confidence_lowered_for_an_older_page_says_so_in_the_page():
    answer = Answer("which airline announced a deal this week?", "x [1]", False, (citation(1, 100, 110),),
                    confidence=0.2, older_page=("2016-02-05", "2022-07-29"))
    shown = confidence_html(answer)
    assert "lowered because the best evidence is from a page of 2016-02-05" in shown
    assert "news of 2022-07-29" in shown and "check [1] before relying on it" in shown
    refused = confidence_html(Answer("q", "none", True, (), confidence=0.05, older_page=("2016-02-05", "2022-07-29")))
    assert "below the" in refused and "page of 2016-02-05" in refused
