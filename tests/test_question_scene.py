"""A question's scene (what it restates before it asks) counts for less in the evidence."""

import pytest

from rag import TextRecord, answers
from rag.question_scene import scene_terms


def test_the_scene_is_every_sentence_but_the_asking_one():
    assert scene_terms("Chuck Yeager died this week at 97. What did he do to make history?") >= {"yeager", "97"}
    assert "histori" not in scene_terms("Chuck Yeager died this week at 97. What did he do to make history?")


@pytest.mark.parametrize("question", [
    "Who won the primary in Wyoming?",
    "Which Republican won the primary in Wyoming, where Liz Cheney lost her seat?",
])
def test_a_one_sentence_question_has_no_scene(question):
    assert scene_terms(question) == frozenset()


def test_words_the_asking_sentence_repeats_are_not_scene():
    assert "wyom" not in scene_terms("Cheney lost in Wyoming. Who won in Wyoming?")


STORIES = [
    ("Microsoft retired its Internet Explorer browser on Wednesday after 27 years.\n\n"
     "The browser debuted in 1995 as an add-on to Windows 95.",
     "Microsoft retired its Internet Explorer browser this week. What year did it debut?", "1995"),
    ("Anne Heche, an actress whose film and television career spanned three decades, died on Friday "
     "after a car crash.\n\nHer breakthrough role came in the soap opera Another World, which won her an Emmy.",
     "Actress Anne Heche died after a car crash. What soap opera was her breakthrough role?", "Another World"),
]


def _answer(tmp_path, encoder, story, question) -> str:
    from rag import Library

    with Library.open(tmp_path / "library", encoder=encoder) as library:
        library.add_texts([TextRecord("story", story, title="News")])
        return library.ask(question, min_confidence=0).text


@pytest.mark.parametrize("story, question, detail", STORIES)
def test_the_detail_asked_is_cited_beside_the_lede_that_restates_the_scene(tmp_path, minilm_encoder,
                                                                           story, question, detail):
    """The lede says everything the question's scene says and so scores highest; counting
    the scene's words for less brings the sentence with the detail asked within reach."""
    assert detail in _answer(tmp_path, minilm_encoder, story, question)


@pytest.mark.parametrize("story, question, detail", STORIES)
def test_without_the_scene_rule_only_the_lede_is_cited(tmp_path, minilm_encoder, monkeypatch,
                                                       story, question, detail):
    """The rule is what makes the difference here, not the story's wording."""
    monkeypatch.setattr(answers, "SCENE_PENALTY", 0.0)
    assert detail not in _answer(tmp_path, minilm_encoder, story, question)
