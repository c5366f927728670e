"""Tune the answer-kind bonus (`rag.answers.ANSWER_KIND_WEIGHT`) on SQuAD's tuning articles only.

For every tuning question it scores, once, every sentence of the top 5 hybrid passages the
way `Library.ask` does (`rag.answers.score_sentences` with the bonus off), then replays the
choice of the strongest sentence offline for each candidate weight and for each variant of
the name/place test. Prints evidence accuracy (the strongest sentence holds a gold answer)
overall and per question kind (`rag.answer_types.expected_kind`); weight 0 is the baseline of
the same run, and its figure is checked against `Library.ask` on a sample of questions.

    .venv/bin/python bench/tune_answer_kinds.py --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json

Reporting on the test split is `python -m rag eval squad --split test`'s job.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import answer_types, answers, lexical, store  # noqa: E402
from rag.abbreviations import find_definitions  # noqa: E402
from rag.evaluation.abstention import contains_answer  # noqa: E402
from rag.evaluation.datasets import load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import ASK_K, open_evaluation_library  # noqa: E402
from rag.search import expand_short_forms, normalise_query, search  # noqa: E402

WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
CHECKED = 200  # questions also asked through Library.ask to confirm the replay matches it


def scored_sentences(library, question: str):
    """(score, text) of every sentence `Library.ask` scores for `question`, bonus off. Reads
    the library's internals (its connection and vectors) as `Library.ask` does."""
    text = normalise_query(question)
    with library._reading() as vectors:
        query = expand_short_forms(library._db, text)
        vector = library._embed_query(query)
        hits = search(library._db, vectors, query, vector, ASK_K, None, "hybrid", library._lexical_postings(vectors))
        cosines = list(vectors.vectors([h.passage.id for h in hits]) @ vector)
        weights = store.term_idf(library._db, lexical.terms(text))
        definitions = {d: find_definitions(store.get_document(library._db, d).text)
                       for d in {h.passage.document_id for h in hits}}
        scored = answers.score_sentences(text, vector, hits, cosines, library._sentence_vectors_of(hits),
                                         weights, definitions)
    return [(e.score, e.text) for sentences in scored.values() for e in sentences]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    dataset = load_squad(args.squad, "tune")
    encoder = CachingEncoder(Encoder(args.model))
    kinds = [answer_types.expected_kind(q.text) for q in dataset.questions]
    counts = Counter(kinds)
    names = sorted(counts, key=lambda k: (k is None, str(k)))
    answers.ANSWER_KIND_WEIGHT = 0.0
    with open_evaluation_library(dataset, encoder) as library:
        encoder.encode([q.text for q in dataset.questions])
        rows = []
        for q in dataset.questions:
            rows.append([(s, t, contains_answer(t, q.answers)) for s, t in scored_sentences(library, q.text)])
        agree = 0
        for q, row in zip(dataset.questions[:CHECKED], rows):
            answer = library.ask(q.text, k=ASK_K, min_confidence=0.0)
            best = max(answer.citations, key=lambda c: c.evidence_score).evidence if answer.citations else None
            agree += best == (max(row)[1] if row else None)
        print(f"replay matches Library.ask's strongest sentence on {agree}/{CHECKED} questions")
    print(f"{len(dataset.questions)} SQuAD tuning questions; kinds: "
          + ", ".join(f"{k or 'other'} {counts[k]}" for k in names))
    print(f"{'weight':>6}  {'all':>6}  " + "  ".join(f"{k or 'other':>7}" for k in names))
    for weight in WEIGHTS:
        right = []
        for q, kind, row in zip(dataset.questions, kinds, rows):
            if not row:
                right.append(False)
                continue
            best = max(row, key=lambda r: r[0] + weight * answer_types.holds_kind(r[1], q.text, kind))
            right.append(best[2])
        per_kind = {k: sum(r for r, kind in zip(right, kinds) if kind == k) / counts[k] for k in names}
        print(f"{weight:>6.2f}  {sum(right) / len(right):>6.4f}  "
              + "  ".join(f"{per_kind[k]:>7.4f}" for k in names), flush=True)


if __name__ == "__main__":
    main()
