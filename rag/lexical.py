"""Text -> BM25 terms: the analyser behind the lexical index, and the FTS5 query it makes.

Owns how words are found, lower-cased, filtered, spelled (British as American: `rag.spelling`),
read as their verb when they are an irregular verb form ("said" as "say": `rag.verb_forms`)
and stemmed, identically for passages and queries (English Snowball stemmer, a short English
stopword list). `ANALYSER_VERSION` names this behaviour: a library indexed by another one is
re-indexed from its stored text when opened for writing (`rag.schema.upgrade`). The terms are stored
pre-analysed in SQLite FTS5 (see `rag.store`), so FTS5's own tokenizer only splits on the
spaces we put between them. Does not rank anything: SQLite's `bm25()` does.

Why FTS5 and not an in-memory BM25 package: the lexical rows live in the same SQLite
transaction as the passages, so the two can never disagree after a crash, and a search
needs no separate file to load. Measured against bm25s in `bench/compare_lexical.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from itertools import repeat

from rag.spelling import american
from rag.verb_forms import verb

# Words too common to say anything about relevance. Negations ("no", "not") stay: in claims
# and questions they carry meaning.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself of off on once only or other our ours ourselves
    out over own same she should so some such than that the their theirs them themselves then
    there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your yours yourself yourselves""".split()
)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Changes whenever `terms` gives other terms for the same text (2: British spellings; 3:
# irregular verb forms as their verb).
ANALYSER_VERSION = "3"


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer  # PyStemmer: Snowball's English (Porter 2) stemmer, in C

    return Stemmer.Stemmer("english")


def _normal(word: str) -> str:
    """A lower-cased word as it is stemmed: its American spelling, an irregular form as its verb."""
    return verb(american(word))


def terms(text: str) -> list[str]:
    """The BM25 terms of `text`, in order (duplicates kept: term frequency matters)."""
    words = [_normal(w) for w in (m.group().casefold() for m in _WORD.finditer(text)) if w not in STOPWORDS]
    return _stemmer().stemWords(words) if words else []


# Verbs that frame a question without saying what it is about ("what joint drills happened?",
# "when did the attack occur?"): a passage says "held drills" or "the attack on Monday", rarely
# "happened". Left out of the terms answers are judged by (coverage, the rarest word, the words
# the library knows), not of the search, which they hardly move. Tuning sets: unchanged to
# three decimals (docs/evaluation.md, "Question-frame verbs").
QUESTION_FRAME_TERMS = frozenset({"happen", "occur"})
# "What did Nasirzadeh say?" asks for the words said, and a sentence that gives them quotes
# them ("Iran's Nasirzadeh 'expressed gratitude to China ...'") with or without "said", while
# one that only mentions speech ("... that Chinese state media say attended") would match the
# verb. In such a question that verb frames it too (only it: "state" in "what did state
# officials say?" stays). It is the question's main verb: after "what did/does/will ..." its
# base form, after "what has/had ..." its past form, and then the question ends or goes on
# ("say was a 'moral obligation'", "say about Iran", a follow-up's "say (Aziz, Nasirzadeh)?").
# Not "mean": "what does the term mean?" asks for a definition, not for words someone said.
_SPEECH_BASE = "say|tell|write|warn|claim|announce|state|argue|add"
_SPEECH_PAST = "said|told|written|warned|claimed|announced|stated|argued|added"
WHAT_WAS_SAID = re.compile(
    rf"\bwhat\s+(?:(?:did|does|do|will|would|could)\s+[^?]{{1,80}}?\b(?:{_SPEECH_BASE})"
    rf"|(?:has|have|had)\s+[^?]{{1,80}}?\b(?:{_SPEECH_PAST}))"
    r"(?=\s*(?:[?,.!(]|$|(?:about|was|were|is|are|in|on|at|to|of|after|before|when|during|that|"
    r"the|a|an|he|she|they|it|this|these|those|would|will)\b))",
    re.IGNORECASE)


def question_terms(question: str) -> list[str]:
    """The terms of a question its evidence is judged by: `terms` without the frame verbs."""
    said = WHAT_WAS_SAID.search(question)
    frame = QUESTION_FRAME_TERMS | (set(terms(said.group().split()[-1])) if said else set())
    return [term for term in terms(question) if term not in frame]


def indexed_text(text: str) -> str:
    """What the lexical index stores for a passage (in its title context): its terms."""
    return " ".join(terms(text))


@lru_cache(maxsize=50_000)
def term_set(text: str) -> frozenset[str]:
    """The distinct terms of a text; cached because the sentences of popular passages are
    analysed again for every question that finds them."""
    return frozenset(terms(text))


# Each word as written -> its term (None for a stopword). Search re-reads the sentences of
# every passage it re-ranks, and a language's words repeat: a dictionary hit costs a tenth of
# folding, respelling and stemming the word again. Bounded: emptied when full.
_TERM_OF_WORD: dict[str, str | None] = {}
_TERM_OF_WORD_LIMIT = 200_000
_UNSEEN = object()


def _term_of(word: str) -> str | None:
    folded = word.casefold()
    term = None if folded in STOPWORDS else _stemmer().stemWord(_normal(folded))
    if len(_TERM_OF_WORD) >= _TERM_OF_WORD_LIMIT:
        _TERM_OF_WORD.clear()
    _TERM_OF_WORD[word] = term
    return term


def span_terms(text: str, spans: Sequence[tuple[int, int]]) -> list[list[str]]:
    """The terms of each (start, end) span of `text` (spans at word boundaries, such as
    sentences), in order: the same as `terms` of each span's text, for a fraction of the
    per-call cost."""
    known = _TERM_OF_WORD
    found = []
    for start, end in spans:
        words = _WORD.findall(text, start, end)
        span = list(map(known.get, words, repeat(_UNSEEN)))  # the dictionary read in C, not word by word
        if _UNSEEN in span:
            span = [_term_of(w) if t is _UNSEEN else t for w, t in zip(words, span)]
        found.append(list(filter(None, span)))  # a stopword's term is None; no term is empty
    return found


def span_term_sets(text: str, spans: Sequence[tuple[int, int]]) -> list[frozenset[str]]:
    """The distinct terms of each span (`span_terms`): the same sets as `term_set` of each
    span's text."""
    return [frozenset(span) for span in span_terms(text, spans)]


def coverage(text: str, term_weights: dict[str, float]) -> float:
    """The share of the query's term weight (IDF) that `text` contains: 1.0 when it has
    every query term, most of it when it has the rarest ones."""
    return weighted_share(term_set(text), term_weights)


def weighted_share(present: frozenset[str], term_weights: dict[str, float]) -> float:
    """`coverage` of a text whose distinct terms are `present`."""
    total = sum(term_weights.values())
    if not total:
        return 0.0
    return sum(weight for term, weight in term_weights.items() if term in present) / total


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression that finds passages sharing any term with `query`, or None
    when the query has no searchable term (only stopwords or symbols)."""
    unique = list(dict.fromkeys(terms(query)))
    if not unique:
        return None
    # Quoted, so a term like "and" or "near" is never read as an FTS5 operator.
    return " OR ".join('"' + term.replace('"', '""') + '"' for term in unique)
