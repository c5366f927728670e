"""Questions asked of whole scraped news articles, as an analyst's library holds them.

The news tuning set (`../shared/tools/build-news-dev.py`) is one clean passage per story. Real
uploads are whole pages: an outlet's name over the story, a byline, the story, then credits,
contact lines and newsletter pitches. The RealTime QA snapshot keeps, for each weekly quiz of
2022, the pages a web search returned for its questions (`past/2022/<week>_gcs.jsonl`: URL,
title, date, full scraped text). This builds one library per week from those pages, asks
that week's questions (`<week>_qa.jsonl`) and reports:

- `holding`: questions whose right choice is in the library at all (as words of their own,
  any case, without the quotation marks around a title: '"Another World"' is held by 'the
  soap opera "Another World,"'); a choice no text can say ("All of the above", "TRUE") is
  never held;
- `answered`, `first_quotes_answer`, `any_quotes_answer`: over the holding questions, at the
  product's threshold, the answer's first claim / any citation quoting the right choice;
- `furniture_cited`: cited sentences that are page furniture by a fixed test independent of
  the cleaning rules (an e-mail address or @handle, "sign up", "newsletter", "Contributing:",
  "contributed to this report", "follow ... on Twitter", "this story has been updated");
  each one is printed;
- `dateline_cited`: cited sentences that open with a wire dateline ("Washington (CNN)",
  "TAMPA, Fla. (AP) —"), also printed;
- `question_cited`: cited sentences that end in a question mark (a quiz's or an explainer's
  question quoted back), also printed;
- `about_now`, `stale_first_claims`, `stale_first_claims_right`: answered questions that say
  they are about the present ("this week", `rag.freshness.asks_about_now`), and those of
  them whose first claim is from a page more than 30 days older than the library's newest
  (`freshness.staleness` > 0), with how many of those quote the right choice.

Only 2022 weeks by default: the held-out news set is the quizzes of 2023 on.

    .venv/bin/python bench/news_articles.py /work/.mirror/realtimeqa+realtimeqa_public/repo --weeks 6
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from embeddings import DEFAULT_MODEL, Encoder  # noqa: E402
from rag import TextRecord, freshness, passages  # noqa: E402
from rag.evaluation.datasets import Dataset, Question, quotes_answer  # noqa: E402
from rag.evaluation.embedding_cache import CachingEncoder  # noqa: E402
from rag.evaluation.runner import ASK_K, open_evaluation_library  # noqa: E402
from rag.results import first_claim  # noqa: E402

_FURNITURE = re.compile(
    r"\S@\S|(?<!\w)@\w{2,}|\bsign up\b|\bnewsletter\b|^\W*contributing:|contributed to this report"
    r"|\bfollow\b.{0,60}\bon (?:twitter|facebook|instagram)\b|this (?:story|article) has been updated",
    re.I,
)

_DATELINE = re.compile(r"^[\w ,.'’-]{0,40}\((?:CNN|AP|Reuters|AFP)[\w ]{0,12}\)"
                       r"|^(?:[A-Z][\w.'’-]*,? ){0,4}CNN(?: [A-Z]\w+)? [—–]")


def snapshot_lines(repo: Path, path: str) -> list[str]:
    """The lines of one file of the snapshot (a bare git folder: read with `git show`)."""
    return subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, text=True,
                          check=True).stdout.splitlines()


def snapshot_names(repo: Path, year: str) -> list[str]:
    """The snapshot's files of one year's quizzes, `past/<year>/...`."""
    return subprocess.run(["git", "-C", str(repo), "ls-tree", "--name-only", "HEAD", f"past/{year}/"],
                          capture_output=True, text=True, check=True).stdout.split()


def weeks(repo: Path, year: str) -> list[str]:
    names = snapshot_names(repo, year)
    stems = {Path(n).name[:-len("_gcs.jsonl")] for n in names if n.endswith("_gcs.jsonl")}
    return sorted(s for s in stems if f"past/{year}/{s}_qa.jsonl" in names and s.isdigit())


_UNSAYABLE = re.compile(r"(?:all|none|both|neither) of the (?:above|following)|true|false|yes|no", re.I)


def _as_said(choice: str) -> str | None:
    """The choice as a text would say it: without the quotation marks around a title, or None
    for one no text says ("All of the above", "TRUE")."""
    said = choice.strip().strip("\"“”‘’'").strip()
    return None if _UNSAYABLE.fullmatch(said) else said


def week_dataset(repo: Path, year: str, week: str) -> Dataset:
    pages, questions = {}, []
    for line in snapshot_lines(repo, f"past/{year}/{week}_gcs.jsonl"):
        for found in json.loads(line)["search_result"]:
            if found.get("url") and (found.get("text") or "").strip():
                published = (found.get("publish_date") or "").replace("/", "-")[:10] or None
                pages.setdefault(found["url"], TextRecord(source=found["url"], text=found["text"],
                                                          title=found.get("title"), published=published))
    for line in snapshot_lines(repo, f"past/{year}/{week}_qa.jsonl"):
        quiz = json.loads(line)
        right = [said for a in quiz.get("answer", []) if a.isdigit()
                 and (said := _as_said(quiz["choices"][int(a)]))]
        if right:
            questions.append(Question(id=quiz["question_id"], text=quiz["question_sentence"], relevant={},
                                      answers=tuple(right)))
    texts = json.dumps([[r.source, r.text] for r in pages.values()])
    digest = hashlib.sha256(texts.encode()).hexdigest()[:16]
    return Dataset(name=f"news-articles-{week}", split="all", records=tuple(pages.values()),
                   questions=tuple(questions), fingerprint=digest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("snapshot", type=Path,
                        help="a RealTime QA checkout (fetch github:realtimeqa/realtimeqa_public)")
    parser.add_argument("--year", default="2022")
    parser.add_argument("--weeks", type=int, default=6, help="how many weeks, evenly spread over the year")
    parser.add_argument("--shift", type=int, default=0,
                        help="start the spread this many weeks later (other weeks than the default's)")
    parser.add_argument("--min-words", type=int, default=None,
                        help="measure another `PassageSettings.min_words` "
                             "(short paragraphs pack into passages of this many words)")
    args = parser.parse_args()
    if args.min_words is not None:
        passages.SETTINGS = dataclasses.replace(passages.SETTINGS, min_words=args.min_words)
    encoder = CachingEncoder(Encoder(DEFAULT_MODEL))
    every = weeks(args.snapshot, args.year)
    chosen = every[args.shift:: max(1, len(every) // args.weeks)][: args.weeks]
    totals = dict(questions=0, holding=0, answered=0, first_quotes_answer=0, any_quotes_answer=0,
                  citations=0, furniture_cited=0, dateline_cited=0, question_cited=0,
                  about_now=0, stale_first_claims=0, stale_first_claims_right=0)
    for week in chosen:
        dataset = week_dataset(args.snapshot, args.year, week)
        with open_evaluation_library(dataset, encoder) as library:
            stored = " ".join(library.document(d.id).text for d in library.documents())
            for question in dataset.questions:
                totals["questions"] += 1
                if not quotes_answer(stored, question.answers):
                    continue
                totals["holding"] += 1
                answer = library.ask(question.text, k=ASK_K)
                if answer.abstained:
                    continue
                totals["answered"] += 1
                claim = first_claim(answer.citations)
                right = any(quotes_answer(c.evidence, question.answers) for c in claim)
                totals["first_quotes_answer"] += right
                if freshness.asks_about_now(question.text):
                    totals["about_now"] += 1
                    stale = freshness.staleness(claim[0].published, freshness.reference_date(library._db)) > 0
                    totals["stale_first_claims"] += stale
                    totals["stale_first_claims_right"] += stale and right
                totals["any_quotes_answer"] += any(quotes_answer(c.evidence, question.answers)
                                                   for c in answer.citations)
                for citation in answer.citations:
                    totals["citations"] += 1
                    if _FURNITURE.search(citation.evidence):
                        totals["furniture_cited"] += 1
                        print(f"  furniture cited ({week}): {citation.evidence[:140]!r}")
                    if _DATELINE.match(citation.evidence):
                        totals["dateline_cited"] += 1
                        print(f"  dateline cited ({week}): {citation.evidence[:140]!r}")
                    if citation.evidence.rstrip(" \"'’”)").endswith("?"):
                        totals["question_cited"] += 1
                        print(f"  question cited ({week}): {citation.evidence[:140]!r}")
        print(f"{week}: {len(dataset.records)} pages, {len(dataset.questions)} questions", flush=True)
    holding = max(totals["holding"], 1)
    print(json.dumps({**totals, "answered_share": round(totals["answered"] / holding, 4),
                      "first_quotes_answer_share": round(totals["first_quotes_answer"] / holding, 4),
                      "any_quotes_answer_share": round(totals["any_quotes_answer"] / holding, 4),
                      "weeks": chosen}))


if __name__ == "__main__":
    main()
