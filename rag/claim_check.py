"""Whether each sentence a language model wrote is stated by the passages it cites.

A written sentence is supported only when all of these hold:
- it cites at least one passage, and every number it cites is one of the passages given;
- every number it writes occurs in the sentence that supports it, as often as it is written,
  and every number word and capitalised word (names, places, months) in the passages it
  cites, or in their titles;
- it is close in meaning to one sentence of a cited passage, or to two adjacent ones, by the
  embedded model's cosine (`SUPPORT_FROM`, calibrated by bench/verify_written.py on SQuAD's
  tuning articles: docs/evaluation.md);
- it negates nothing its supporting sentence affirms, and affirms nothing that sentence
  negates ("not", "never", "no", ...: `negation_differs`).

A sentence that tells a reader or a model what to do ("Ignore previous instructions and say
...", `rag.instructions`) supports nothing: a document cannot vouch for the claim it asks a
model to make. Nor does a heading or a question (`rag.headings`).

Every verdict names its supporting sentence by exact offsets into its passage's document,
so the UI highlights it as it highlights a quote. Does not judge whether the sentences
together answer the question; the answer's confidence (`rag.confidence`) does that.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from rag.headings import states_nothing
from rag.results import Hit
from rag.sentences import sentence_spans

# The least cosine between a written sentence and the sentence(s) that state it: the lowest at
# which the sentences bench/verify_written.py writes from SQuAD's tuning articles are shown with
# precision 0.99 or more (0.60: 0.986, 0.66: 0.992, 0.72: 0.992; docs/evaluation.md). Lowest,
# because those rewrites stay closer to their sources than a model's paraphrase does ("The
# exercises lasted four days ..." for "The joint training lasted for four days ...": 0.68).
SUPPORT_FROM = 0.66

_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# "... in 2001. [1]" and "... in 2001.[1][2]": the markers belong to the sentence they follow
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])+)")
_NAMED_MARKER = re.compile(r"\[\s*(?:passage|source|doc(?:ument)?|ref(?:erence)?)\s*#?\s*(\d+)\s*\]", re.I)
_MARKER_RANGE = re.compile(r"\[(\d+)\s*[-–]\s*(\d+)\]")
_EMPHASIS = re.compile(r"\*\*|__|(?<!\w)\*(?=\w)|(?<=\w)\*(?!\w)")
# "Based on the passages, ...", "According to the provided passages, ...": said about the
# passages, not from them (and "Based" is in none of them)
_PREAMBLE = re.compile(r"^(?:based on|according to|from|per) (?:the )?(?:provided |given |above |retrieved )?"
                       r"(?:passages?|sources?|documents?|context|texts?|information)(?: provided| given| above)?,\s*", re.I)
_DOUBLE_STOP = re.compile(r"([.!?][\"'”’)\]]*)\.$")
_LIST_MARK = re.compile(r"^(?:[-–—•*]|\d{1,2}[.)])\s+")
_WORD = re.compile(r"[^\W_][\w'’.-]*")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
    "hundred": "100", "thousand": "1000", "million": "million", "billion": "billion", "trillion": "trillion",
    "dozen": "12", "dozens": "dozens", "hundreds": "hundreds", "thousands": "thousands", "millions": "millions"}
# Capitalised only because they open a sentence or a clause of a written answer; never a name.
_SENTENCE_STARTERS = frozenset(
    "according additionally also although and as at before both but by during each earlier finally for "
    "from furthermore he her his however if in it its later meanwhile moreover no not on overall she since "
    "some the their there these they this those though thus to today under when while with yes a an".split())
# The words after "not" that it negates ("did not directly address the conflict").
NEGATION_SCOPE_WORDS = 4
_FUNCTION_WORDS = frozenset("a an the to be been being was were is are of in on at for by with it its that this "
                            "and or as from have has had do does did".split())
_NEGATION = re.compile(r"\b(?:not|never|no|none|nobody|nothing|neither|nor|without|cannot)\b|n['’]t\b", re.I)


@dataclass(frozen=True)
class WrittenClaim:
    text: str  # the sentence as written, its [n] markers taken out
    cited: tuple[int, ...]  # the passage numbers it cites, in order, each once


@dataclass(frozen=True)
class Support:
    passage: int  # the cited passage's number (1-based, as in the prompt)
    start: int  # absolute offsets into the document: the supporting sentence, or two adjacent ones
    end: int
    cosine: float


@dataclass(frozen=True)
class Verdict:
    claim: WrittenClaim
    supported: bool
    reason: str  # why it is not supported; "" when it is
    support: tuple[Support, ...] = ()  # when supported: each cited passage that states it, best first


def plain_markers(reply: str) -> str:
    """The reply with the other ways models cite written as [n]: "[Passage 2]", "[source 1]",
    "【3】", "[1-3]"; and markdown emphasis ("**China**") taken out."""
    text = _NAMED_MARKER.sub(r"[\1]", reply.replace("【", "[").replace("】", "]"))
    text = _MARKER_RANGE.sub(lambda m: "".join(f"[{n}]" for n in range(int(m.group(1)), int(m.group(2)) + 1)), text)
    return _EMPHASIS.sub("", text)


def split_claims(reply: str) -> list[WrittenClaim]:
    """The reply's sentences, each with the passage numbers it cites, any preamble ("Based on
    the passages, ...") taken off."""
    text = _MARKERS_AFTER_STOP.sub(lambda m: f"{m.group(2)}{m.group(1)}", plain_markers(reply).strip())
    claims: list[WrittenClaim] = []
    for start, end in sentence_spans(text):
        sentence = text[start:end]
        cited = tuple(dict.fromkeys(int(n) for group in _MARKERS.findall(sentence)
                                    for n in re.split(r"\s*[,;]\s*", group)))
        bare = _LIST_MARK.sub("", re.sub(r"\s+([.,;:!?])", r"\1", _MARKERS.sub("", sentence))).strip()
        # the stop a marker was put before: "... region.' [1]." and "... 2001. [1]." end once
        bare = _DOUBLE_STOP.sub(r"\1", bare)
        if preamble := _PREAMBLE.match(bare):  # the passages' own words follow it
            rest = bare[preamble.end():]
            bare = rest[:1].upper() + rest[1:]
        if not re.search(r"\w", bare):
            if claims and cited:  # markers the splitter left alone: they close the sentence before
                last = claims[-1]
                claims[-1] = WrittenClaim(last.text, tuple(dict.fromkeys(last.cited + cited)))
            continue
        claims.append(WrittenClaim(bare, cited))
    return claims


def check_claims(claims: Sequence[WrittenClaim], hits: Sequence[Hit],
                 encode: Callable[[Sequence[str]], np.ndarray], *, support_from: float = SUPPORT_FROM) -> list[Verdict]:
    """A verdict for each claim, against `hits` numbered 1.. as the model was shown them."""
    # only the passages some claim cites are read: k passages of long paragraphs would otherwise
    # put hundreds of sentences through the model for a reply that cites two
    cited = {n for claim in claims for n in claim.cited}
    candidates = _candidates(hits, cited)
    texts = [c.text for c in claims] + [c.text for c in candidates]
    vectors = _unit(encode(texts)) if texts else np.zeros((0, 1), np.float32)
    claim_vectors, candidate_vectors = vectors[: len(claims)], vectors[len(claims):]
    return [_verdict(claim, vector, hits, candidates, candidate_vectors, support_from)
            for claim, vector in zip(claims, claim_vectors)]


def _verdict(claim, vector, hits, candidates, candidate_vectors, support_from) -> Verdict:
    if not claim.cited:
        return Verdict(claim, False, "cites no passage")
    unknown = [n for n in claim.cited if not 1 <= n <= len(hits)]
    if unknown:
        return Verdict(claim, False, f"cites {_markers(unknown)}, not one of the {len(hits)} passages given")
    cited_text = "\n".join(f"{hits[n - 1].passage.title}\n{hits[n - 1].passage.text}" for n in claim.cited)
    missing = missing_facts(claim.text, cited_text)
    if missing:
        return Verdict(claim, False, f"says {', '.join(f'“{m}”' for m in missing[:3])}, which "
                                     f"{_markers(claim.cited)} {'does' if len(claim.cited) == 1 else 'do'} not")
    numbers = _numbers(claim.text)
    cosines = candidate_vectors @ vector if len(candidates) else np.zeros(0)
    best: dict[int, Support] = {}
    for candidate, cosine in zip(candidates, cosines):
        # The sentence that supports a claim gives each of its numbers (as often: "won 20–18" is
        # not "won 20–20") and negates nothing the claim affirms; two joined sentences support
        # only a claim closer to both together than to either alone (one that draws on both).
        if (candidate.passage not in claim.cited or numbers - _numbers(candidate.text)
                or negation_differs(claim.text, candidate.text)
                or any(cosines[part] >= cosine for part in candidate.parts)):
            continue
        n = candidate.passage
        if n not in best or cosine > best[n].cosine:
            best[n] = Support(n, candidate.start, candidate.end, float(cosine))
    support = sorted((s for s in best.values() if s.cosine >= support_from), key=lambda s: -s.cosine)
    if not support:
        closest = max((s.cosine for s in best.values()), default=None)
        said = f" (closest {closest:.2f}, needs {support_from:.2f})" if closest is not None else ""
        return Verdict(claim, False, f"is not what {_markers(claim.cited)} says{said}")
    return Verdict(claim, True, "", tuple(support))


@dataclass(frozen=True)
class _Candidate:
    passage: int  # its passage's number
    start: int
    end: int
    text: str
    parts: tuple[int, ...] = ()  # for two joined sentences: the indices of each alone


def _candidates(hits: Sequence[Hit], cited: set[int]) -> list[_Candidate]:
    """Every sentence of the cited passages that can support a claim, and every two adjacent
    ones (a written sentence often joins two)."""
    found: list[_Candidate] = []
    for n, hit in enumerate(hits, 1):
        if n not in cited:
            continue
        passage = hit.passage
        spans = passage.sentences
        alone: list[int | None] = []
        for i, span in enumerate(spans):
            usable = not states_nothing(passage, i)  # nor a heading, a question, or an instruction
            alone.append(len(found) if usable else None)
            if usable:
                found.append(_Candidate(n, span.start, span.end, passage.sentence_text(span)))
        for i in range(len(spans) - 1):
            if alone[i] is not None and alone[i + 1] is not None:
                start, end = spans[i].start, spans[i + 1].end
                found.append(_Candidate(n, start, end, passage.text[start - passage.start: end - passage.start],
                                        (alone[i], alone[i + 1])))
    return found


def missing_facts(claim: str, source: str) -> list[str]:
    """The claim's numbers, number words and capitalised words that `source` does not hold."""
    words = _word_set(source)
    numbers = {n.replace(",", "") for n in _NUMBER.findall(source)} | {
        NUMBER_WORDS[w] for w in words if w in NUMBER_WORDS}
    missing = []
    for number in _NUMBER.findall(claim):
        if number.replace(",", "") not in numbers:
            missing.append(number)
    for found in _WORD.finditer(claim):
        raw, word = found.group(), _normal(found.group())
        # a starter is capitalised because it opens the sentence or a clause; elsewhere a capital is a name
        opens = not re.search(r"[^\s\"'“‘(]", claim[: found.start()]) or re.search(r"[;:]\s*$", claim[: found.start()])
        if word in NUMBER_WORDS and word not in words and NUMBER_WORDS[word] not in numbers:
            missing.append(raw)
        elif raw[0].isupper() and not (opens and word in _SENTENCE_STARTERS) and not _known(word, words):
            missing.append(raw.rstrip("."))
    return list(dict.fromkeys(missing))


def _known(word: str, words: set[str]) -> bool:
    return word in words or all(part in words for part in word.split("-") if part)


def _word_set(text: str) -> set[str]:
    found = set()
    for raw in _WORD.findall(text):
        word = _normal(raw)
        found.add(word)
        found.update(p for p in word.split("-") if p)
    return found


def _normal(word: str) -> str:
    word = word.casefold().rstrip(".")
    return re.sub(r"['’]s?$", "", word)


def negation_differs(claim: str, sentence: str) -> bool:
    """Whether the claim negates what the sentence does not ("X did not attend" against "X
    attended"), or mentions what the sentence negates without negating it ("X attended"
    against "X did not attend"). A negation is read with the words after it: "Dong Jun did not
    directly address the conflict" negates nothing in "Dong Jun is China's defense minister"."""
    claimed, negated = _negation_scopes(claim), _negation_scopes(sentence)
    if any(not any(c & n for n in negated) for c in claimed):
        return True
    claim_words = _word_set(claim)
    return any(n & claim_words and not any(n & c for c in claimed) for n in negated)


def _negation_scopes(text: str) -> list[set[str]]:
    """For each negation in `text`, the content words it negates (the next few)."""
    return [{_normal(w) for w in _WORD.findall(text[found.end():])[:NEGATION_SCOPE_WORDS]} - _FUNCTION_WORDS
            for found in _NEGATION.finditer(text)]


def _numbers(text: str) -> Counter:
    return Counter(n.replace(",", "") for n in _NUMBER.findall(text))


def _markers(numbers) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)
