"""A conversation exported as Markdown: every [n] points at a numbered reference that gives
the document, its date, the paragraph and the quoted sentence."""

from rag.export import conversation_markdown
from rag.results import Answer, Citation


def citation(n, evidence, *, document_id="d1", title="Navy drills", published="2016-10-14", paragraph=3):
    passage = f"Before. {evidence} After."
    return Citation(n=n, document_id=document_id, title=title, published=published, source="/data/a.txt",
                    paragraph=paragraph, start=10, end=10 + len(passage), passage=passage, evidence=evidence,
                    evidence_start=18, evidence_end=18 + len(evidence), score=0.7)


def test_references_are_numbered_across_the_conversation():
    first = Answer("which drills?", "The navies held drills [1]. They lasted\nfour days [2].", False,
                   (citation(1, "The navies held drills."), citation(2, "They lasted\nfour days.")), confidence=0.91)
    second = Answer("who attended?", "Nine ministers attended [1].", False,
                    (citation(1, "Nine ministers attended.", document_id="d2", title="", published=None,
                              paragraph=7),), confidence=0.66)
    refused = Answer("who won the cup?", "The library has no passage that answers this.", True, (), confidence=0.1)
    markdown = conversation_markdown([("which drills?", first), ("who attended?", second),
                                      ("who won the cup?", refused)], removed=frozenset({"d2"}))
    assert markdown.splitlines()[0] == "# Questions to the library"
    assert "## 1. which drills?\n\nThe navies held drills [1]. They lasted four days [2].\n\n(confidence 0.91)" in markdown
    assert "## 2. who attended?\n\nNine ministers attended [3]." in markdown  # its [1] is the export's [3]
    assert "## 3. who won the cup?\n\n*Not answered:* The library has no passage that answers this." in markdown
    references = markdown.split("## References\n\n")[1].strip().split("\n\n")
    assert references == [
        "[1] Navy drills, 2016-10-14, paragraph 3 (/data/a.txt): “The navies held drills.”",
        "[2] Navy drills, 2016-10-14, paragraph 3 (/data/a.txt): “They lasted four days.”",
        "[3] (no title) a.txt (since removed from the library), date unknown, paragraph 7 (/data/a.txt): "
        "“Nine ministers attended.”",
    ]


def test_a_conversation_without_answers_has_no_references():
    refused = Answer("q", "The library has no passage that answers this.", True, (), confidence=0.2)
    assert "References" not in conversation_markdown([("q", refused)])


def test_a_follow_up_says_how_it_was_read():
    founded = Answer("and when was it founded (SCO)?", "Founded in 2001 [1].", False,
                     (citation(1, "Founded in 2001."),), confidence=0.9)
    markdown = conversation_markdown([("and when was it founded?", founded)])
    assert "## 1. and when was it founded?\n\n*Read as:* and when was it founded (SCO)?\n\nFounded in 2001 [1]." in markdown
    assert "Read as" not in conversation_markdown([("which drills?", Answer("which drills?", "x", True, ()))])
