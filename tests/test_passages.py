"""Passage cutting: exact offsets, fragments merged, long paragraphs split to fit."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.passages import PARAGRAPH_SEPARATOR, build_passages
from rag.sentences import sentence_spans


def word_tokens(texts):
    """A stand-in tokenizer: one token per word, plus two special tokens."""
    return [len(text.split()) + 2 for text in texts]


def cut(paragraphs, max_tokens=256):
    return PARAGRAPH_SEPARATOR.join(paragraphs), build_passages(
        paragraphs, count_tokens=word_tokens, max_tokens=max_tokens
    )


def test_one_passage_per_paragraph():
    paragraphs = ["This first paragraph has more than ten words in it, clearly enough.",
                  "And the second paragraph also has plenty of words to stand alone."]
    text, passages = cut(paragraphs)
    assert [text[p.start:p.end] for p in passages] == paragraphs
    assert [p.paragraph for p in passages] == [1, 2]


def test_short_fragments_merge_into_a_neighbour():
    paragraphs = ["By Jane Doe", "A real paragraph that has more than ten words in it for sure, yes.",
                  "Photo: AP"]
    text, passages = cut(paragraphs)
    assert len(passages) == 1
    assert text[passages[0].start:passages[0].end] == text
    assert passages[0].paragraph == 2  # the paragraph holding most of the text


def test_long_paragraph_split_at_sentences_within_window():
    sentence = "Each of these sentences has exactly ten words in it."
    paragraph = " ".join([sentence] * 30)
    text, passages = cut([paragraph], max_tokens=50)
    assert len(passages) > 1
    for p in passages:
        piece = text[p.start:p.end]
        assert word_tokens([piece])[0] <= 50
        assert piece.startswith("Each") and piece.endswith("in it.")
    assert " ".join(text[p.start:p.end] for p in passages) == paragraph  # nothing lost


def test_overlong_sentence_split_at_words():
    paragraph = " ".join(f"word{i}" for i in range(500)) + "."
    text, passages = cut([paragraph], max_tokens=64)
    assert all(word_tokens([text[p.start:p.end]])[0] <= 64 for p in passages)
    assert " ".join(text[p.start:p.end] for p in passages) == paragraph


def test_sentence_spans_slice_exactly():
    text = 'Dr. Smith went to Washington. He said "Hi." Then left...  Ok'
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces[0] == "Dr. Smith went to Washington."
    assert "".join(pieces).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("text, sentences", [
    # CNN's single quotes: pysbd gave the closing quote a sentence of its own
    ("The group says it aims to 'make joint efforts to maintain peace in the region.' It met in June.",
     ["The group says it aims to 'make joint efforts to maintain peace in the region.'", "It met in June."]),
    ('It means \u201cworrying too much about minor details." Roberts used the word in 1905.',
     ['It means \u201cworrying too much about minor details."', "Roberts used the word in 1905."]),
    ("It met in June. The group says it aims to 'make joint efforts to maintain peace in the region.'",
     ["It met in June.", "The group says it aims to 'make joint efforts to maintain peace in the region.'"]),
    ('She said "no." He left.', ['She said "no."', "He left."]),
    # an opening quote is not a closer: it stays with the sentence it opens
    ('He left. "We will return," she said.', ["He left.", '"We will return," she said.']),
])
def test_a_closing_quote_stays_with_the_sentence_it_closes(text, sentences):
    assert [text[s:e] for s, e in sentence_spans(text)] == sentences


paragraph_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"), min_size=1, max_size=300
).map(lambda s: " ".join(s.split())).filter(bool)


@settings(max_examples=150, deadline=None)
@given(st.lists(paragraph_text, min_size=1, max_size=8), st.integers(min_value=8, max_value=80))
def test_passages_cover_text_exactly(paragraphs, max_tokens):
    text, passages = cut(paragraphs, max_tokens=max_tokens)
    covered = []
    for p in passages:
        assert 0 <= p.start < p.end <= len(text)
        for s in p.sentences:
            assert p.start <= s.start < s.end <= p.end
            assert text[s.start:s.end] == text[s.start:s.end].strip()
            covered.append(text[s.start:s.end])
    # every non-space character of the document is in exactly one sentence, in order
    assert "".join(covered).replace(" ", "") == text.replace(" ", "").replace("\n", "")


def test_a_wire_dateline_lead_belongs_to_no_passage_or_sentence():
    paragraphs = ["WASHINGTON, June 26 (Reuters) - The U.S. said it would send two more ships to the Gulf.",
                  "Officials gave no date for the deployment, which needs the approval of Congress."]
    lead = len("WASHINGTON, June 26 (Reuters) - ")
    text = PARAGRAPH_SEPARATOR.join(paragraphs)
    passages = build_passages(paragraphs, count_tokens=word_tokens, max_tokens=256, lead=lead)
    assert passages[0].start == lead and text[passages[0].start:].startswith("The U.S. said")
    assert all(s.start >= lead for p in passages for s in p.sentences)
    assert [text[s.start:s.end] for s in passages[0].sentences][0] == paragraphs[0][lead:]
