"""The evaluation harness: metrics by hand, dataset readers, and `python -m rag eval` end to end
on small datasets written here (the tiny model, a private cache folder)."""

import json
import math
import os
import subprocess
import sys

import pytest

from rag import cli
from rag.evaluation import metrics
from rag.evaluation.datasets import DatasetError, load_beir, load_squad
from rag.evaluation.abstention import summary
from rag.evaluation.news_months import by_month
from rag.evaluation.runner import contains_answer, evaluate_abstention
from tests.conftest import REPO


def test_metrics_match_hand_computation():
    ranked = ["a", "x", "b", "y"]
    relevant = {"a": 1, "b": 1, "c": 1}
    assert metrics.recall_at(1, ranked, relevant) == pytest.approx(1 / 3)
    assert metrics.recall_at(10, ranked, relevant) == pytest.approx(2 / 3)
    dcg = 1 / math.log2(2) + 1 / math.log2(4)
    ideal = 1 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert metrics.ndcg_at(10, ranked, relevant) == pytest.approx(dcg / ideal)
    assert metrics.reciprocal_rank_at(10, ["x", "y", "b"], relevant) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank_at(2, ["x", "y", "b"], relevant) == 0.0
    assert metrics.ndcg_at(10, ["x"], {}) == 0.0


def test_documents_rank_at_their_best_passage():
    assert metrics.documents_by_best_passage(["d2", "d1", "d2", "d3", "d1"]) == ["d2", "d1", "d3"]


def test_contains_answer_ignores_case_and_spacing():
    assert contains_answer("It was held in  Santa Clara, California.", ["santa clara"])
    assert not contains_answer("It was held in Santa Clara.", ["Levi's Stadium"])


TOPICS = {
    "volcano": ("Volcanic eruptions", "Magma rises through the crust and erupts as lava from the volcano vent."),
    "bees": ("Honey bee colonies", "Worker bees collect nectar from flowers and store honey in wax combs."),
    "rails": ("Steam railways", "Steam locomotives burned coal to boil water and pull trains across the country."),
    "tides": ("Ocean tides", "The gravity of the moon pulls the oceans and causes high and low tides each day."),
}


@pytest.fixture
def beir_folder(tmp_path):
    folder = tmp_path / "tiny-beir"
    (folder / "qrels").mkdir(parents=True)
    with open(folder / "corpus.jsonl", "w") as corpus:
        for doc_id, (title, text) in TOPICS.items():
            corpus.write(json.dumps({"_id": doc_id, "title": title, "text": text}) + "\n")
    questions = {"q1": "lava erupts from the volcano", "q2": "bees store honey in combs",
                 "q3": "coal steam locomotives", "q4": "moon gravity tides"}
    with open(folder / "queries.jsonl", "w") as queries:
        for qid, text in questions.items():
            queries.write(json.dumps({"_id": qid, "text": text}) + "\n")
    gold = dict(zip(questions, TOPICS))
    (folder / "qrels" / "test.tsv").write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in gold.items()))
    return folder


@pytest.fixture
def squad_file(tmp_path):
    articles = [
        {"title": title.replace(" ", "_"), "paragraphs": [{
            "context": text,
            "qas": [{"id": f"{doc_id}-1", "question": question,
                     "answers": [{"text": answer, "answer_start": text.index(answer)}]}],
        }]}
        for (doc_id, (title, text)), (question, answer) in zip(TOPICS.items(), [
            ("What erupts from the volcano vent?", "lava"),
            ("Where do worker bees store honey?", "wax combs"),
            ("What did steam locomotives burn?", "coal"),
            ("What pulls the oceans and causes tides?", "The gravity of the moon"),
        ])
    ]
    path = tmp_path / "tiny-squad.json"
    path.write_text(json.dumps({"version": "1.1", "data": articles}))
    return path


@pytest.fixture
def run_eval(tmp_path, monkeypatch, capsys):
    """`python -m rag eval ... --json` in this process (the CLI's own main), with a private
    cache; one test below also runs it as a real subprocess."""
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))

    def run(*args):
        capsys.readouterr()
        assert cli.main(["eval", *args, "--json"]) == 0
        return json.loads(capsys.readouterr().out)

    return run


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_eval_beir_end_to_end(run_eval, beir_folder, tiny_model_dir, mode):
    report = run_eval("beir", str(beir_folder), "--mode", mode, "--model", tiny_model_dir)
    assert report["dataset"] == "tiny-beir" and report["mode"] == mode and report["queries"] == 4
    assert set(report["metrics"]) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
    # Four documents: all are within the top 10, whatever the ranking.
    assert report["metrics"]["recall@10"] == 1.0
    if mode != "dense":  # each query shares words with only its own document
        assert report["metrics"]["ndcg@10"] == 1.0 and report["metrics"]["mrr@10"] == 1.0


def test_eval_reuses_the_built_library_and_cached_embeddings(run_eval, tmp_path, beir_folder, tiny_model_dir):
    first = run_eval("beir", str(beir_folder), "--mode", "dense", "--model", tiny_model_dir)
    libraries = sorted((tmp_path / "cache" / "eval-libraries").iterdir())
    assert len(libraries) == 1
    stamp = (libraries[0] / "library.sqlite").stat().st_mtime_ns
    second = run_eval("beir", str(beir_folder), "--mode", "dense", "--model", tiny_model_dir)
    assert second == first
    assert sorted((tmp_path / "cache" / "eval-libraries").iterdir()) == libraries
    assert (libraries[0] / "library.sqlite").stat().st_mtime_ns == stamp


def test_eval_squad_end_to_end(tmp_path, squad_file, tiny_model_dir):
    """As a user runs it: a real `python -m rag eval` process."""
    env = {**os.environ, "RAG_CACHE_DIR": str(tmp_path / "cache"), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "rag", "eval", "squad", str(squad_file), "--mode", "lexical",
         "--model", tiny_model_dir, "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"] == "tiny-squad" and report["mode"] == "lexical"
    assert report["queries"] == 4
    assert set(report["metrics"]) == {"recall@1", "recall@5", "recall@20", "mrr@10", "evidence_accuracy"}
    assert report["metrics"]["recall@1"] == 1.0
    assert 0.0 <= report["metrics"]["evidence_accuracy"] <= 1.0


def test_squad_splits_partition_the_questions(squad_file):
    everything = load_squad(squad_file, "all")
    tune, test = load_squad(squad_file, "tune"), load_squad(squad_file, "test")
    assert len(everything.records) == len(tune.records) == len(test.records) == 4  # all indexed
    assert {q.id for q in tune.questions} | {q.id for q in test.questions} == {q.id for q in everything.questions}
    assert not {q.id for q in tune.questions} & {q.id for q in test.questions}


def test_bad_dataset_paths_say_what_is_missing(tmp_path, beir_folder, capsys):
    with pytest.raises(DatasetError, match="qrels/dev.tsv is missing"):
        load_beir(beir_folder, "dev")
    with pytest.raises(DatasetError, match="corpus.jsonl is missing"):
        (beir_folder / "corpus.jsonl").unlink()
        load_beir(beir_folder, "test")
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(DatasetError, match="not SQuAD v1.1 JSON"):
        load_squad(broken)
    assert cli.main(["eval", "squad", str(tmp_path / "nope.json")]) == 1
    assert "nope.json is missing" in capsys.readouterr().err


@pytest.fixture
def news_folder(tmp_path):
    """A news tuning set as build-news-dev.py lays it out: two months of quiz questions, and
    unanswerable/ without the passages of two of them."""
    questions = {"20200103_0": ("lava erupts from the volcano", "volcano"),
                 "20200110_0": ("bees store honey in combs", "bees"),
                 "20200207_0": ("coal steam locomotives", "rails"),
                 "20200214_0": ("moon gravity tides", "tides")}
    removed = {"bees", "tides"}
    for part, kept_topics in (("answerable", set(TOPICS)), ("unanswerable", set(TOPICS) - removed)):
        folder = tmp_path / "news" / part
        (folder / "qrels").mkdir(parents=True)
        (folder / "corpus.jsonl").write_text("".join(
            json.dumps({"_id": d, "title": "", "text": TOPICS[d][1]}) + "\n" for d in TOPICS if d in kept_topics))
        asked = {q: v for q, v in questions.items() if part == "answerable" or v[1] in removed}
        (folder / "queries.jsonl").write_text("".join(
            json.dumps({"_id": q, "text": text}) + "\n" for q, (text, _) in asked.items()))
        (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + "".join(
            f"{q}\t{d}\t1\n" for q, (_, d) in asked.items()))
    (tmp_path / "news" / "unanswerable" / "removed.tsv").write_text("".join(f"{d}\n" for d in sorted(removed)))
    return tmp_path / "news"


def test_news_months_cut_the_set_into_one_library_per_month(news_folder):
    answerable = load_beir(news_folder / "answerable")
    unanswerable = load_beir(news_folder / "unanswerable")
    parts = by_month(answerable, unanswerable)
    assert [[r.source for r in a.records] for a, _ in parts] == [["volcano", "bees"], ["rails", "tides"]]
    assert [[q.id for q in a.questions] for a, _ in parts] == [["20200103_0", "20200110_0"], ["20200207_0", "20200214_0"]]
    # each month's unanswerable library keeps only that month's remaining passages
    assert [[r.source for u in us for r in u.records] for _, us in parts] == [["volcano"], ["rails"]]
    assert [[q.id for u in us for q in u.questions] for _, us in parts] == [["20200110_0"], ["20200214_0"]]
    assert len({a.fingerprint for a, _ in parts}) == 2  # cached apart


def test_eval_news_reports_abstention_on_the_whole_set_and_by_month(run_eval, news_folder, tiny_model_dir):
    report = run_eval("news", str(news_folder), "--model", tiny_model_dir)
    assert report["queries"] == 4
    whole, monthly = report["abstention"], report["abstention_monthly"]
    assert (whole["answerable"], whole["unanswerable"]) == (4, 2)
    assert (monthly["answerable"], monthly["unanswerable"]) == (4, 2)
    for run in (whole, monthly):
        assert set(run["metrics"]) == {"answered", "answered_right", "right_if_always_answered", "refused"}


def test_the_embedding_cache_keeps_each_kind_of_vectors_apart(tmp_path, minilm_encoder):
    """An int8 evaluation must not be served the fp32 vectors an earlier run cached."""
    from embeddings import Encoder
    from rag.evaluation.embedding_cache import CachingEncoder

    texts = ["The exercise ran for three days in the Gulf of Oman.", "Ships from three navies took part."]
    fp32 = CachingEncoder(minilm_encoder, tmp_path / "cache.sqlite").encode(texts)
    int8 = CachingEncoder(Encoder(backend="onnx-int8"), tmp_path / "cache.sqlite")
    vectors = int8.encode(texts)
    assert int8.misses == 2 and int8.vector_kind == "onnx-int8"
    assert (vectors * fp32).sum(axis=1).max() < 1 - 1e-4


def test_a_known_answer_counts_where_its_passage_says_it_as_words_of_their_own(news_folder):
    """The held-out news set (bench/build_news_heldout.py) gives each question its quiz's right
    choice; only a choice its own passage spells out can be quoted, and "oil" is not in "boil"."""
    queries = news_folder / "answerable" / "queries.jsonl"
    answers = {"20200103_0": ["LAVA"], "20200110_0": ["wax  combs"], "20200207_0": ["oil"], "20200214_0": []}
    queries.write_text("".join(json.dumps({**row, "answers": answers[row["_id"]]}) + "\n"
                               for row in map(json.loads, queries.read_text().splitlines())))
    loaded = {q.id: q.quoted_answers for q in load_beir(news_folder / "answerable").questions}
    assert loaded == {"20200103_0": ("LAVA",), "20200110_0": ("wax  combs",), "20200207_0": (), "20200214_0": ()}


def test_eval_news_says_how_often_the_first_claim_quotes_the_known_answer(news_folder, tiny_model_dir,
                                                                           tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    for part in ("answerable", "unanswerable"):
        queries = news_folder / part / "queries.jsonl"
        queries.write_text("".join(json.dumps({**row, "answers": ["lava"] if row["_id"] == "20200103_0" else ["wax"]})
                                   + "\n" for row in map(json.loads, queries.read_text().splitlines())))
    answerable, unanswerable = load_beir(news_folder / "answerable"), load_beir(news_folder / "unanswerable")
    result = evaluate_abstention(answerable, [unanswerable], model=tiny_model_dir)
    quoting = {o.quotes_answer for o in result.outcomes if not o.answerable}
    assert quoting == {None}  # an unanswerable question's passage is gone: nothing it could quote
    quotable = [o for o in result.outcomes if o.quotes_answer is not None]
    assert len(quotable) == 2  # the volcano and the bees: the others' passages do not say "wax"
    for threshold in (0.0, 0.5, 1.0):
        expected = sum(o.quotes_answer and o.confidence >= threshold for o in quotable) / 2
        assert summary(result.outcomes, threshold)["answered_quoting_answer"] == expected
    assert result.figures["quoting_answer_if_always_answered"] == sum(o.quotes_answer for o in quotable) / 2
