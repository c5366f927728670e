"""Calibrate `ABSTAIN_BELOW` (rag/answers.py) from measurements on SQuAD v1.1 dev.

The library abstains when the cosine (all-MiniLM-L6-v2, unit vectors) between a question
and its best passage is below `ABSTAIN_BELOW`. This script measures, for a seeded sample
of SQuAD questions, two scores:

- answerable:   max cosine over ALL 2,067 dev paragraphs (the gold paragraph is present);
- unanswerable: max cosine over the paragraphs of the OTHER 47 articles only (a library
  that lacks the answer: same genre, different topic).

A seeded shuffle splits articles into "tune" and "report" halves. On the tune half it sweeps
0.05..0.70 and picks (a) the threshold maximising balanced accuracy and (b) the highest one
wrongly refusing at most 5% of answerable questions; both are reported on the other half,
and on hand-written on-/off-topic questions against the sample articles (data/samples).

Run from the repo root (embeddings are cached in .cache/, so reruns take seconds):

    .venv/bin/python bench/calibrate_abstention.py \
        --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json [--questions 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from embeddings import Encoder  # noqa: E402
from rag import Library  # noqa: E402
from rag.passages import in_context, title_context  # noqa: E402

CACHE = ROOT / ".cache"
THRESHOLDS = np.round(np.arange(0.05, 0.7001, 0.01), 2)
MAX_WRONG_REFUSALS = 0.05

ON_TOPIC = [
    "what joint drills happened?",
    "who is China's defense minister?",
    "how much crude did China import from Iran in June?",
    "which Chinese warships docked at Bandar Abbas?",
    "who is Iran's defense minister?",
    "where did the SCO defense ministers meet?",
    "what did Adm. Sun Jianguo say in Tehran?",
    "which countries are members of the Shanghai Cooperation Organization?",
    "does China still buy Iranian oil?",
    "what did China say about the US strikes on Iran's nuclear facilities?",
    "how long did the joint naval training last?",
    "did an Indian defense minister visit China?",
]
OFF_TOPIC = [
    "who won the 2018 FIFA World Cup?",
    "how long should I boil an egg?",
    "what is a good recipe for banana bread?",
    "who is the prime minister of Canada?",
    "what did the German parliament vote on last week?",
    "how do black holes evaporate?",
    "what is the speed of light in a vacuum?",
    "how does photosynthesis work?",
    "which team has the most NBA championships?",
    "what causes inflation in Argentina?",
    "how many moons does Jupiter have?",
    "when is the next Brazilian presidential election?",
]


def embed(encoder: Encoder, texts: list[str], label: str) -> np.ndarray:
    """Unit vectors for `texts`, cached under .cache/ by model name and exact texts."""
    digest = hashlib.sha256(encoder.name.encode())
    for text in texts:
        digest.update(b"\0" + text.encode())
    path = CACHE / f"calibration-{digest.hexdigest()[:32]}.npy"
    if path.exists():
        return np.load(path, allow_pickle=False)
    started = time.monotonic()
    vectors = encoder.encode(texts)
    print(f"embedded {len(texts)} {label} in {time.monotonic() - started:.0f}s")
    CACHE.mkdir(exist_ok=True)
    np.save(path, vectors, allow_pickle=False)
    return vectors


def rates(answerable: np.ndarray, unanswerable: np.ndarray, threshold: float):
    """(answered share of answerable, abstained share of unanswerable, balanced accuracy)."""
    answered = float(np.mean(answerable >= threshold))
    abstained = float(np.mean(unanswerable < threshold))
    return answered, abstained, (answered + abstained) / 2


def squad_scores(squad: Path, n_questions: int, seed: int, encoder: Encoder):
    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    paragraphs, paragraph_article, questions, question_article = [], [], [], []
    for a, article in enumerate(data):
        title = article["title"].replace("_", " ")
        for paragraph in article["paragraphs"]:
            # As the library embeds a passage: in its document's title context.
            paragraphs.append(in_context(title_context(title), paragraph["context"]))
            paragraph_article.append(a)
            for qa in paragraph["qas"]:
                questions.append(qa["question"])
                question_article.append(a)
    print(f"SQuAD: {len(data)} articles, {len(paragraphs)} paragraphs, {len(questions)} questions")
    rng = np.random.default_rng(seed)
    size = min(n_questions, len(questions))
    picked = np.sort(rng.choice(len(questions), size=size, replace=False))
    q_vectors = embed(encoder, [questions[i] for i in picked], "questions")
    p_vectors = embed(encoder, paragraphs, "paragraphs")
    cosines = q_vectors @ p_vectors.T
    q_article = np.asarray(question_article)[picked]
    same_article = q_article[:, None] == np.asarray(paragraph_article)[None, :]
    answerable = cosines.max(axis=1)
    unanswerable = np.where(same_article, -np.inf, cosines).max(axis=1)
    tune_articles = rng.permutation(len(data))[: len(data) // 2]
    tune = np.isin(q_article, tune_articles)
    words = np.array([len(questions[i].split()) for i in picked])
    return answerable, unanswerable, tune, words


def sweep(answerable, unanswerable) -> tuple[float, float]:
    print("\nTune half sweep (answer when cosine >= t)\n   t  answered(ans)  abstained(unans)  balanced")
    best, rarely, best_score = THRESHOLDS[0], THRESHOLDS[0], -1.0
    for t in THRESHOLDS:
        answered, abstained, balanced = rates(answerable, unanswerable, t)
        print(f"{t:.2f}  {answered:12.1%}  {abstained:16.1%}  {balanced:8.1%}")
        if balanced > best_score:
            best, best_score = t, balanced
        if 1 - answered <= MAX_WRONG_REFUSALS:
            rarely = t
    return float(best), float(rarely)


def sample_check(encoder: Encoder) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory() as folder:
        lib = Library.open(folder, encoder=encoder)
        lib.add([ROOT / "data" / "samples"])
        top = lambda q: lib.search(q, k=1, mode="dense")[0].score  # noqa: E731  cosine
        on = np.array([top(q) for q in ON_TOPIC])
        off = np.array([top(q) for q in OFF_TOPIC])
    print("\nSample articles (data/samples): top dense cosine")
    for label, questions, scores in (("on ", ON_TOPIC, on), ("off", OFF_TOPIC, off)):
        for q, s in sorted(zip(questions, scores), key=lambda x: -x[1]):
            print(f"  {label} {s:.3f}  {q}")
    return on, off


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD v1.1 dev-v1.1.json")
    parser.add_argument("--questions", type=int, default=2000, help="questions to sample")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    encoder = Encoder()
    answerable, unanswerable, tune, words = squad_scores(
        args.squad, args.questions, args.seed, encoder)
    print(f"questions: {tune.sum()} in tune half, {(~tune).sum()} in report half")
    print("\nPercentiles     1%    5%   25%   50%   75%   95%   99%")
    for name, scores in (("answerable", answerable), ("unanswerable", unanswerable)):
        points = np.percentile(scores, [1, 5, 25, 50, 75, 95, 99])
        print(f"{name:<13}" + "  ".join(f"{v:.2f}" for v in points))

    best, rarely = sweep(answerable[tune], unanswerable[tune])
    on, off = sample_check(encoder)
    # Analysts ask short questions; SQuAD's were written while reading the paragraph. So
    # every on-topic sample question must be answered: cap below the lowest one.
    recommended = min(rarely, np.floor(on.min() * 100) / 100)

    print("\nSummary (answered: share of answerable answered; abstained: of unanswerable refused)")
    print("choice                 t     half    answered  abstained  balanced")
    choices = (("max balanced acc", best), ("rarely refuse (<=5%)", rarely),
               ("recommended", recommended), ("current guess", 0.30))
    for name, t in choices:
        for half, mask in (("tune", tune), ("report", ~tune)):
            a, b, c = rates(answerable[mask], unanswerable[mask], t)
            print(f"{name:<21} {t:.2f}  {half:<6}  {a:8.1%}  {b:9.1%}  {c:8.1%}")
        a, b, _ = rates(on, off, t)
        print(f"{'':<21} {t:.2f}  sample  {a:8.1%}  {b:9.1%}   ({len(on)} on / {len(off)} off)")

    print("\nAnswered share of answerable SQuAD questions (both halves), by question length")
    for lo, hi in ((1, 6), (7, 9), (10, 12), (13, 99)):
        mask = (words >= lo) & (words <= hi)
        shares = "  ".join(f"@{t:.2f} {np.mean(answerable[mask] >= t):6.1%}" for _, t in choices)
        print(f"  {lo:>2}-{hi:<2} words ({mask.sum():>4} q): {shares}")

    # A refusal hides a real answer; a wrong answer still shows its cited evidence, which an
    # analyst can reject at a glance. So prefer the threshold that rarely refuses.
    print(f"\nrecommended ABSTAIN_BELOW = {recommended:.2f}: the highest threshold that wrongly "
          f"refuses at most {MAX_WRONG_REFUSALS:.0%} of answerable SQuAD questions (tune half) and "
          f"none of the sample's on-topic questions, because a cited wrong passage is visible to "
          f"the reader while a refusal hides the answer.")


if __name__ == "__main__":
    main()
