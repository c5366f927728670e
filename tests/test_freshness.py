"""A news question's "now": the library's newest date, older documents count for less, and
nothing changes where nothing is dated or the question names its own year."""

from datetime import date

import numpy as np
import pytest

from rag import freshness, rerank
from rag.ingest import TextRecord
from rag.search import SearchFilters, restriction

QUESTION = "Which airline announced a deal this week to buy Spirit Airlines?"


def _deal(airline: str, published: str | None) -> TextRecord:
    return TextRecord(source=f"news/{airline}", published=published, title=f"{airline} deal",
                      text=f"{airline} announced a deal to buy Spirit Airlines for 3.8 billion dollars. "
                           f"The merger still needs approval from regulators.")


@pytest.mark.parametrize("published, reference, expected", [
    (None, "2022-07-29", 0.0),  # undated: never stale
    ("2022-07-01", None, 0.0),  # nothing dated in the library
    ("2022-07-29", "2022-07-29", 0.0),
    ("2022-06-29", "2022-07-29", 0.0),  # within FRESH_DAYS
    ("2022-08-05", "2022-07-29", 0.0),  # newer than the reference
    ("2015-03", "2022-07-29", 0.0),  # a partial date says too little
])
def test_current_undated_and_unreadable_documents_are_never_stale(published, reference, expected):
    assert freshness.staleness(published, reference) == expected


def test_staleness_rises_with_age_and_stays_below_one():
    ages = ["2022-06-01", "2022-01-01", "2019-07-29", "1990-01-01"]
    stale = [freshness.staleness(published, "2022-07-29") for published in ages]
    assert 0 < stale[0] < stale[1] < stale[2] < stale[3] < 1
    half = date.fromordinal(date(2022, 7, 29).toordinal() - freshness.FRESH_DAYS - freshness.STALE_HALF_DAYS)
    assert freshness.staleness(half.isoformat(), "2022-07-29") == pytest.approx(0.5)


@pytest.mark.parametrize("question, own_time", [
    ("Who won the 2014 Tony Award for best musical?", True),
    ("Which bands defined the 1990s?", True),
    ("What did the 2022-06 report say?", True),
    ("Which airline announced a deal this week?", False),
    ("How many of the 2,000 workers went on strike?", False),
    ("What did the $2022 bill cover?", False),
    ("Who won Super Bowl 50?", False),
])
def test_a_question_naming_a_year_sets_its_own_time(question, own_time):
    assert freshness.sets_its_own_time(question) is own_time


def test_the_reference_is_the_newest_date_not_after_today(tiny_library):
    assert freshness.reference_date(tiny_library._db) is None  # an empty library
    tiny_library.add_texts([_deal("Acme", "2022-07-29"), _deal("Zenith", "2015-03-02"),
                            _deal("Typo", "2999-01-01"), _deal("Nodate", None)])
    assert freshness.reference_date(tiny_library._db, date(2026, 12, 7)) == "2022-07-29"
    assert freshness.reference_date(tiny_library._db, date(2018, 1, 1)) == "2015-03-02"
    # a search filtered to older news reads "now" as the newest it may cite
    older = restriction(SearchFilters(published_to="2020-12-31"))
    assert freshness.reference_date(tiny_library._db, date(2026, 12, 7), older) == "2015-03-02"
    nodate = restriction(SearchFilters(documents=[d.id for d in tiny_library.documents() if d.title == "Nodate deal"]))
    assert freshness.reference_date(tiny_library._db, date(2026, 12, 7), nodate) is None


@pytest.mark.parametrize("current, old", [("Acme", "Zenith"), ("Zenith", "Acme")])
def test_the_current_story_answers_and_an_old_one_does_not(tiny_library, current, old):
    """Two pages say the same with another airline: the one of the library's week answers,
    whichever it is, in search and in ask."""
    tiny_library.add_texts([_deal(current, "2022-07-29"), _deal(old, "2016-02-05")])
    answer = tiny_library.ask(QUESTION, min_confidence=0)
    assert answer.citations[0].title == f"{current} deal"
    assert tiny_library.search(QUESTION, k=2)[0].passage.title == f"{current} deal"


def _results(library, question):
    hits = library.search(question, k=2)
    answer = library.ask(question, min_confidence=0)
    return [(h.passage.title, h.score) for h in hits], answer.text, answer.confidence


@pytest.mark.parametrize("dates, question", [
    (("2022-07-29", "2022-07-20"), QUESTION),  # both current
    (("2022-07-29", "2016-02-05"), QUESTION.replace("this week", "this week in 2016")),  # it names its year
    (("2022-07-29", "2016-02-05"), QUESTION.replace(" this week", "")),  # it does not say "now"
])
def test_dates_change_nothing_unless_a_question_about_now_meets_an_old_page(tmp_path, tiny_encoder, dates,
                                                                              question):
    """The same pages undated and dated: the same hits and scores, and the same answer."""
    from rag import Library

    undated = Library.open(tmp_path / "undated", encoder=tiny_encoder)
    dated = Library.open(tmp_path / "dated", encoder=tiny_encoder)
    undated.add_texts([_deal("Acme", None), _deal("Zenith", None)])
    dated.add_texts([_deal("Acme", dates[0]), _deal("Zenith", dates[1])])
    assert _results(dated, question) == _results(undated, question)


def test_a_stale_passage_keeps_its_fused_score_above_the_tail():
    ranked = [(1, 0.9), (2, 0.8), (3, 0.7)]
    features = np.array([[1.0, 1.0], [0.0, 0.0]])
    order = rerank.rerank(ranked, features, weights=(1.0, 1.0), staleness=[1.0, 0.0])
    scores = dict(order)
    assert scores[1] == pytest.approx((0.9 + 2.0 * (1 - rerank.STALE_DISCOUNT)) / 3.0)
    assert [s for _, s in order] == sorted(scores.values(), reverse=True)
    assert order[-1][0] == 3  # the tail stays behind the head, however stale the head


@pytest.mark.parametrize("question, about_now", [
    (QUESTION, True),
    # no word of the present: an old page may be the one that knows ("Who is Sun Jianguo?")
    ("Which airline announced a deal to buy Spirit Airlines?", False),
])
def test_an_answer_only_an_old_page_gives_is_less_certain_when_asked_about_now(tmp_path, tiny_encoder, question,
                                                                               about_now):
    """The library's news is of 2022; only a 2016 page tells of the deal: it is still cited,
    and when the question is about this week its chance of answering is cut by the page's
    staleness."""
    from rag import Library

    weather = "Heavy rain flooded the coastal road on Friday, and the ferry to the island stopped running."
    answers = {}
    for name, dates in (("undated", (None, None)), ("dated", ("2022-07-29", "2016-02-05"))):
        library = Library.open(tmp_path / name, encoder=tiny_encoder)
        library.add_texts([TextRecord(source="news/weather", text=weather, published=dates[0]),
                           _deal("Acme", dates[1])])
        answers[name] = library.ask(question, min_confidence=0)
    assert answers["dated"].citations[0].title == answers["undated"].citations[0].title == "Acme deal"
    cut = 1 - freshness.staleness("2016-02-05", "2022-07-29") if about_now else 1.0
    assert answers["dated"].confidence == pytest.approx(answers["undated"].confidence * cut)
    assert freshness.asks_about_now(question) is about_now
    # and the statement the UI, the CLI and the JSON show says why it is lower
    said = answers["dated"].confidence_statement
    assert ("from a page of 2016-02-05" in said and "the library's news of 2022-07-29" in said) is about_now
    assert answers["dated"].to_json()["older_page"] == (
        {"published": "2016-02-05", "library_newest": "2022-07-29"} if about_now else None)
    assert "page of" not in answers["undated"].confidence_statement


@pytest.mark.parametrize("question, about_now", [
    ("Which head of state announced his resignation this week?", True),
    ("What is the latest estimate of the damage?", True),
    ("How many people have been evacuated so far?", True),
    ("Following the attack on Salman Rushdie last week, which author did Rowling defend?", True),
    ("What did the minister announce last year?", False),  # a year ago: year-old pages are current
    ("Who is Sun Jianguo?", False),
    ("When did China and Iran hold naval exercises?", False),
    ("Who won the election this year, in 2014?", False),  # the year it names is its time
])
def test_words_of_the_present_say_a_question_is_about_now(question, about_now):
    assert freshness.asks_about_now(question) is about_now


@pytest.mark.parametrize("current, old", [("Acme", "Zenith"), ("Zenith", "Acme")])
def test_a_search_filtered_to_older_news_reads_now_within_the_filter(tiny_library, current, old):
    """A library of 2022 news, searched for what was new this week as of 2016: the 2016 page
    is current there and the 2012 one is not."""
    tiny_library.add_texts([_deal(current, "2016-02-05"), _deal(old, "2012-01-02"),
                            TextRecord(source="news/weather", published="2022-07-29",
                                       text="Heavy rain flooded the coastal road on Friday.")])
    until_2016 = SearchFilters(published_to="2016-12-31")
    assert tiny_library.search(QUESTION, k=2, filters=until_2016)[0].passage.title == f"{current} deal"
    assert tiny_library.ask(QUESTION, filters=until_2016, min_confidence=0).citations[0].title == f"{current} deal"
