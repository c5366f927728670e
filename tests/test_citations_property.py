"""Property tests: over random documents and questions, every citation is verifiable."""

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import Library

WORDS = ("navy ship drill port oil trade minister china iran gulf harbour exercise rescue "
         "treaty summit border crude barrel admiral fleet coast visit talks").split()

word = st.sampled_from(WORDS) | st.text(alphabet="abcdefghijklmnopqrstuvwxyzéüß", min_size=1, max_size=9)
sentence = st.lists(word, min_size=3, max_size=25).map(lambda w: " ".join(w).capitalize() + ".")
paragraph = st.lists(sentence, min_size=1, max_size=6).map(" ".join)
document = st.lists(paragraph, min_size=1, max_size=8).map("\n\n".join)
question = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(lambda w: " ".join(w) + "?")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(documents=st.lists(document, min_size=1, max_size=3), questions=st.lists(question, min_size=1, max_size=3))
def test_citations_slice_their_text_and_markers_resolve(tiny_encoder, documents, questions):
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        (folder / "docs").mkdir()
        for i, text in enumerate(documents):
            (folder / "docs" / f"doc{i}.txt").write_text(text, encoding="utf-8")
        library = Library.open(folder / "library", encoder=tiny_encoder)
        library.add([folder / "docs"])
        # a passage asked back verbatim must be answered, so citations are really checked (a
        # short paragraph merged into a long passage can fall below the abstention threshold)
        verbatim = library.passages(library.documents()[0].id)[0].text
        assert not library.ask(verbatim, k=5).abstained
        for q in questions + [verbatim]:
            answer = library.ask(q, k=5)
            markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
            assert sorted(set(markers)) == [c.n for c in answer.citations]  # no dangling, no unused
            for c in answer.citations:
                text = library.document(c.document_id).text
                assert text[c.start:c.end] == c.passage
                assert text[c.evidence_start:c.evidence_end] == c.evidence
                assert c.start <= c.evidence_start < c.evidence_end <= c.end
                assert c.evidence in answer.text
                assert c.paragraph == text[: c.evidence_start].count("\n\n") + 1
            for hit in library.search(q, k=10):
                text = library.document(hit.passage.document_id).text
                assert text[hit.passage.start:hit.passage.end] == hit.passage.text
        library.close()


def test_a_passages_sentences_are_typed_spans_that_slice_their_text(tiny_library):
    """Issue 12: a sentence span says what its numbers are, and still unpacks as a tuple."""
    from rag import SentenceSpan, TextRecord

    tiny_library.add_texts([TextRecord(source="s", text="First one here. Second one there.\n\nA new paragraph.")])
    document = tiny_library.documents()[0]
    passages = tiny_library.passages(document.id)
    spans = [span for p in passages for span in p.sentences]
    assert spans and all(isinstance(span, SentenceSpan) for span in spans)
    text = tiny_library.document(document.id).text
    for p in passages:
        for start, end, paragraph in p.sentences:
            assert p.sentence_text(SentenceSpan(start, end, paragraph)) == text[start:end]
    assert [span.paragraph for span in spans] == [1, 1, 2]
