"""Does ingest keep every record of a corpus? Cleans and cuts each record as `add_texts` does.

    python bench/ingest_coverage.py /root/.cache/rag-dev/news/answerable/corpus.jsonl

Prints how many records would be stored, how many fail (with their reasons), how many lose
text to a headline taken from their first line (a title is context, never citable), and how
many lose words some other way (boilerplate rules, datelines, bylines, captions), with a few
examples of each. Cutting uses a whitespace token count: where passages end does not change
what is stored. Not a test: it prints, it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rag.errors import RagError  # noqa: E402
from rag.ingest import RecordInput, TextRecord, prepare  # noqa: E402


def count_tokens(texts):
    return [len(text.split()) for text in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", type=Path, help="a BEIR corpus.jsonl")
    parser.add_argument("--examples", type=int, default=5)
    args = parser.parse_args()
    records = [json.loads(line) for line in args.corpus.read_text(encoding="utf-8").splitlines() if line.strip()]
    failed: Counter[str] = Counter()
    examples: dict[str, list[str]] = {"failed": [], "headline taken": [], "words lost": []}
    stored = headline = lost = 0
    for doc in records:
        record = TextRecord(source=str(doc["_id"]), text=doc.get("text") or "", title=doc.get("title") or None)
        try:
            prepared = prepare(RecordInput(record), count_tokens=count_tokens, max_tokens=256)
        except RagError as error:
            failed[str(error).split(": ", 1)[-1]] += 1
            examples["failed"].append(f"{record.source}: {record.text[:150]!r}")
            continue
        stored += 1
        if prepared.title and not record.title:
            headline += 1
            examples["headline taken"].append(f"{record.source}: {prepared.title[:150]!r}")
        missing = Counter(record.text.split()) - Counter(prepared.text.split())
        if missing and not (prepared.title and not record.title):
            lost += 1
            examples["words lost"].append(f"{record.source}: {' '.join(missing)[:150]!r}")
    print(f"{args.corpus}: {len(records)} records, {stored} stored, {sum(failed.values())} failed, "
          f"{headline} lose their first line to a headline, {lost} lose other words")
    for reason, count in failed.most_common():
        print(f"  failed ({count}): {reason}")
    for kind, lines in examples.items():
        for line in lines[: args.examples]:
            print(f"  {kind}: {line}")


if __name__ == "__main__":
    main()
