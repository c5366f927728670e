"""Tune the evidence score's weights (`rag.answers`: the answer-kind bonus, the lexical
weight, the rank penalty, the question scene's penalty) on the tuning sets only.

For every tuning question it scores, once, every sentence of the top 5 hybrid passages the
way `Library.ask` does (`rag.answers.score_sentences`), keeps each score's parts, then
replays the choice of the strongest sentence offline for each combination of weights.
Prints evidence accuracy (the strongest sentence holds a gold answer) overall and per
question kind (`rag.answer_types.expected_kind`); the product's current weights are the
baseline row of the same run, checked against `Library.ask` on a sample of questions.

    .venv/bin/python bench/tune_evidence_score.py --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json \
        --news ~/.cache/rag-dev/news/answerable --realtimeqa /work/.mirror/realtimeqa+realtimeqa_public/repo

With `--realtimeqa` (the snapshot the news set was built from), the news questions whose
passage spells out the quiz's right choice ("$12.6 million", "Fleets") are scored as SQuAD's
are: right when the strongest sentence holds that choice, so the sentence, not only the
passage, is checked.

Reporting on the test split is `python -m rag eval squad --split test`'s job.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_news_heldout import quiz_rows, right_choice  # noqa: E402
from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import answer_types, answers, bm25_postings, lexical  # noqa: E402
from rag.evaluation.abstention import contains_answer  # noqa: E402
from rag.evaluation.datasets import load_beir, load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import ASK_K, open_evaluation_library  # noqa: E402
from rag.office_holders import asked_office_evidence  # noqa: E402
from rag.question_scene import scene_terms  # noqa: E402
from rag.search import build_query, normalise_query  # noqa: E402
from rag.search_stages import search  # noqa: E402

KIND_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2)
LEXICAL_WEIGHTS = (0.2, 0.3, 0.4, 0.6, 0.8, 1.0)
RANK_PENALTIES = (0.0, 0.01, 0.02, 0.03, 0.05)
SCORE_PRIORS = (0.05, 0.1, 0.2, 0.3, 0.5)
SCENE_PENALTIES = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4)
CHECKED = 200  # questions also asked through Library.ask to confirm the replay matches it


def scored_sentences(library, question: str):
    """(similarity, coverage, rank, holds kind, text, score, source, search score relative to
    the first hit's, share of the question's scene held) of every sentence `Library.ask`
    scores for `question`. Reads the library's internals (its connection and vectors) as
    `Library.ask` does."""
    text = normalise_query(question)
    with library._generations.reading() as vectors:
        query = build_query(library._db, text, ASK_K, None, "hybrid", library._embed_query, needs_vector=True)
        run, vector = search(library._db, vectors, query, library._lexical_postings(vectors)), query.vector
        hits = run.hits
        cosines = run.cosines(hits)
        weights = bm25_postings.evidence_weights(
            library._db, bm25_postings.term_passage_counts(library._db, lexical.question_terms(text)))
        definitions = library.evidence.definitions({h.passage.document_id for h in hits})
        scored = answers.score_sentences(text, vector, hits, cosines, library.evidence.sentence_vectors(hits),
                                         weights, definitions)
    top = hits[0].score if hits and hits[0].score > 0 else 1.0
    scene = {t: w for t, w in weights.items() if t in scene_terms(text)}
    # the answer-kind weight again for a sentence giving the asked country's office, minus it for one naming none
    return [(e.similarity, e.coverage, e.hit.rank - 1, e.holds_kind + asked_office_evidence(e.text, text), e.text,
             e.score, e.hit.passage.source, e.hit.score / top,
             lexical.weighted_share(e.terms, scene) if scene else 0.0)
            for sentences in scored.values() for e in sentences if not e.states_nothing]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--news", type=Path, help="the news tuning set's answerable/ folder: its "
                        "questions are right when the strongest sentence is from the question's passage")
    parser.add_argument("--realtimeqa", type=Path, help="git folder of the realtimeqa_public snapshot "
                        "the news set was built from: adds its questions whose passage holds the right choice")
    parser.add_argument("--model", default=DEFAULT_MODEL)
    args = parser.parse_args()
    encoder = CachingEncoder(Encoder(args.model))
    holds_answer = lambda r, q: contains_answer(r[4], q.answers)  # noqa: E731
    sets = [("SQuAD tuning articles", load_squad(args.squad, "tune"), holds_answer)]
    if args.news:
        news = load_beir(args.news, "test")
        sets.append(("news answerable/", news, lambda r, q: r[6] in q.relevant))
        if args.realtimeqa:
            sets.append(("news, sentence holds the right choice", with_quiz_answers(news, args.realtimeqa),
                         holds_answer))
    for name, dataset, is_right in sets:
        report(name, dataset, encoder, is_right)


def quiz_answers(git_dir: Path) -> dict[str, str]:
    """Each RealTime QA question's right choice, read from the snapshot as the news sets'
    builders read it (`bench/build_news_heldout.py`)."""
    return {row["question_id"]: choice[0] for row in quiz_rows(git_dir, first_year="0000")
            if (choice := right_choice(row))}


def with_quiz_answers(news, git_dir: Path):
    """The news questions whose own passage holds their right choice, with it as the gold answer
    (elsewhere the choice is not spelled out: "Iraq" for a passage that says Baghdad)."""
    answers, texts = quiz_answers(git_dir), {r.source: r.text for r in news.records}
    questions = tuple(replace(q, answers=(answers[q.id],)) for q in news.questions
                      if q.id in answers and any(contains_answer(texts[s], [answers[q.id]]) for s in q.relevant))
    return replace(news, questions=questions)


def report(name, dataset, encoder, is_right) -> None:
    kinds = [answer_types.expected_kind(q.text) for q in dataset.questions]
    counts = Counter(kinds)
    names = sorted(counts, key=lambda k: (k is None, str(k)))
    with open_evaluation_library(dataset, encoder) as library:
        encoder.encode([q.text for q in dataset.questions])
        rows = [[(*r[:4], is_right(r, q), r[4], r[5], r[7], r[8]) for r in scored_sentences(library, q.text)]
                for q in dataset.questions]
        agree = 0
        for q, row in zip(dataset.questions[:CHECKED], rows):
            answer = library.ask(q.text, k=ASK_K, min_confidence=0.0)
            best = max(answer.citations, key=lambda c: c.evidence_score).evidence if answer.citations else None
            agree += best == (max(row, key=lambda r: r[6])[5] if row else None)
    print(f"\n## {name}: {len(dataset.questions)} questions; kinds: "
          + ", ".join(f"{k or 'other'} {counts[k]}" for k in names))
    print(f"replay matches Library.ask's strongest sentence on {agree}/{CHECKED} questions")
    print(f"{'lexical':>7} {'rank':>5} {'kind':>5}  {'all':>6}  " + "  ".join(f"{k or 'other':>7}" for k in names))
    current = (answers.LEXICAL_WEIGHT, answers.RANK_PENALTY, answers.ANSWER_KIND_WEIGHT)
    scene = answers.SCENE_PENALTY
    grid = [("", (*weights, 0.0, scene))
            for weights in itertools.product(LEXICAL_WEIGHTS, RANK_PENALTIES, KIND_WEIGHTS)]
    # the passage's search score (relative to the first hit's) in place of, or beside, its rank
    grid += [(f"score prior {prior}", (answers.LEXICAL_WEIGHT, penalty, answers.ANSWER_KIND_WEIGHT, prior, scene))
             for prior in SCORE_PRIORS for penalty in (0.0, 0.01, 0.02)]
    # the words of the scene a question sets before it asks (`rag.question_scene`) counted for less
    grid += [(f"scene penalty {weight}", (*current, 0.0, weight)) for weight in SCENE_PENALTIES]
    for label, (lexical_weight, penalty, kind_weight, prior, scene) in [("current", (*current, 0.0, scene)), *grid]:
        right = []
        for row in rows:
            best = max(row, key=lambda r: r[0] + lexical_weight * r[1] - penalty * r[2] + kind_weight * r[3]
                       - prior * (1 - r[7]) - scene * r[8], default=None)
            right.append(bool(best and best[4]))
        per_kind = {k: sum(r for r, kind in zip(right, kinds) if kind == k) / counts[k] for k in names}
        print(f"{lexical_weight:>7.2f} {penalty:>5.2f} {kind_weight:>5.2f}  {sum(right) / len(right):>6.4f}  "
              + "  ".join(f"{per_kind[k]:>7.4f}" for k in names) + f"  {label}", flush=True)


if __name__ == "__main__":
    main()
