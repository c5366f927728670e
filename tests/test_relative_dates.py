"""Relative dates in evidence ("last year", "on Friday", "in July") resolved against the
publication date: the rules on a table of expressions and dates, offsets that slice the
expression out of the text, and citations that carry them."""

import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import Library, TextRecord, relative_dates
from rag.relative_dates import find_expressions, resolve_dates

# (publication date, sentence, [(expression as written, what it means)]); weekdays of the
# publication dates: 2015-10-15 Thu, 2025-01-01 Wed, 2024-12-31 Tue, 2024-02-29 Thu,
# 2025-03-01 Sat, 2025-06-26 Thu, 2026-01-04 Sun.
TABLE = [
    # the 2015 sample article
    ("2015-10-15", "Last year, two Chinese warships docked at Iran's principle Bandar Abbas port.",
     [("Last year", "2014")]),
    ("2015-10-15", "A senior Chinese official reportedly said Thursday after meeting the minister.",
     [("Thursday", "2015-10-15")]),  # the weekday of the publication day is that day
    ("2015-10-15", "A multilateral deal was reached in July and sanctions will be lifted.",
     [("July", "July 2015")]),
    ("2015-10-15", "Iran imported 2.76 million tons in June, up 29.6 percent from May and 26.5 percent a year ago.",
     [("June", "June 2015"), ("May", "May 2015"), ("a year ago", "2014")]),
    ("2015-10-15", "The talks ended on Monday.", [("Monday", "2015-10-12")]),
    ("2015-10-15", "The talks will resume on Monday.", [("Monday", "2015-10-19")]),
    ("2015-10-15", "Officials who will attend said on Monday that talks were on.", [("Monday", "2015-10-12")]),
    # expecting, being due and intending speak of the future as "will" does
    ("2025-09-02", "Forecasters expect the water to peak on Wednesday.", [("Wednesday", "2025-09-03")]),
    ("2023-02-01", "The leader is due to step down in May.", [("May", "May 2023")]),
    ("2023-02-01", "Biden intends to end the emergency on May 11.", [("May 11", "2023-05-11")]),
    ("2025-09-02", "Forecasters said on Monday the water had peaked.", [("Monday", "2025-09-01")]),
    # across a year boundary
    ("2025-01-01", "Last month the index fell, and last week it rose.",
     [("Last month", "December 2024"), ("last week", "week of 2024-12-23")]),
    ("2025-01-01", "Yesterday the vote that was held in December was annulled.",
     [("Yesterday", "2024-12-31"), ("December", "December 2024")]),
    ("2025-01-01", "The next vote will be held in December.", [("December", "December 2025")]),
    ("2025-01-01", "Police said last Friday that the suspect fled on Thursday.",
     [("last Friday", "2024-12-27"), ("Thursday", "2024-12-26")]),
    ("2025-01-01", "Growth this year will outpace next year, after a slump two months ago and three days ago.",
     [("this year", "2025"), ("next year", "2026"), ("two months ago", "November 2024"),
      ("three days ago", "2024-12-29")]),
    ("2024-12-31", "Tomorrow the law takes effect; next week the courts reopen; this week is quiet; "
     "next month prices rise.",
     [("Tomorrow", "2025-01-01"), ("next week", "week of 2025-01-06"), ("this week", "week of 2024-12-30"),
      ("next month", "January 2025")]),
    # leap days
    ("2024-02-29", "A year ago yesterday, on 29 February, nothing happened; tomorrow it will.",
     [("A year ago", "2023"), ("yesterday", "2024-02-28"), ("29 February", "2024-02-29"),
      ("tomorrow", "2024-03-01")]),
    ("2025-03-01", "The record set on February 29 stood.", [("February 29", "2024-02-29")]),
    ("2025-03-01", "The next leap-day race will be run on February 29.", [("February 29", "2028-02-29")]),
    # Saturday publication: last / bare / next weekday, the weekend
    ("2025-03-01", "He arrived last Saturday, spoke Saturday and leaves next Saturday.",
     [("last Saturday", "2025-02-22"), ("Saturday", "2025-03-01"), ("next Saturday", "2025-03-08")]),
    ("2025-03-01", "Over the weekend, rain fell.", [("the weekend", "weekend of 2025-03-01")]),
    # the 2025 sample article
    ("2025-06-26", "The two-day gathering began Wednesday in the Chinese coastal city of Qingdao.",
     [("Wednesday", "2025-06-25")]),
    ("2025-06-26", "Trump said the US would meet with Iran 'next week' about a potential nuclear agreement.",
     [("next week", "week of 2025-06-30")]),
    ("2025-06-26", "Chinese officials have condemned Israel's unprecedented June 13 attack on Iran.",
     [("June 13", "2025-06-13")]),
    ("2025-06-26", "Pakistan and India, which earlier this year engaged in a violent conflict.",
     [("earlier this year", "2025")]),
    ("2025-06-26", "It was agreed in mid-July last year, and they meet again next Thursday, "
     "this coming Monday and met last Thursday.",
     [("mid-July last year", "mid-July 2024"), ("next Thursday", "2025-07-03"),
      ("this coming Monday", "2025-06-30"), ("last Thursday", "2025-06-19")]),
    # Sunday publication
    ("2026-01-04", "This weekend's storm followed last week's, a week ago, the worst since last year.",
     [("This weekend", "weekend of 2026-01-03"), ("last week", "week of 2025-12-22"),
      ("a week ago", "week of 2025-12-22"), ("last year", "2025")]),
    ("2026-01-04", "It opened in December, on 4 January and on 5 January.",
     [("December", "December 2025"), ("4 January", "2026-01-04"), ("5 January", "2025-01-05")]),
]

# Nothing relative here: absolute dates, rolling periods, named days, vague spans, verbs.
NOTHING = [
    "Signed on June 13, 2025 in Paris, the deal replaced the July 2015 one and the 2015 Iran nuclear deal.",
    "Over the last year prices rose; the next month will tell; over the past week it rained.",
    "Good Friday and Super Tuesday fell on the last Friday of the month.",
    "He may go. Thousands March on parliament. June Carter sang.",
    "Chemicals have been delivered in recent months, in recent years and recently.",
    "Purchases since 2022 fell; the photo was taken in Beijing on Nov. 26, 2007.",
]


@pytest.mark.parametrize("published, sentence, expected", TABLE)
def test_expressions_resolve_against_the_publication_date(published, sentence, expected):
    found = resolve_dates(sentence, published)
    assert [(d.text, d.value) for d in found] == expected
    for d in found:
        assert sentence[d.start:d.end] == d.text
        assert d.first_day <= d.last_day


@pytest.mark.parametrize("sentence", NOTHING)
def test_absolute_vague_and_named_dates_are_left_alone(sentence):
    assert resolve_dates(sentence, "2025-06-26") == ()
    assert find_expressions(sentence) == ()


@pytest.mark.parametrize("published, sentence, first, last", [
    ("2025-03-01", "Earlier this month, prices fell.", "2025-03-01", "2025-03-01"),
    ("2025-06-26", "Later this year, the law applies.", "2025-06-26", "2025-12-31"),
    ("2025-06-26", "Earlier this week, they met.", "2025-06-23", "2025-06-26"),
    ("2025-06-26", "It happened in early July.", "2024-07-01", "2024-07-10"),
    ("2025-06-26", "It happened in late February.", "2025-02-21", "2025-02-28"),
    ("2024-06-26", "It happened in late February.", "2024-02-21", "2024-02-29"),
    ("2025-06-26", "They met last weekend.", "2025-06-21", "2025-06-22"),
    ("2025-06-26", "They meet this weekend.", "2025-06-28", "2025-06-29"),
])
def test_periods_cover_the_days_they_mean(published, sentence, first, last):
    (found,) = resolve_dates(sentence, published)
    assert (found.first_day, found.last_day) == (first, last)


@pytest.mark.parametrize("published", [None, "", "2025-13-01", "June 2025"])
def test_no_publication_date_resolves_nothing_but_the_expressions_are_found(published):
    sentence = "Last year, two Chinese warships docked at Bandar Abbas on Friday."
    assert resolve_dates(sentence, published) == ()
    assert [sentence[a:b] for a, b in find_expressions(sentence)] == ["Last year", "Friday"]


def test_offsets_are_absolute_in_the_document():
    document = "Headline\n\nSome text. Last year, the port opened. More text."
    start = document.index("Last year, the port")
    sentence = document[start:document.index(" More")]
    (found,) = resolve_dates(sentence, "2015-10-15", offset=start)
    assert document[found.start:found.end] == "Last year" and found.value == "2014"


EXPRESSIONS = ["last year", "Last year", "on Friday", "Thursday", "yesterday", "today", "last week",
               "in July", "earlier this month", "two years ago", "this week", "next month",
               "June 13", "13 June", "in mid-July", "over the weekend", "July last year", "3 days ago"]
FILLER = ["the", "port", "said", "will", "officials", "in", "on", "2015", "May", "June", ",", ".",
          "deal", "signed", "last", "next", "of", "Friday's", "ago"]
piece = st.sampled_from(EXPRESSIONS) | st.sampled_from(FILLER) | st.text(alphabet="abcxyz ’'", max_size=6)


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(piece, max_size=20), prefix=st.text(max_size=30),
       published=st.dates(min_value=__import__("datetime").date(1901, 1, 1),
                          max_value=__import__("datetime").date(2099, 12, 31)))
def test_every_resolved_date_slices_its_expression_out_of_the_document(pieces, prefix, published):
    sentence = " ".join(pieces)
    document = prefix + sentence + " tail"
    found = resolve_dates(sentence, published.isoformat(), offset=len(prefix))
    spans = find_expressions(sentence, offset=len(prefix))
    assert [(d.start, d.end) for d in found] == list(spans)  # with a date, every expression resolves
    previous_end = len(prefix)
    for d in found:
        assert document[d.start:d.end] == d.text
        assert previous_end <= d.start < d.end <= len(prefix) + len(sentence)  # in order, no overlap
        assert d.first_day <= d.last_day
        previous_end = d.end


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(piece | st.sampled_from([s for _, s, _ in TABLE]), max_size=12))
def test_the_quick_look_for_a_date_word_never_hides_an_expression(pieces):
    """A text without any word the rules need is passed over without running them: the
    expressions found are the same as when every text is scanned."""
    sentence = " ".join(pieces)
    found = find_expressions(sentence)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(relative_dates, "_CUE", re.compile(""))  # matches every text
        assert find_expressions(sentence) == found


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(words=st.lists(st.sampled_from(["navy", "drill", "port", "oil", "talks", "fleet"]), min_size=3, max_size=8),
       expression=st.sampled_from(EXPRESSIONS), published=st.sampled_from(["2015-10-15", "2024-02-29", None]))
def test_citation_dates_slice_the_stored_document(tiny_encoder, words, expression, published):
    sentence = f"The {' '.join(words)} happened {expression} near the harbour, officials confirmed."
    text = f"{sentence} The weather was calm and the sea was quiet for the whole visit there."
    with tempfile.TemporaryDirectory() as folder:
        with Library.open(Path(folder) / "library", encoder=tiny_encoder) as library:
            library.add_texts([TextRecord(source="r", text=text, published=published)])
            answer = library.ask(sentence)
            cited = [c for c in answer.citations if c.evidence == sentence]
            assert cited, answer
            document = library.document(cited[0].document_id)
            dates = cited[0].dates
            if published is None:
                assert dates == ()
            else:
                assert [d.text for d in dates] == [expression.removeprefix("in ").removeprefix("on ")
                                                   .removeprefix("over ")]
            for d in dates:
                assert document.text[d.start:d.end] == d.text
                assert cited[0].evidence_start <= d.start < d.end <= cited[0].evidence_end
            assert answer.to_json()["citations"][0]["dates"] == [
                {"start": d.start, "end": d.end, "text": d.text, "value": d.value,
                 "first_day": d.first_day, "last_day": d.last_day} for d in cited[0].dates]
