"""Reading evaluation datasets into TextRecords, queries and relevance judgements.

Owns the BEIR layout (`corpus.jsonl`, `queries.jsonl`, `qrels/<split>.tsv`) and SQuAD v1.1
JSON, and the SQuAD tuning/test split by article. Errors name the missing or malformed file.
Does not search or score.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import RagError
from rag.ingest import TextRecord
from rag.inline_markup import strip_inline_markup

# SQuAD has no train split here, so its articles are split: every TUNE_EVERY-th article
# (in file order) is for tuning constants, the others are held out for reporting.
TUNE_EVERY = 4
SQUAD_SPLITS = ("all", "tune", "test")
SQUAD_SOURCE = "squad"  # record sources are squad-<article>-<paragraph>


class DatasetError(RagError):
    """An evaluation dataset that cannot be read; the message names the file."""


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    relevant: dict[str, int]  # record source -> relevance grade
    answers: tuple[str, ...] = ()  # gold answer strings (SQuAD)
    # A BEIR-layout question's known answer ("answers" in queries.jsonl: a news quiz's right
    # choice), kept where the question's own passage spells it out ("Iraq" is not quoted by
    # a passage saying Baghdad). Relevance still decides whether a citation is right; this
    # says whether its quote also holds the answer.
    quoted_answers: tuple[str, ...] = ()


def contains_answer(sentence: str, answers) -> bool:
    """Whether a gold answer string occurs in the sentence (case and spacing ignored)."""
    haystack = " ".join(sentence.casefold().split())
    return any(" ".join(a.casefold().split()) in haystack for a in answers)


def quotes_answer(text: str, answers) -> bool:
    """Whether `text` says one of `answers` as words of their own (case and spacing ignored):
    a quiz's choice "US" is not quoted by "because", nor "117" by "1170"."""
    haystack = " ".join(text.casefold().split())
    return any(re.search(rf"(?<!\w){re.escape(' '.join(a.casefold().split()))}(?!\w)", haystack)
               for a in answers if a.strip())


@dataclass(frozen=True)
class Dataset:
    name: str
    split: str
    records: tuple[TextRecord, ...]
    questions: tuple[Question, ...]
    fingerprint: str  # changes when the files do, so a cached library is never stale


def _fingerprint(*paths: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _json_lines(path: Path) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except FileNotFoundError:
        raise DatasetError(f"{path} is missing; a BEIR dataset folder has corpus.jsonl, "
                           "queries.jsonl and qrels/<split>.tsv") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path} is not JSON lines ({error})") from error


def load_beir(folder: Path | str, split: str = "test") -> Dataset:
    folder = Path(folder)
    corpus_path, queries_path = folder / "corpus.jsonl", folder / "queries.jsonl"
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.exists():
        raise DatasetError(f"{qrels_path} is missing; choose a split that has a qrels file")
    records = tuple(
        TextRecord(source=str(doc["_id"]), text=doc.get("text") or "", title=doc.get("title") or None)
        for doc in _json_lines(corpus_path)
    )
    queries = {str(q["_id"]): q for q in _json_lines(queries_path)}
    relevant: dict[str, dict[str, int]] = {}
    with open(qrels_path, encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows, None)  # header: query-id corpus-id score
        for query_id, corpus_id, score in rows:
            relevant.setdefault(query_id, {})[corpus_id] = int(score)
    # as the library stores them; only read when some question carries a known answer
    texts = ({r.source: strip_inline_markup(r.text)[0] for r in records}
             if any(q.get("answers") for q in queries.values()) else {})
    questions = tuple(
        Question(qid, queries[qid]["text"], grades, quoted_answers=tuple(
            a for a in queries[qid].get("answers") or ()
            if any(quotes_answer(texts.get(source, ""), [a]) for source in grades)))
        for qid, grades in relevant.items() if qid in queries
    )
    return Dataset(folder.name, split, records, questions,
                   _fingerprint(corpus_path, queries_path, qrels_path))


def load_squad(path: Path | str, split: str = "all") -> Dataset:
    """Every paragraph becomes a record (titled by its article); questions of `split`."""
    path = Path(path)
    if split not in SQUAD_SPLITS:
        raise DatasetError(f"SQuAD split must be one of {', '.join(SQUAD_SPLITS)}, got {split!r}")
    try:
        articles = json.loads(path.read_text(encoding="utf-8"))["data"]
    except FileNotFoundError:
        raise DatasetError(f"{path} is missing; pass the SQuAD v1.1 JSON file") from None
    except (json.JSONDecodeError, KeyError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path} is not SQuAD v1.1 JSON ({error})") from error
    records, questions = [], []
    for a, article in enumerate(articles):
        title = article["title"].replace("_", " ")
        in_split = split == "all" or (split == "tune") == (a % TUNE_EVERY == 0)
        for p, paragraph in enumerate(article["paragraphs"]):
            source = f"{SQUAD_SOURCE}-{a:02d}-{p:03d}"
            records.append(TextRecord(source=source, text=paragraph["context"], title=title))
            if in_split:
                questions.extend(
                    Question(qa["id"], qa["question"], {source: 1},
                             tuple(answer["text"] for answer in qa["answers"]))
                    for qa in paragraph["qas"]
                )
    return Dataset(path.stem, split, tuple(records), tuple(questions), _fingerprint(path))


def squad_articles(dataset: Dataset) -> dict[str, int]:
    """Record source -> the number of its SQuAD article (for removing whole articles)."""
    return {r.source: int(r.source.split("-")[1]) for r in dataset.records}
