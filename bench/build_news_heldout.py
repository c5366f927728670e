"""Build a held-out news set from the quizzes the news tuning set leaves out (2023 on).

`../shared/tools/build-news-dev.py` builds the news *tuning* set from the RealTime QA quizzes
of 2020-2022; every choice in the product was made on it. The snapshot holds the quizzes of
2023 and later too. This script builds them into the same layout (answerable/,
unanswerable/ with a seeded half of the passages removed, BEIR files), so that
`python -m rag eval news DIR` measures the product on news it was never tuned on. Use it as
a test split: report it, never choose on it.

    .venv/bin/python bench/build_news_heldout.py /work/.mirror/realtimeqa+realtimeqa_public/repo \
        ~/.cache/rag-dev/news-heldout

Like the tuning set: a question's passage is its quiz's evidence text (at least 40
characters, no title), each distinct text one passage. Unlike it, a question scraped with
its page's inline links ("Who will be <a href=...>South Korea</a>'s next president?") is
kept as scraped: the product must read it. Each question also carries its quiz's right
choice ("answers" in queries.jsonl), so `python -m rag eval news` can say how often the cited
quote itself holds the answer, not only whether it is from the question's passage.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
from pathlib import Path

FIRST_YEAR = "2023"  # the tuning set's quizzes end with 2022
MIN_EVIDENCE = 40
SEED = 2023


def quiz_rows(git_dir: Path, first_year: str = FIRST_YEAR):
    """Every quiz question of `first_year` on, once each, in the order of the snapshot's files."""
    names = subprocess.run(["git", "-C", str(git_dir), "ls-tree", "-r", "--name-only", "HEAD"],
                           capture_output=True, text=True, check=True).stdout.split()
    seen = set()
    for name in sorted(n for n in names if n.endswith("_qa.jsonl")):
        text = subprocess.run(["git", "-C", str(git_dir), "show", f"HEAD:{name}"],
                              capture_output=True, text=True, check=True).stdout
        for row in map(json.loads, filter(str.strip, text.splitlines())):
            if row["question_id"][:4] >= first_year and row["question_id"] not in seen:
                seen.add(row["question_id"])
                yield row


def right_choice(row: dict) -> list[str]:
    """The quiz's right choice, as the answer a citation can quote ([] when it has none)."""
    choices, answer = row.get("choices") or [], row.get("answer") or []
    return [choices[int(answer[0])]] if choices and answer and int(answer[0]) < len(choices) else []


def write_set(folder: Path, passages: dict[str, str], questions: list[tuple[str, str, str, list[str]]]) -> None:
    (folder / "qrels").mkdir(parents=True, exist_ok=True)
    with open(folder / "corpus.jsonl", "w") as corpus:
        for pid, text in passages.items():
            corpus.write(json.dumps({"_id": pid, "title": "", "text": text}) + "\n")
    with open(folder / "queries.jsonl", "w") as queries, open(folder / "qrels" / "test.tsv", "w") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for qid, text, pid, answers in questions:
            queries.write(json.dumps({"_id": qid, "text": text, "answers": answers}) + "\n")
            qrels.write(f"{qid}\t{pid}\t1\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path, help="git folder of the realtimeqa_public snapshot")
    parser.add_argument("out", type=Path)
    args = parser.parse_args()
    ids: dict[str, str] = {}
    questions = []
    for row in quiz_rows(args.snapshot):
        evidence = (row.get("evidence") or "").strip()
        if len(evidence) >= MIN_EVIDENCE:
            pid = ids.setdefault(evidence, f"h{len(ids)}")
            questions.append((row["question_id"], row["question_sentence"], pid, right_choice(row)))
    passages = {pid: text for text, pid in ids.items()}
    write_set(args.out / "answerable", passages, questions)
    removed = sorted(passages)
    random.Random(SEED).shuffle(removed)
    removed = set(removed[: len(removed) // 2])
    write_set(args.out / "unanswerable", {p: t for p, t in passages.items() if p not in removed},
              [q for q in questions if q[2] in removed])
    (args.out / "unanswerable" / "removed.tsv").write_text("".join(f"{p}\n" for p in sorted(removed)))
    print(f"{len(passages)} passages, {len(questions)} questions -> {args.out / 'answerable'}; "
          f"{len(passages) - len(removed)} passages, {sum(q[2] in removed for q in questions)} unanswerable "
          f"questions -> {args.out / 'unanswerable'}")


if __name__ == "__main__":
    main()
