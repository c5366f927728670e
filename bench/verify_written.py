"""How often the written-answer verifier (`rag.claim_check`) is right, over HTTP, on SQuAD.

Each question is asked with `write=True` against the scripted model server
(`rag.evaluation.scripted_llm`, model "mixed"): four sentences per question from the retrieved
passages, each known by construction to be stated by its citation or not (verbatim, reworded,
a clause, two sentences joined; another passage's sentence, a changed number, a stranger's
name, a negation, an invented claim, no citation, a citation out of range). The verifier's
verdicts are matched to them by text and scored: precision and recall of "supported".

    .venv/bin/python bench/verify_written.py ../shared/datasets/squad-v1.1-dev/dev-v1.1.json --split tune --sweep
    .venv/bin/python bench/verify_written.py ../shared/datasets/squad-v1.1-dev/dev-v1.1.json --split test --questions 300

`--sweep` also prints precision and recall for other SUPPORT_FROM thresholds (from verdicts
taken at threshold 0 and each sentence's best cosine): choose on `tune`, report on `test`.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import Encoder  # noqa: E402
from rag import ChatModel  # noqa: E402
from rag import claim_check  # noqa: E402
from rag.evaluation.datasets import load_squad  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import open_evaluation_library  # noqa: E402
from rag.evaluation.scripted_llm import ScriptedModelServer, mixed_script, parse_prompt  # noqa: E402


def _key(text: str) -> str:
    bare = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\[\d+(?:\s*[,;]\s*\d+)*\]", "", text))
    return " ".join(bare.split()).rstrip(".!? ").casefold()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("squad")
    parser.add_argument("--split", default="tune", choices=("tune", "test"))
    parser.add_argument("--questions", type=int, default=1000, help="a seeded sample of this many")
    parser.add_argument("--sweep", action="store_true")
    parser.add_argument("--show", type=int, default=0, help="print this many wrong verdicts")
    args = parser.parse_args()

    dataset = load_squad(args.squad, args.split)
    questions = random.Random(17).sample(list(dataset.questions), min(args.questions, len(dataset.questions)))
    encoder = CachingEncoder(Encoder())
    rows, unmatched, shown = [], 0, 0  # (kind, truth, verdict at SUPPORT_FROM, supported at 0, best cosine)
    with open_evaluation_library(dataset, encoder) as library, ScriptedModelServer() as server:
        library.language_model = ChatModel(server.url, "mixed", timeout=30)
        for done, question in enumerate(questions, 1):
            answer = library.ask(question.text, k=5, write=True, min_confidence=0.0)
            question_text, passages = parse_prompt(server.requests[-1]["body"]["messages"])
            written = mixed_script(question_text, passages)
            script = {_key(s): (truth, kind) for s, truth, kind in written}
            # the verdicts again at threshold 0, for --sweep: the same hits the prompt held
            # (SQuAD has no dates, so nothing in `ask` reorders them), the same encoder
            hits = library.search(question.text, k=5)
            claims = claim_check.split_claims(" ".join(s for s, _, _ in written))
            loose = claim_check.check_claims(claims, hits, encoder.encode, support_from=0.0)
            loose_by_key = {_key(v.claim.text): v for v in loose}
            for sentence in answer.written.sentences:
                key = _key(sentence.text)
                if key not in script:
                    unmatched += 1
                    if unmatched <= 5:
                        print(f"  not matched: {sentence.text!r} among {list(script)}", file=sys.stderr)
                    continue
                truth, kind = script.pop(key)
                at_zero = loose_by_key.get(key)
                best = at_zero.support[0].cosine if at_zero and at_zero.support else -1.0
                rows.append((kind, truth, sentence.supported, bool(at_zero and at_zero.supported), best))
                if args.show and truth != sentence.supported and shown < args.show:
                    shown += 1
                    print(f"  WRONG {kind}: {sentence.reason or 'shown as supported'} | {sentence.text}", file=sys.stderr)
            unmatched += len(script)
            if done % 100 == 0:
                print(f"  {done}/{len(questions)}", file=sys.stderr)

    def scores(predicted):
        tp = sum(1 for r, p in zip(rows, predicted) if p and r[1])
        fp = sum(1 for r, p in zip(rows, predicted) if p and not r[1])
        fn = sum(1 for r, p in zip(rows, predicted) if not p and r[1])
        return tp / max(tp + fp, 1), tp / max(tp + fn, 1), tp, fp, fn

    precision, recall, tp, fp, fn = scores([r[2] for r in rows])
    print(f"split {args.split}: {len(questions)} questions, {len(rows)} written sentences "
          f"({sum(r[1] for r in rows)} supported by construction), {unmatched} not matched by text "
          "(verdicts and scripted sentences left over, counted on both sides)")
    print(f"SUPPORT_FROM {claim_check.SUPPORT_FROM:.2f}: precision {precision:.4f} recall {recall:.4f} "
          f"(true {tp}, false {fp}, missed {fn})")
    kinds = Counter(r[0] for r in rows)
    for kind in sorted(kinds):
        shown = sum(r[2] for r in rows if r[0] == kind)
        truth = next(r[1] for r in rows if r[0] == kind)
        print(f"  {kind:15} {'supported' if truth else 'unsupported':11} {kinds[kind]:5}  shown as supported {shown:5}"
              f" ({shown / kinds[kind]:.3f})")
    if args.sweep:
        for threshold in [x / 100 for x in range(50, 96, 2)]:
            p, r, tp, fp, fn = scores([r[3] and r[4] >= threshold for r in rows])
            print(f"  threshold {threshold:.2f}: precision {p:.4f} recall {r:.4f} (false {fp}, missed {fn})")


if __name__ == "__main__":
    main()
