"""`python -m rag`: ingest, ask, search, list and remove documents from the shell.

Owns argument parsing, the progress bar and human/JSON output. Errors the library raises on
purpose (RagError) become one line on stderr and exit status 1; nothing else is caught.
Heavy imports happen only inside commands, so `--help` is instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rag.ingest_run import DEFAULT_COMMIT_EVERY
from rag.readers import LISTED_SUFFIXES  # light: the format parsers load only when used
from rag.terminal_text import block, one_line  # every untrusted string printed goes through these

DEFAULT_LIBRARY = "library"
# The search modes, default first (kept here so `--help` needs no import of the library).
MODES = ("hybrid", "dense", "lexical")


def library_default() -> str:
    return os.environ.get("RAG_LIBRARY") or DEFAULT_LIBRARY


def _at_least_one(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m rag",
        description="Ask questions over your documents and get answers with checkable citations.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument(
            "--library", default=library_default(), metavar="DIR",
            help="library folder (default: $RAG_LIBRARY or ./library)",
        )
        return sub

    ingest = command("ingest", f"add or update files and folders ({' '.join(LISTED_SUFFIXES)})")
    ingest.add_argument("paths", nargs="+", metavar="PATH")
    ingest.add_argument("--model", help="embedding model for a NEW library (name or folder)")
    ingest.add_argument("--ray", nargs="?", const="local", metavar="ADDRESS",
                        help="read and embed on a Ray cluster (host:port of its head; without an "
                        "address, a local Ray instance on 127.0.0.1); needs requirements-ray.txt")
    ingest.add_argument("--ray-actors", type=_at_least_one, metavar="N",
                        help="with --ray: model replicas (default: as many as the cluster's CPUs allow)")
    ingest.add_argument("--ray-threads", type=_at_least_one, default=1, metavar="N",
                        help="with --ray: inference threads (and CPUs) per replica (default 1)")
    ingest.add_argument("--commit-every", type=_at_least_one, default=DEFAULT_COMMIT_EVERY, metavar="N",
                        help="passages per commit: documents appear and a re-run resumes in steps "
                        f"of this size (default {DEFAULT_COMMIT_EVERY:,})")

    for name, help_text in (("ask", "answer a question with cited evidence"),
                            ("search", "list the passages closest to a query")):
        sub = command(name, help_text)
        sub.add_argument("query", metavar="QUESTION" if name == "ask" else "QUERY")
        sub.add_argument("--k", type=int, default=5, help="passages to retrieve (default 5)")
        sub.add_argument("--document", action="append", metavar="DOC_ID",
                         help="only search this document (repeatable)")
        sub.add_argument("--from", dest="published_from", metavar="YYYY-MM-DD",
                         help="only documents published on or after this date")
        sub.add_argument("--to", dest="published_to", metavar="YYYY-MM-DD",
                         help="only documents published on or before this date")
        sub.add_argument("--mode", choices=MODES, default=MODES[0],
                         help="hybrid (default: meaning and words fused), dense (meaning) or lexical (BM25)")
        sub.add_argument("--json", action="store_true", help="print one JSON object")
        if name == "ask":
            sub.add_argument("--write", action="store_true",
                             help="have your language model (RAG_LLM_URL, RAG_LLM_MODEL) write the answer; "
                             "only sentences its citations state are shown")

    evaluate = commands.add_parser(
        "eval", help="measure retrieval quality on a BEIR dataset or SQuAD v1.1",
        description="Build a library from a public dataset (cached), search it, print metrics.",
    )
    evaluate.add_argument("dataset", choices=("beir", "squad", "news"))
    evaluate.add_argument("path", metavar="PATH", help="BEIR folder, the SQuAD v1.1 JSON file, or a news "
                          "folder with answerable/ and unanswerable/ (../shared/tools/build-news-dev.py)")
    evaluate.add_argument("--abstention", action="store_true",
                          help="SQuAD: also ask each question with its article removed and report answered, "
                          "answered-and-right and refused (news always reports them, on the whole set and on one "
                          "small library per month)")
    evaluate.add_argument("--mode", choices=MODES, default=MODES[0])
    evaluate.add_argument("--split", help="BEIR: a qrels file name (default test); "
                          "SQuAD: all (default), tune or test (articles held out from tuning)")
    evaluate.add_argument("--model", default=None, help="embedding model (default: the packaged MiniLM)")
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")

    command("docs", "list the documents in the library")
    edit = command("edit", "set a document's title or publication date (answers and date filters follow)")
    edit.add_argument("document_id", metavar="DOC_ID")
    edit.add_argument("--title", help="the new title (embedded again with every passage); '' for none")
    edit.add_argument("--published", metavar="YYYY-MM-DD", help="the publication date; '' for unknown")
    remove = command("remove", "delete a document and its passages")
    remove.add_argument("document_id", metavar="DOC_ID")
    check = command("check", "check the library is consistent; exit status 1 if it is not")
    check.add_argument("--repair", action="store_true",
                       help="also fix what can be rebuilt from the library itself (vectors, leftover files)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from rag.errors import RagError

    try:
        status = COMMANDS[args.command](args)
        sys.stdout.flush()  # inside the try: a closed pipe raises here, not at exit
        return status
    except BrokenPipeError:
        # The reader stopped (`docs | head`): end quietly, as other tools do when killed by
        # SIGPIPE. Python would otherwise complain again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except RagError as error:
        print(f"error: {one_line(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; the library is unchanged by the unfinished step", file=sys.stderr)
        return 130


def _open(args, *, model: str | None = None):
    from rag import Library
    from rag.settings import encoder_backend_from_env

    return Library.open(args.library, model=model, backend=encoder_backend_from_env())


def _open_or_build(args):
    """ask/search on a library that does not exist yet: build it from the samples first,
    so the very first command a newcomer types works."""
    from rag.samples import SAMPLES_DIR, open_with_samples
    from rag.settings import encoder_backend_from_env

    backend = encoder_backend_from_env()  # a bad value is refused before anything is built
    if not Path(args.library, "library.sqlite").exists():
        print(f"No library at {one_line(args.library)}; building it from {SAMPLES_DIR} first.", file=sys.stderr)
    library, report = open_with_samples(args.library, on_progress=ProgressBar(), backend=backend)
    if report is not None:
        print(report.summary(), file=sys.stderr)
    return library


class ProgressBar:
    """A one-line progress bar on stderr, drawn only for a terminal."""

    def __init__(self, stream=sys.stderr):
        self.stream = stream
        self.active = stream.isatty()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.active or total <= 0:
            return
        width = 30
        filled = int(width * done / total)
        self.stream.write(f"\r{stage:<9} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def cmd_ingest(args) -> int:
    ray = None
    if args.ray is not None:
        from rag.distributed import RayCluster

        ray = RayCluster(address=args.ray, actors=args.ray_actors, threads=args.ray_threads)
    library = _open(args, model=args.model)
    report = library.add(args.paths, on_progress=ProgressBar(), ray=ray, commit_every=args.commit_every)
    for document_id in report.added:
        print(f"added    {one_line(document_id)}")
    for document_id in report.updated:
        print(f"updated  {one_line(document_id)}")
    for failure in report.failed:  # a file's name may hold a newline: one line per failure, always
        print(f"failed   {one_line(failure.path)}: {one_line(failure.reason)}", file=sys.stderr)
    print(report.summary())
    return 1 if report.failed else 0


def _filters(args):
    from rag import SearchFilters

    return SearchFilters(
        documents=tuple(args.document) if args.document else None,
        published_from=args.published_from,
        published_to=args.published_to,
    )


def cmd_ask(args) -> int:
    library = _open_or_build(args)
    streaming = args.write and not args.json and sys.stderr.isatty()
    if args.write:
        from rag.settings import language_model_from_env

        library.language_model = language_model_from_env()
    answer = library.ask(args.query, k=args.k, filters=_filters(args), mode=args.mode, write=args.write,
                         on_text=_stream_to_stderr if streaming else None)
    if streaming:
        print(file=sys.stderr)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False))
        return 0
    if answer.written:
        print(written_summary(answer.written))
    print(block(answer.text))
    print(answer.confidence_statement)
    for citation in answer.citations:
        print(f"\n[{citation.n}] {one_line(citation.display_title)} ({citation.published or 'date unknown'}), "
              f"paragraph {citation.paragraph}, cosine {citation.score:.2f}")
        print(f"    {one_line(citation.source)}  [{citation.evidence_start}:{citation.evidence_end}]")
        print(f"    “{block(citation.evidence)}”")
        if dates := _dates_line(citation):
            print(dates)
    if answer.abstained and answer.nearest:
        print("\nNearest passages (not an answer):")
        _print_hits(answer.nearest, args.mode)
    return 0


def _stream_to_stderr(text: str) -> None:
    """The model's reply as it arrives, unchecked, on the terminal (the answer follows on stdout)."""
    sys.stderr.write(block(text))
    sys.stderr.flush()


def written_summary(written) -> str:
    """What became of the written answer: shown (and what was dropped, and why), or why not."""
    if not written.shown:
        return f"Written answer not shown: {one_line(written.failure)}\nQuoted answer:"
    lines = [f"Written by {one_line(written.model)}; each sentence checked against the passages it cites."]
    for dropped in written.dropped:
        lines.append(f"  dropped: “{one_line(dropped.text)}” ({one_line(dropped.reason)})")
    return "\n".join(lines)


def _dates_line(citation) -> str:
    """What the evidence's relative dates mean ("Last year" = 2014), or why none is given."""
    from rag.relative_dates import find_expressions

    if citation.dates:
        return "    dates: " + "; ".join(f"“{one_line(d.text)}” = {d.value}" for d in citation.dates)
    if find_expressions(citation.evidence):
        return (f"    dates: not resolved, the publication date is unknown (set it with "
                f"`python -m rag edit {citation.document_id} --published YYYY-MM-DD`)")
    return ""


def cmd_search(args) -> int:
    hits = _open_or_build(args).search(args.query, k=args.k, filters=_filters(args), mode=args.mode)
    if args.json:
        print(json.dumps({"query": args.query, "mode": args.mode, "hits": [h.to_json() for h in hits]},
                         ensure_ascii=False))
        return 0
    _print_hits(hits, args.mode)
    return 0


def _print_hits(hits, mode: str) -> None:
    from rag.search import SCORE_LABELS

    if hits:
        print(f"     ({SCORE_LABELS[mode]}: a retrieval score, not a probability)")
    for hit in hits:
        p = hit.passage
        print(f"{hit.rank:>3}. {hit.score:.3f}  {one_line(p.display_title)} ({p.published or 'date unknown'}), "
              f"paragraph {p.paragraph}  [{p.document_id} {p.start}:{p.end}]")
        print(f"     {block(p.text[:200])}{'…' if len(p.text) > 200 else ''}")


def cmd_eval(args) -> int:
    from embeddings import DEFAULT_MODEL
    from rag.evaluation.abstention import squad_without_articles
    from rag.evaluation.datasets import load_beir, load_squad, squad_articles
    from rag.evaluation.news_months import by_month
    from rag.evaluation.runner import (evaluate_abstention, evaluate_abstention_in_parts, evaluate_beir,
                                       evaluate_squad)

    model = args.model or DEFAULT_MODEL
    options = {"mode": args.mode, "model": model, "on_progress": ProgressBar()}
    abstention = monthly = None
    if args.dataset == "beir":
        result = evaluate_beir(load_beir(args.path, args.split or "test"), **options)
    elif args.dataset == "news":
        answerable = load_beir(Path(args.path) / "answerable", args.split or "test")
        result = evaluate_beir(answerable, **options)
        unanswerable = load_beir(Path(args.path) / "unanswerable", "test")
        abstention = evaluate_abstention(answerable, [unanswerable], **options)
        monthly = evaluate_abstention_in_parts(by_month(answerable, unanswerable), **options)
    else:
        dataset = load_squad(args.path, args.split or "all")
        result = evaluate_squad(dataset, **options)
        if args.abstention:
            abstention = evaluate_abstention(dataset, squad_without_articles(dataset, squad_articles(dataset)),
                                             **options)
    if args.json:
        print(json.dumps(result.to_json() | ({"abstention": abstention.to_json()} if abstention else {})
                         | ({"abstention_monthly": monthly.to_json()} if monthly else {})))
        return 0
    print(f"{result.dataset} ({result.split}), mode {result.mode}, {result.queries} queries")
    for name, value in result.metrics.items():
        print(f"  {name:<24} {value:.4f}")
    for label, run in (("abstention", abstention), ("abstention, one small library per month", monthly)):
        if run:
            print(f"{label}: {run.answerable} answerable, {run.unanswerable} unanswerable questions")
            for name, value in run.figures.items():
                print(f"  {name:<24} {value:.4f}")
    return 0


def cmd_docs(args) -> int:
    documents = _open(args).documents()
    if not documents:
        print("The library is empty; add files with `python -m rag ingest PATH`.")
    width = max((len(doc.id) for doc in documents), default=0)  # ids differ in length: align the columns
    for doc in documents:
        print(f"{doc.id:<{width}}  {doc.published or '----------'}  {doc.paragraphs:>3} paragraphs  "
              f"{one_line(doc.display_title)}")
    return 0


def cmd_check(args) -> int:
    from rag.check import check_library

    report = check_library(args.library, repair=args.repair)
    for line in report.repaired:
        print(f"repaired  {one_line(line)}")
    found = {f.check for f in report.problems + report.leftovers}
    for name in report.checks:
        if name not in found:
            print(f"ok        {name}")
    for finding in report.leftovers:
        print(f"leftover  {finding.check}: {one_line(finding.message)}")
    for finding in report.problems:
        print(f"PROBLEM   {finding.check}: {one_line(finding.message)}")
    if report.reingest:
        print("Ingest again (remove, then ingest): "
              + ", ".join(f"{one_line(d)} ({one_line(s)})" for d, s in report.reingest))
    count = len(report.problems)
    print("The library is consistent." if report.ok else f"{count} problem{'s' * (count != 1)} found.")
    return 0 if report.ok else 1


def cmd_edit(args) -> int:
    if args.title is None and args.published is None:
        print("error: give --title, --published or both", file=sys.stderr)
        return 2
    doc = _open(args).edit_document(args.document_id, title=args.title, published=args.published)
    print(f"{doc.id}  {doc.published or '----------'}  {one_line(doc.title)}")
    return 0


def cmd_remove(args) -> int:
    _open(args).remove(args.document_id)
    print(f"removed  {one_line(args.document_id)}")
    return 0


COMMANDS = {
    "ingest": cmd_ingest,
    "ask": cmd_ask,
    "search": cmd_search,
    "eval": cmd_eval,
    "docs": cmd_docs,
    "edit": cmd_edit,
    "remove": cmd_remove,
    "check": cmd_check,
}
