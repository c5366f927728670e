"""The head re-ranker: its features are bounded, its bonus never lets the tail pass the head,
and a hybrid search ranks its top the same however many hits are asked for."""

import numpy as np
import pytest

from rag import lexical, rerank
from rag.search import SearchRun, build_query
from rag.search_stages import FUSED
from tests.conftest import SAMPLES

QUESTIONS = ["joint naval drills", "Which countries are members of the SCO?", "oil imports in June",
             "who is the Iranian defense minister?"]


def _fused_run(library, question):
    query = build_query(library._db, question, 10, None, "hybrid", library.encoder.encode_query, needs_vector=True)
    run = SearchRun(library._db, library._current_vectors(), query)
    for stage in FUSED:
        stage(run)
    return run


@pytest.mark.parametrize("question", QUESTIONS)
def test_features_are_shares_between_zero_and_one(tiny_library, question):
    tiny_library.add([SAMPLES])
    run = _fused_run(tiny_library, question)
    head = [i for i, _ in run.ranked[: rerank.RERANK_DEPTH]]
    features = rerank.head_features(run, head)
    assert features.shape == (len(head), len(rerank.FEATURES))
    assert (features >= 0).all() and (features <= 1 + 1e-9).all()
    # the passages each retriever put first get the full rank prior
    assert features[:, rerank.FEATURES.index("dense_rank")].max() == pytest.approx(1.0)


def test_phrase_share_counts_the_question_pairs_kept_together():
    shanghai, cooperation, organization = lexical.terms("the Shanghai Cooperation Organization")
    idf = {shanghai: 2.0, cooperation: 1.0, organization: 1.0}
    pairs = rerank.question_pairs([shanghai, cooperation, organization], idf)
    assert pairs == {(shanghai, cooperation): 3.0, (cooperation, organization): 2.0}
    # stopwords between the words do not part them; another word, or the other order, does
    assert rerank.phrase_share(lexical.terms("Shanghai and the Cooperation of an Organization"), pairs) == 1.0
    assert rerank.phrase_share(lexical.terms("Shanghai trade cooperation organization"), pairs) == pytest.approx(0.4)
    assert rerank.phrase_share(lexical.terms("organization cooperation Shanghai"), pairs) == 0.0
    # a one-word question has no pair to keep
    assert rerank.question_pairs(["sco"], {"sco": 3.0}) == {}
    assert rerank.phrase_share(["sco"], {}) == 0.0


def test_the_phrase_feature_reads_the_passage_as_the_analyser_does(tiny_library):
    tiny_library.add([SAMPLES])
    run = _fused_run(tiny_library, "Shanghai Cooperation Organization")
    head = [i for i, _ in run.ranked[: rerank.RERANK_DEPTH]]
    features = rerank.head_features(run, head)[:, rerank.FEATURES.index("phrase")]
    passages = run.passages(head)
    spelled_out = [pid for pid in head if "Shanghai Cooperation Organization" in passages[pid].text]
    assert spelled_out and all(features[head.index(pid)] == pytest.approx(1.0) for pid in spelled_out)
    assert all(features[n] < 1.0 for n, pid in enumerate(head) if "Cooperation Organization" not in passages[pid].text)


def test_the_bonus_reorders_the_head_and_never_lets_the_tail_pass():
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7), (4, 0.6)]
    features = np.array([[0.0, 0.0], [0.0, 1.0]])  # a head of two; the second reads far better
    order = rerank.rerank(ranked, features, weights=(1.0, 0.5))
    assert [i for i, _ in order] == [2, 1, 3, 4]
    assert order[0][1] == pytest.approx((0.8 + 0.5) / 2.5)
    scores = [s for _, s in order]
    assert scores == sorted(scores, reverse=True) and max(scores) <= 1


def test_zero_weights_keep_the_fused_order():
    ranked = [(7, 0.95), (3, 0.9), (5, 0.2)]
    order = rerank.rerank(ranked, np.ones((2, 3)), weights=(0.0, 0.0, 0.0))
    assert order == ranked


@pytest.mark.parametrize("question", QUESTIONS)
def test_the_top_hits_do_not_depend_on_k(tiny_library, question):
    tiny_library.add([SAMPLES])
    few, many = tiny_library.search(question, k=3), tiny_library.search(question, k=200)
    assert [(h.passage.id, h.score) for h in few] == [(h.passage.id, h.score) for h in many[:3]]
    scores = [h.score for h in many]
    assert scores == sorted(scores, reverse=True) and scores[0] <= 1
