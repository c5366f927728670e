"""The rooms made for new stages and answerers (issue 12): a search stage is one entry in
`rag.search_stages.STAGES`, an answerer one object with an `answer` method, and each is
used by `Library.search` / `Library.ask` as they stand (real library, tiny model)."""

from rag import TextRecord
from rag import search_stages
from rag.answerer import ExtractiveAnswerer, Retrieved
from rag.results import Answer, Citation

RECORDS = [
    TextRecord(source="volcano", text="Magma rises through the crust and erupts as lava from the volcano vent."),
    TextRecord(source="bees", text="Worker bees collect nectar from flowers and store honey in wax combs."),
    TextRecord(source="tides", text="The gravity of the moon pulls the oceans and causes high and low tides."),
]


def test_a_new_search_stage_is_one_entry_in_the_list(tiny_library, monkeypatch):
    tiny_library.add_texts(RECORDS)
    before = tiny_library.search("lava from the volcano", k=3, mode="lexical")

    class Reverse:  # a stand-in re-ranker: the worst first
        def __call__(self, run):
            run.ranked = list(reversed(run.ranked))

    stages = list(search_stages.STAGES["lexical"])
    monkeypatch.setitem(search_stages.STAGES, "lexical", (*stages[:-1], Reverse(), stages[-1]))
    after = tiny_library.search("lava from the volcano", k=3, mode="lexical")
    assert [h.passage.id for h in after] == [h.passage.id for h in reversed(before)]
    assert [h.rank for h in after] == list(range(1, len(after) + 1))


def test_the_library_answers_with_the_answerer_it_is_given(tiny_library):
    tiny_library.add_texts(RECORDS)
    seen: list[Retrieved] = []

    class FirstSentence:  # a stand-in answerer: quotes the first sentence of the top hit
        def answer(self, query, retrieved, *, answer_from):
            seen.append(retrieved)
            p = retrieved.hits[0].passage
            start, end, _ = p.sentences[0]
            text = p.text[start - p.start : end - p.start]
            citation = Citation(n=1, document_id=p.document_id, title=p.title, published=p.published,
                                source=p.source, paragraph=p.paragraph, start=p.start, end=p.end, passage=p.text,
                                evidence=text, evidence_start=start, evidence_end=end,
                                score=retrieved.cosines[0])
            return Answer(query.text, f"{text} [1]", abstained=False, citations=(citation,), confidence=0.5)

    tiny_library.answerer = FirstSentence()
    answer = tiny_library.ask("where do bees store honey?")
    assert len(seen) == 1 and seen[0].hits and len(seen[0].cosines) == len(seen[0].hits)
    assert answer.text.endswith("[1]") and answer.confidence == 0.5
    c = answer.citations[0]
    assert isinstance(c, Citation)
    assert tiny_library.document(c.document_id).text[c.evidence_start:c.evidence_end] == c.evidence


def test_the_default_answerer_is_the_extractive_one(tiny_library):
    assert isinstance(tiny_library.answerer, ExtractiveAnswerer)
