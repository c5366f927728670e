"""Subheadings and questions are never evidence: the tests, and answers over a library that holds them."""

import pytest

from rag import TextRecord
from rag.headings import is_heading, is_question, states_nothing
from rag.results import Passage

PARAGRAPHS = ["What happens next", "Members will vote on the offer next week.",
              "- India", "A second strike has been suspended"]


def _passage(paragraphs: list[str]) -> Passage:
    """One passage over `paragraphs`, each paragraph one sentence, as ingest stores them."""
    text, spans, position = "\n\n".join(paragraphs), [], 0
    for number, paragraph in enumerate(paragraphs, 1):
        spans.append((position, position + len(paragraph), number))
        position += len(paragraph) + 2
    return Passage(1, "doc", "Rail strike", None, "doc.md", 1, 0, len(text), text, tuple(spans))


@pytest.mark.parametrize("index, heading", [
    (0, True),    # a short paragraph that does not end like a sentence, text after it
    (1, False),   # a sentence
    (2, False),   # a list item may be the answer
    (3, False),   # the passage's last line: nothing after it to head
])
def test_a_heading_is_a_short_unfinished_paragraph_over_more_text(index, heading):
    assert is_heading(_passage(PARAGRAPHS), index) is heading


def test_a_sentence_cut_by_a_line_break_is_no_heading():
    """SQuAD's "Concentrated O\n2 is ..." (a subscript on its own line) is one sentence."""
    assert not is_heading(_passage(["Concentrated O", "2 is a strong oxidiser in the lab."]), 0)


def test_a_sentence_sharing_its_paragraph_is_no_heading():
    passage = _passage(["Vote next week", "Members will vote."])
    one_paragraph = Passage(1, "doc", "t", None, "d", 1, 0, 33, "Vote next week Members will vote.",
                            ((0, 14, 1), (15, 33, 1)))
    assert is_heading(passage, 0) and not is_heading(one_paragraph, 0)


def _ask_of_one_text(library, text: str, title: str, question: str):
    """`question` asked of a library holding only `text`, however weak the answer."""
    library.add_texts([TextRecord("doc", text, title=title)])
    return library.ask(question, min_confidence=0)


def test_answers_never_quote_a_heading(tiny_library):
    answer = _ask_of_one_text(
        tiny_library, "Rail strike called off\n\nThe union called off the national rail strike after a late deal.\n\n"
        "What happens next\n\nMembers will vote on the offer next week, the union said.",
        "Rail strike called off", "What happens next?")
    assert answer.citations
    assert all(c.evidence != "What happens next" for c in answer.citations)


@pytest.mark.parametrize("sentence, asks", [
    ("Which pop star will perform at the halftime show?", True),
    ('"Why would we leave?"', True),
    ("(Why did it take two months?)", True),
    ("Why is the park charging for parking? ", True),
    ("The singer will perform at the halftime show.", False),
    ('"Why would we leave?" she asked.', False),  # a sentence that reports a question states that
    ("Who knows.", False),
    ("The star will be the first Asian American featured on the back of which US currency?", True),
    ('He asked reporters, "which way is the exit?"', False),
    ('The 86th thesis, which asks: "Why does the pope build with the money of the poor?"', False),
    # sentences that state something before the question or title they end with
    ('Tesla said he did not believe in telepathy, stating, "Now, why would I?"', False),
    ("ABC refocused on comedies, including Roseanne and Who's the Boss?", False),
])
def test_a_question_is_a_sentence_that_asks(sentence, asks):
    assert is_question(sentence) is asks


def test_a_question_in_a_passage_states_nothing():
    passage = _passage(["Who will perform?", "Members will vote on the offer next week."])
    assert states_nothing(passage, 0) and not states_nothing(passage, 1)


def test_answers_never_quote_the_question_back(tiny_library):
    """A news quiz or an explainer asks the very question the reader asks: its question
    sentence is the closest in words, but the sentence that answers is the one to cite."""
    answer = _ask_of_one_text(
        tiny_library, "Which pop star will perform at the halftime show next year?\n\n"
        "The league said on Sunday that the pop star Rihanna will perform at the halftime show next year.",
        "Halftime show", "Which pop star will perform at the halftime show next year?")
    assert answer.citations
    assert "Rihanna" in answer.citations[0].evidence
    assert all(not c.evidence.endswith("?") for c in answer.citations)
