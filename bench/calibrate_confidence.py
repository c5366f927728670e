"""Fit `rag.confidence` (the answer's probability of being right) on tuning sets only.

Asks every question of the tuning sets with `min_confidence=0` through `python -m rag eval`'s
own code (rag/evaluation/abstention.py), so each answer carries its `Signals`, and labels it:
right when its first claim answers (SQuAD: contains a gold answer; news: cites the question's
passage); every unanswerable question is labelled wrong. Sets:
- SQuAD v1.1 dev, tuning articles (every 4th): answerable, and with the article removed;
- the news tuning set (../shared/tools/build-news-dev.py): answerable/ and unanswerable/.
A logistic regression (Newton steps, a small L2 penalty, features as `Signals` defines them)
is fitted on both together, each set weighted equally. The news set cut into one small
library per month (`rag.evaluation.news_months`) is asked and reported too, but neither
fitted on nor used by the threshold rule: fitting on it lowered every set's cross-validated
AUC, its own included (docs/evaluation.md, "Small libraries"). It prints first the cross-validated
separation (5 folds by group: a SQuAD article or a news question's date is never scored by a
fit that saw it; per set the AUC of answerable against unanswerable questions and the refusal
at the rule's threshold), which is how a new signal earns its place, then the weights to
paste into rag/confidence.py, per set the curve (answered, answered-and-right, refused per
threshold) under the new weights, ANSWER_FROM by its rule (the highest threshold answering
>= --answer-at-least of answerable questions in every set), and the sample articles'
hand-written on-/off-topic questions.

    .venv/bin/python bench/calibrate_confidence.py \
        --squad ../shared/datasets/squad-v1.1-dev/dev-v1.1.json --news ~/.cache/rag-dev/news \
        --save /tmp/signals.npz
    .venv/bin/python bench/calibrate_confidence.py --load /tmp/signals.npz   # refit, no asking
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import astuple, fields
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rag import Library  # noqa: E402
from rag.confidence import Signals  # noqa: E402
from rag.evaluation.abstention import CURVE_POINTS, answerable_in, squad_without_articles  # noqa: E402
from rag.evaluation.datasets import load_beir, load_squad, squad_articles  # noqa: E402
from rag.evaluation.news_months import by_month  # noqa: E402
from rag.evaluation.runner import evaluate_abstention, evaluate_abstention_in_parts  # noqa: E402

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
    "What did Dong Jun criticise in his speech?",
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
    # only the removed "Related Articles" block of a sample mentions these
    "what are Iranian sleeper cells planning?",
    "what did OPEC+ decide about oil output?",
]
NAMES = [f.name for f in fields(Signals)]
FITTED_SETS = ("SQuAD tune", "news")
L2 = 1e-2


def fit(x: np.ndarray, y: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Weighted L2-penalised logistic regression by Newton's method; [intercept, weights...]."""
    design = np.hstack([np.ones((len(x), 1)), x])
    beta = np.zeros(design.shape[1])
    penalty = np.diag([0.0] + [L2] * x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-design @ beta))
        gradient = design.T @ (weight * (p - y)) + penalty @ beta
        hessian = (design * (weight * p * (1 - p))[:, None]).T @ design + penalty
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def probabilities(beta: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-(beta[0] + x @ beta[1:])))


def report(name: str, answerable: np.ndarray, right: np.ndarray, unanswerable: np.ndarray) -> None:
    print(f"\n{name}: {len(answerable)} answerable, {len(unanswerable)} unanswerable")
    print("  threshold  answered  answered-right  refused")
    for t in CURVE_POINTS:
        print(f"  {t:9.2f}  {np.mean(answerable >= t):8.3f}  {np.mean((answerable >= t) & right):14.3f}"
              f"  {np.mean(unanswerable < t):7.3f}")


def ask_tuning_sets(squad_path: Path, news_path: Path):
    """Every tuning question asked; the runs by set name, and each outcome's group for
    cross-validation (its SQuAD article; its news question's date), in outcome order."""
    squad = load_squad(squad_path, "tune")
    article_of = squad_articles(squad)
    news = load_beir(news_path / "answerable")
    squad_unanswerable = squad_without_articles(squad, article_of)
    news_unanswerable = [load_beir(news_path / "unanswerable")]
    months = by_month(news, news_unanswerable[0])
    kept = answerable_in(news, news_unanswerable[0])
    months_kept = [(answerable_in(a, u[0]), u) for a, u in months if u]
    runs = {
        "SQuAD tune": evaluate_abstention(squad, squad_unanswerable),
        "news": evaluate_abstention(news, news_unanswerable),
        "news by month": evaluate_abstention_in_parts(months),
        "news, one library": evaluate_abstention(kept, news_unanswerable),
        "news by month, one library": evaluate_abstention_in_parts(months_kept),
    }
    groups = [f"squad-{article_of[next(iter(q.relevant))]}" for d in [squad, *squad_unanswerable] for q in d.questions]
    groups += [f"news-{q.id.split('_')[0]}" for d in [news, *news_unanswerable] for q in d.questions]
    # the same question in its monthly library shares its date's fold: no fit scores a
    # question it saw in the other library size
    groups += [f"news-{q.id.split('_')[0]}" for a, u in months for d in [a, *u] for q in d.questions]
    groups += [f"news-{q.id.split('_')[0]}" for d in [kept, *news_unanswerable] for q in d.questions]
    groups += [f"news-{q.id.split('_')[0]}" for a, u in months_kept for d in [a, *u] for q in d.questions]
    return runs, groups


def auc(positive: np.ndarray, negative: np.ndarray) -> float:
    """The probability that a random positive scores above a random negative (ties half)."""
    scores = np.concatenate([positive, negative])
    ranks = np.argsort(np.argsort(scores, kind="stable"), kind="stable").astype(float)
    for value in np.unique(scores):  # average ranks over ties
        tied = scores == value
        ranks[tied] = ranks[tied].mean()
    return (ranks[: len(positive)].sum() - len(positive) * (len(positive) - 1) / 2) / (len(positive) * len(negative))


def rule_threshold(p, sets, answerable, floor: float) -> float:
    """ANSWER_FROM's rule: the highest threshold (0.01 steps) at which every set still answers
    at least `floor` of its answerable questions."""
    return max((round(t, 2) for t in np.arange(0.01, 1.0, 0.01)
                if all(np.mean(p[(sets == i) & answerable] >= t) >= floor for i in np.unique(sets))), default=0.0)


def cross_validate(x, y, w, sets, answerable, groups, set_names, floor: float, folds: int = 5,
                   columns=None, fitted=None) -> np.ndarray:
    """Out-of-fold probabilities, folds by group (a SQuAD article or a news date is never in
    the fold it is scored in); prints per set the AUC of answerable vs unanswerable and the
    refusal at the rule's threshold (`rule_threshold`) on the out-of-fold probabilities.
    Only `fitted` outcomes (default all) are trained on and bound the threshold."""
    columns = list(range(x.shape[1])) if columns is None else columns
    fitted = np.ones(len(y), bool) if fitted is None else fitted
    unique = sorted(set(groups))
    fold_of = {g: i % folds for i, g in enumerate(np.random.default_rng(0).permutation(unique))}
    fold = np.array([fold_of[g] for g in groups])
    p = np.zeros(len(y))
    for f in range(folds):
        train = (fold != f) & fitted
        beta = fit(x[train][:, columns], y[train], w[train])
        p[fold == f] = probabilities(beta, x[fold == f][:, columns])
    aucs = [auc(p[(sets == i) & answerable], p[(sets == i) & ~answerable]) for i in range(len(set_names))]
    t = rule_threshold(p[fitted], sets[fitted], answerable[fitted], floor)
    refused = [np.mean(p[(sets == i) & ~answerable] < t) for i in range(len(set_names))]
    print("cross-validated: " + ", ".join(f"{n} AUC {a:.3f} refused {r:.3f}" for n, a, r in zip(set_names, aucs, refused))
          + f" at {t:.2f}")
    return p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--squad", type=Path)
    parser.add_argument("--news", type=Path, help="folder with answerable/ and unanswerable/")
    parser.add_argument("--answer-at-least", type=float, default=0.92)
    parser.add_argument("--save", type=Path, help="also write the signals and labels here (.npz)")
    parser.add_argument("--load", type=Path, help="fit on signals saved by --save instead of asking again")
    args = parser.parse_args()
    if not args.load and not (args.squad and args.news):
        parser.error("give --squad and --news, or --load a file written by --save")

    if args.load:
        saved = np.load(args.load)
        if list(saved["names"]) != NAMES:
            sys.exit(f"{args.load} holds other signals than rag.confidence.Signals: ask again")
        x, y, w, sets, answerable, groups = (saved[k] for k in ("x", "y", "w", "sets", "answerable", "groups"))
        runs = dict.fromkeys(str(n) for n in saved["set_names"])
    else:
        runs, groups = ask_tuning_sets(args.squad, args.news)
        x, y, w, sets = [], [], [], []
        for index, run in enumerate(runs.values()):
            for o in run.outcomes:
                x.append(astuple(o.signals))
                y.append(float(o.right))
                w.append(1.0 / len(run.outcomes))
                sets.append(index)
        x, y, w, sets = np.array(x), np.array(y), np.array(w) * len(runs), np.array(sets)
        answerable = np.array([o.answerable for run in runs.values() for o in run.outcomes])
        groups = np.array(groups)
    if args.save:
        np.savez(args.save, x=x, y=y, w=w, sets=sets, answerable=answerable, names=NAMES, groups=groups,
                 set_names=list(runs))
    # the sets fitted on and bounding the threshold; the rest are only reported
    fitted = np.isin(sets, [i for i, name in enumerate(runs) if name in FITTED_SETS])
    cross_validate(x, y, w, sets, answerable, groups, list(runs), args.answer_at_least, fitted=fitted)
    beta = fit(x[fitted], y[fitted], w[fitted])
    print(f"INTERCEPT = {beta[0]:.3f}")
    print("WEIGHTS = {\n" + "".join(f'    "{n}": {b:.3f},\n' for n, b in zip(NAMES, beta[1:])) + "}")

    p = probabilities(beta, x)
    for index, name in enumerate(runs):
        mine = sets == index
        report(name, p[mine & answerable], y[mine & answerable].astype(bool), p[mine & ~answerable])
    t = rule_threshold(p[fitted], sets[fitted], answerable[fitted], args.answer_at_least)
    print(f"\nANSWER_FROM = {t:.2f}  # highest threshold answering >= {args.answer_at_least:.0%} of answerable "
          "questions in every set; there: " + ", ".join(
              f"{name} answers {np.mean(p[(sets == i) & answerable] >= t):.3f}, refuses "
              f"{np.mean(p[(sets == i) & ~answerable] < t):.3f}" for i, name in enumerate(runs)))

    with tempfile.TemporaryDirectory() as folder, Library.open(Path(folder) / "library") as library:
        library.add([ROOT / "data" / "samples"])
        print("\nsample articles (confidence under the new weights):")
        for label, questions in (("on ", ON_TOPIC), ("off", OFF_TOPIC)):
            for question in questions:
                signals = library.ask(question, min_confidence=0).signals
                confidence = probabilities(beta, np.array([astuple(signals)]))[0]
                print(f"  {label} {confidence:.3f} {'answered' if confidence >= t else 'refused '}  {question}")


if __name__ == "__main__":
    main()
