"""What a change to the cleaning rules changes: this checkout against another, on real pages.

Runs `rag.cleaning.clean` of both checkouts (each in its own interpreter, so each imports its
own `rag`), after their inline-markup step as plain-text ingest does
(`rag.inline_markup.strip_inline_markup`: tags, character references, prose's escapes), over
two corpora and compares the stored paragraphs and the wire-dateline lead:

- the whole scraped pages of the RealTime QA snapshot's 2022 web searches
  (`past/2022/*_gcs.jsonl`: URL, title, full text), each cleaned with its title, as ingest
  does: which paragraphs the change drops or keeps, most frequent first (digits shown as 0);
- the evaluation texts (the news tuning and held-out sets' passages, SQuAD dev's contexts,
  SciFact's abstracts, the samples), which should not change: any that does is listed.

    git worktree add /tmp/base <commit>
    .venv/bin/python bench/cleaning_changes.py /tmp/base /work/.mirror/realtimeqa+realtimeqa_public/repo
"""

from __future__ import annotations

import argparse
import json
import pickle
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from news_articles import snapshot_lines, snapshot_names  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT.parent / "shared" / "datasets"
NEWS_SETS = [Path.home() / ".cache/rag-dev" / name / "answerable" / "corpus.jsonl"
             for name in ("news", "news-heldout")]

# Run inside each checkout: read (text, title) pairs from a pickle, write (paragraphs, lead).
_CLEAN_ALL = """
import pickle, sys
sys.path.insert(0, sys.argv[1])
from rag.cleaning import clean
from rag.inline_markup import strip_inline_markup
texts = pickle.load(open(sys.argv[2], "rb"))
out = []
for text, title in texts:
    cleaned = clean(strip_inline_markup(text)[0], title=title)
    out.append((cleaned.paragraphs, cleaned.lead))
pickle.dump(out, open(sys.argv[3], "wb"))
"""


def scraped_pages(snapshot: Path) -> list[tuple[str, str | None]]:
    pages: dict[str, tuple[str, str | None]] = {}
    for name in snapshot_names(snapshot, "2022"):
        if not name.endswith("_gcs.jsonl"):
            continue
        for line in snapshot_lines(snapshot, name):
            for found in json.loads(line)["search_result"]:
                if found.get("url") and found.get("text"):
                    pages.setdefault(found["url"], (found["text"], found.get("title")))
    return list(pages.values())


def evaluation_texts() -> list[tuple[str, str | None]]:
    texts: list[tuple[str, str | None]] = []
    for corpus in NEWS_SETS:
        if corpus.exists():
            texts += [(json.loads(line)["text"], None) for line in corpus.open(encoding="utf-8")]
    squad = json.loads((DATASETS / "squad-v1.1-dev" / "dev-v1.1.json").read_text(encoding="utf-8"))
    texts += [(p["context"], a["title"]) for a in squad["data"] for p in a["paragraphs"]]
    for line in (DATASETS / "beir-scifact" / "corpus.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        texts.append((record["text"], record.get("title") or None))
    samples = sorted((ROOT / "data" / "samples").glob("*.txt"))
    texts += [(path.read_text(encoding="utf-8"), None) for path in samples]
    return texts


def cleaned_by(checkout: Path, texts, folder: Path) -> list:
    given, taken = folder / "texts.pickle", folder / f"cleaned-{abs(hash(str(checkout)))}.pickle"
    given.write_bytes(pickle.dumps(texts))
    subprocess.run([sys.executable, "-c", _CLEAN_ALL, str(checkout), str(given), str(taken)], check=True)
    return pickle.loads(taken.read_bytes())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base", type=Path, help="the other checkout (a git worktree of the commit to compare with)")
    parser.add_argument("snapshot", type=Path,
                        help="a RealTime QA checkout (fetch github:realtimeqa/realtimeqa_public)")
    parser.add_argument("--show", type=int, default=60, help="how many dropped and kept paragraphs to list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        corpora = (("scraped pages", scraped_pages(args.snapshot)), ("evaluation texts", evaluation_texts()))
        for name, texts in corpora:
            before, after = cleaned_by(args.base, texts, folder), cleaned_by(ROOT, texts, folder)
            changed = [(b, a) for b, a in zip(before, after) if b != a]
            dropped, kept = Counter(), Counter()
            for (old, _), (new, _) in changed:
                dropped.update(re.sub(r"\d", "0", p[:100]) for p in set(old) - set(new))
                kept.update(re.sub(r"\d", "0", p[:100]) for p in set(new) - set(old))
            leads = sum(b[1] != a[1] for b, a in changed)
            print(f"\n## {name}: {len(texts)} texts, {len(changed)} changed ({leads} in their lead); "
                  f"{sum(dropped.values())} paragraphs dropped, {sum(kept.values())} kept that were dropped")
            for label, counts in (("dropped", dropped), ("kept", kept)):
                for paragraph, count in counts.most_common(args.show):
                    print(f"  {label} {count:5d}  {paragraph}")


if __name__ == "__main__":
    main()
