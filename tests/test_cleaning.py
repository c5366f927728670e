"""The boilerplate rules, title and dateline handling, paragraph splitting."""

import textwrap

from rag.cleaning import Rules, clean, default_rules, split_paragraphs
from rag.dates import parse_dateline
from tests.conftest import SAMPLES

SCRAPE = SAMPLES / "003_f6b81b0075e755a8.txt"
BOILERPLATE = [
    "logo", "Orange background", "Try Our AI Features", "Explore what Daily8 AI can do for you",
    "Comments", "No comments yet", "Related Articles", "Download the App", "Daily8 app",
    "app-store", "decision point", "OPEC", "Oil Starts Summer", "Fox News", "Bloomberg",
]


def test_scraped_sample_keeps_only_the_article():
    cleaned = clean(SCRAPE.read_text(encoding="utf-8"))
    assert cleaned.title == (
        "Iran's defense minister goes to China on first reported foreign trip since conflict with Israel"
    )
    assert cleaned.published == "2025-06-26"
    assert cleaned.paragraphs[0].startswith("Iran's defense minister has traveled")
    assert cleaned.paragraphs[-1] == "CNN's Steven Jiang in Beijing and New Delhi bureau contributed to this report."
    for fragment in BOILERPLATE:
        assert fragment.casefold() not in cleaned.text.casefold(), fragment
    # the headline is the title, not repeated in the body; the dateline is gone too
    assert cleaned.title not in cleaned.text
    assert "Yahoo26-06-2025" not in cleaned.text


def test_clean_sample_loses_nothing():
    raw = (SAMPLES / "000_806c210b4fa405d6.txt").read_text(encoding="utf-8")
    cleaned = clean(raw)
    assert cleaned.title == "Chinese People's Liberation Army"
    assert cleaned.published is None  # the article states no date; a caption's date is not one
    body_words = raw.split()[len(cleaned.title.split()):]
    assert cleaned.text.split() == body_words


def test_rules_are_data_and_match_whole_paragraphs():
    rules = Rules.from_toml('drop = ["advert"]\nend_of_article = ["the end"]')
    cleaned = clean(
        "Headline here\n\nadvert\n\nAn advert for soap is text, not boilerplate.\n\nthe end\n\nTrailing junk.",
        rules=rules,
    )
    assert cleaned.paragraphs == ("An advert for soap is text, not boilerplate.",)


def test_end_marker_needs_a_body_before_it():
    cleaned = clean("Comments\n\nComments are what this essay is about, at length.", title="Essay")
    assert cleaned.paragraphs[0] == "Comments"


def test_default_rules_load():
    rules = default_rules()
    assert rules.drop and rules.end_of_article


def test_hard_wrapped_prose_is_one_paragraph():
    prose = ("The committee met on Tuesday to discuss the harbour plans, which had been delayed "
             "for several months because of a dispute over funding between the city and the port "
             "authority, and reached no decision.")
    wrapped = textwrap.fill(prose, 60)
    assert wrapped.count("\n") >= 2
    assert split_paragraphs(wrapped + "\n\n" + wrapped) == [prose, prose]


def test_one_sentence_per_line_is_one_paragraph_per_line():
    lines = ["First paragraph ends here.", "Second paragraph, also complete.", "Third!"]
    assert split_paragraphs("\n".join(lines)) == lines


def test_headline_over_caption_stays_two_paragraphs():
    text = "A Short Headline\nA caption under it that describes a photograph of something."
    assert len(split_paragraphs(text)) == 2


def test_metadata_title_and_date_win():
    cleaned = clean("Body text of the piece goes here.", title="  Given   Title ", published="2024-02-03T10:00")
    assert cleaned.title == "Given Title"
    assert cleaned.published == "2024-02-03"


def test_datelines():
    assert parse_dateline("Yahoo26-06-2025") == "2025-06-26"
    assert parse_dateline("June 26, 2025") == "2025-06-26"
    assert parse_dateline("Published 2025-06-26") == "2025-06-26"
    assert parse_dateline("Updated: Jan. 3, 2024 10:30 GMT") == "2024-01-03"
    assert parse_dateline("12-13-2020") == "2020-12-13"  # only month-first is valid
    assert parse_dateline("31-02-2020") is None
    assert parse_dateline("Fox News") is None
    assert parse_dateline("The guard stood in Beijing on Nov. 26, 2007, at a ceremony.") is None
