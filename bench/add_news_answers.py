"""Give a news set's questions their quizzes' right choices, so `python -m rag eval news`
reports how often the first claim quotes the answer on it too.

`../shared/tools/build-news-dev.py` writes the tuning set's questions without their answers;
`bench/build_news_heldout.py` writes them for the held-out set. This adds them to an existing
set built from the same snapshot (answerable/ and unanswerable/ queries.jsonl, in place: run
it on the cache folder, never on a committed file). The passages, questions and relevance
stay as they were; the libraries `eval` caches are rebuilt once, as the set's files changed.

    .venv/bin/python bench/add_news_answers.py /work/.mirror/realtimeqa+realtimeqa_public/repo ~/.cache/rag-dev/news
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from build_news_heldout import quiz_rows, right_choice  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", type=Path, help="git folder of the realtimeqa_public snapshot")
    parser.add_argument("news", type=Path, help="a news set folder with answerable/ and unanswerable/")
    args = parser.parse_args()
    choices = {row["question_id"]: right_choice(row) for row in quiz_rows(args.snapshot, first_year="0000")}
    for part in ("answerable", "unanswerable"):
        path = args.news / part / "queries.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        path.write_text("".join(json.dumps({**row, "answers": choices.get(row["_id"], [])}) + "\n" for row in rows),
                        encoding="utf-8")
        print(f"{path}: {sum(bool(choices.get(r['_id'])) for r in rows)} of {len(rows)} questions have an answer")


if __name__ == "__main__":
    main()
