"""Answers written by the user's own language model, shown only as far as their citations hold.

`WritingAnswerer` is an `Answerer`: it first composes the quoted answer (the default
answerer's), and writes only when that would answer. A question the library cannot answer is
refused as before, without asking the model, whose fluent prose over unrelated passages is
exactly what abstention exists to prevent. Then:

1. the model gets the question and the retrieved passages, numbered and fenced as untrusted
   data (`rag.written_prompt`), and its reply streams to `on_text` as it arrives;
2. each written sentence is checked against the passages it cites (`rag.claim_check`);
3. the supported sentences become the answer, each cited with the sentence(s) that state it by
   exact offsets, so the UI highlights them as it highlights quotes; the unsupported ones are
   kept in `Answer.written` with the reason, for the UI and CLI to show as dropped;
4. a reasoning model's <think> block is not part of the answer, and the last sentence of a
   reply cut at the token limit is dropped as unfinished;
5. when the model cannot be used (no server, timeout, HTTP error, refusal, empty or malformed
   reply) or no sentence holds, the quoted answer is returned with `written.failure` saying why.

The confidence stays the quoted answer's: the estimated chance that the library's best
evidence answers. Nothing here checks that the written sentences answer the question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from rag.answerer import Answerer, ExtractiveAnswerer, Retrieved
from rag.answers import cite_span
from rag.chat_model import ChatModel, LanguageModelError
from rag.claim_check import Support, Verdict, check_claims, split_claims
from rag.query import Query
from rag.results import Answer, Citation, Hit, Writing, WrittenSentence
from rag.written_prompt import is_refusal, messages, without_thinking

NOT_ASKED = "not written: the library's evidence is below the confidence an answer needs, so the model was not asked"
NO_ANSWER_IN_PASSAGES = "the model found no answer in the passages; the quoted evidence is shown instead"
CUT_OFF = "the reply was cut off here, at the model's token limit"
NOTHING_HELD = "no written sentence is stated by the passages it cites; the quoted answer is shown instead"


class WritingAnswerer:
    def __init__(self, model: ChatModel, encode: Callable[[Sequence[str]], np.ndarray], *,
                 quoting: Answerer | None = None, on_text: Callable[[str], None] | None = None):
        self.model = model
        self.encode = encode
        self.quoting = quoting or ExtractiveAnswerer()
        self.on_text = on_text

    def answer(self, query: Query, retrieved: Retrieved, *, answer_from: float) -> Answer:
        quoted = self.quoting.answer(query, retrieved, answer_from=answer_from)
        if quoted.abstained:
            return replace(quoted, written=Writing(self.model.model, failure=NOT_ASKED))
        try:
            reply = self.model.complete(messages(query.text, retrieved.hits), on_text=self.on_text)
        except LanguageModelError as error:
            return replace(quoted, written=Writing(self.model.model, failure=f"{error}; the quoted answer is shown instead"))
        text = without_thinking(reply.text)
        if is_refusal(text):
            return replace(quoted, written=Writing(self.model.model, failure=NO_ANSWER_IN_PASSAGES))
        claims = split_claims(text)
        # a reply stopped at the token limit stopped mid-sentence: its last is no claim
        unfinished = claims.pop() if reply.cut_off and claims else None
        verdicts = check_claims(claims, retrieved.hits, self.encode)
        if unfinished:
            verdicts.append(Verdict(unfinished, False, CUT_OFF))
        return written_answer(quoted, verdicts, retrieved.hits, retrieved.cosines, self.model.model)


def written_answer(quoted: Answer, verdicts: list[Verdict], hits: list[Hit], cosines: list[float],
                   model: str) -> Answer:
    """The supported sentences as the answer, each with the evidence that states it; the quoted
    answer with the reason when none is supported."""
    citations: dict[tuple[str, int, int], Citation] = {}
    sentences, pieces = [], []
    for verdict in verdicts:
        numbers = []
        for support in verdict.support:
            hit = hits[support.passage - 1]
            key = (hit.passage.document_id, support.start, support.end)
            if key not in citations:
                citations[key] = _cite(len(citations) + 1, hit, support, cosines[support.passage - 1])
            numbers.append(citations[key].n)
        sentences.append(WrittenSentence(verdict.claim.text, verdict.claim.cited, verdict.supported,
                                         verdict.reason, tuple(numbers)))
        if verdict.supported:
            pieces.append(_with_markers(verdict.claim.text, numbers))
    if not pieces:
        return replace(quoted, written=Writing(model, tuple(sentences), failure=NOTHING_HELD))
    return replace(quoted, text=" ".join(pieces), citations=tuple(citations.values()),
                   written=Writing(model, tuple(sentences)))


def _with_markers(text: str, numbers: list[int]) -> str:
    """"Founded in 2001. [1]": markers after the sentence, as the quoted answer puts them."""
    return f"{text.rstrip()} {''.join(f'[{n}]' for n in numbers)}"


def _cite(n: int, hit: Hit, support: Support, cosine: float) -> Citation:
    passage = hit.passage
    paragraph = next((s.paragraph for s in passage.sentences if s.start == support.start), passage.paragraph)
    return cite_span(n, passage, support.start, support.end, paragraph, score=cosine, evidence_score=support.cosine)
