"""The boilerplate rules, title and dateline handling, paragraph splitting."""

import textwrap

import pytest

from rag.cleaning import Rules, clean, default_rules, split_paragraphs
from rag.dates import parse_dateline, parse_lead_dateline
from rag.furniture import furniture
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
    # the closing credit line is a byline: about the article, not part of it
    assert cleaned.paragraphs[-1].startswith("Indian Defense Minister Rajnath Singh also attended")
    assert "contributed to this report" not in cleaned.text
    for fragment in BOILERPLATE:
        assert fragment.casefold() not in cleaned.text.casefold(), fragment
    # the headline is the title, not repeated in the body; the dateline is gone too
    assert cleaned.title not in cleaned.text
    assert "Yahoo26-06-2025" not in cleaned.text


WIRE_PAGE = """Harbour strike halts container traffic in Valmora

VALMORA, March 13 (Reuters) - Dock workers at the port of Valmora walked off the job on Thursday.

READ MORE: Port of Valmora posts record profits

The union said the strike would last at least 72 hours.

Read more:
- Ten best beaches to visit this summer
- Celebrity chef opens new restaurant downtown

Download our app for breaking news alerts.
"""


def test_widget_labels_end_the_article_however_they_are_dressed():
    cleaned = clean(WIRE_PAGE)
    assert cleaned.paragraphs == (
        "VALMORA, March 13 (Reuters) - Dock workers at the port of Valmora walked off the job on Thursday.",
        "The union said the strike would last at least 72 hours.",
    )
    for label in ("» Related", "Related:", "— See also —", "Also read:", "Read more:"):
        page = f"The union said the strike would go on.\n\n{label}\n\nTen best beaches to visit this summer"
        assert clean(page).paragraphs == ("The union said the strike would go on.",), label


@pytest.mark.parametrize("line", [
    "Image caption: The bridge in 2019", "Follow us on Twitter", "Share this:", "Share on Facebook",
    "Click here to subscribe", "This article originally appeared in The Orlavia Times.",
    "Listen to this article", "5 min read", "Advertisement - Scroll to continue",
    "Story continues below advertisement", "Contact the author at jane@example.com",
    "Subscribe to our daily briefing", "Reuse this content", "Tags: bridge, council", "Topics", "Latest News",
])
def test_page_furniture_between_paragraphs_is_dropped(line):
    body = ["The council voted on Tuesday to close the bridge for repairs.",
            "Engineers said the steel cables had corroded faster than expected."]
    assert clean(f"{body[0]}\n\n{line}\n\n{body[1]}").paragraphs == tuple(body)


@pytest.mark.parametrize("label", [
    "Explore more on these topics", "More from Reuters", "Recommended Stories", "Top Stories",
    "Join the conversation", "Up Next", "Popular Now", "What to read next", "Sponsored Stories",
    "Around the web", "In case you missed it", "More in World",
])
def test_widgets_after_the_article_end_it(label):
    body = "The council voted on Tuesday to close the bridge for repairs."
    assert clean(f"{body}\n\n{label}\n\nTen gadgets for your kitchen").paragraphs == (body,)


def test_prose_that_mentions_an_app_or_related_news_is_kept():
    text = ("Related news from the port was scarce on Thursday, the union said.\n\n"
            "Download figures for the new ferry app rose 40% after the strike began, its maker said.\n\n"
            "Subscribers to the ferry app doubled, and the company said it would share the data.")
    assert clean(text).paragraphs == tuple(text.split("\n\n"))


def test_clean_sample_loses_only_its_photo_caption():
    raw = (SAMPLES / "000_806c210b4fa405d6.txt").read_text(encoding="utf-8")
    caption = raw.split("\n")[1]
    assert caption.endswith("Peter Parks/AFP/Getty Images")
    cleaned = clean(raw)
    assert cleaned.title == "Chinese People's Liberation Army"
    assert cleaned.published is None  # the article states no date; a caption's date is not one
    body_words = raw.split()[len(cleaned.title.split()) + len(caption.split()):]
    assert cleaned.text.split() == body_words
    assert "Getty" not in cleaned.text and "Nov. 26, 2007" not in cleaned.text


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


def test_a_long_paragraph_is_article_text_whatever_it_opens_with():
    """Boilerplate is short. Rules such as "ready to dive into .* download .* app .*" (which
    backtracks quadratically on a long paragraph) or "more stories from .*" would otherwise
    drop a long paragraph that happens to open so, or end the article there."""
    pitch = "Ready to dive into the news? Download the Daily8 app today for more."
    dive = ("Ready to dive into the harbour at dawn, the divers download their dive plans and check "
            "the tide app before each descent. ") * 12
    stories = "More stories from the harbour came in all week, " + "from fishers and ferry crews alike, " * 30
    cleaned = clean(f"Harbour divers\n\n{pitch}\n\n{dive}\n\n{stories}\n\nRelated Articles\n\nTrailing junk.")
    assert cleaned.paragraphs == (dive.strip(), stories.strip())


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
    assert parse_dateline("Orlavia Herald, 4 March 2025") == "2025-03-04"
    assert parse_dateline("June 26, 2025") == "2025-06-26"
    assert parse_dateline("Published 2025-06-26") == "2025-06-26"
    assert parse_dateline("Updated: Jan. 3, 2024 10:30 GMT") == "2024-01-03"
    assert parse_dateline("Updated 3:45 PM EDT, Mon July 8, 2024") == "2024-07-08"  # the day of the week
    assert parse_dateline("Published Monday 8 July 2024") == "2024-07-08"
    assert parse_dateline("12-13-2020") == "2020-12-13"  # only month-first is valid
    assert parse_dateline("31-02-2020") is None
    assert parse_dateline("Fox News") is None
    assert parse_dateline("The guard stood in Beijing on Nov. 26, 2007, at a ceremony.") is None


# -- a one-line or headline-less text is all body ------------------------------------------

@pytest.mark.parametrize("text", [
    "Some early reports said Cyprus, but Raab was in fact in a five-star resort in Crete",
    "Bolton’s book is titled “The Room Where It Happened,” which is the title of a song from the musical “Hamilton.”",
    "“The Snowy Day,” by Ezra Jack Keats, topped the list. (The other options were also popular.)",
    "The World Food Programme won the award for its “efforts to combat hunger” and its “contribution",
    "A Short Line That Looks Like A Headline",
])
def test_a_one_paragraph_text_is_body_not_headline(text):
    cleaned = clean(text)
    assert (cleaned.title, cleaned.paragraphs) == (None, (text,))


@pytest.mark.parametrize("first", [
    "Some early reports said Cyprus, but Raab was in fact in a five-star resort in Crete",
    "The admiral said the visit would “promote peace.”",
    "“Are we there yet?”",
    "He was asked whether the talks had failed:",
    "officials said on Monday, after the vote",
    "The talks failed. Both sides left",
])
def test_a_sentence_like_first_paragraph_is_not_a_headline(first):
    body = "The second paragraph carries on with the story for a while."
    cleaned = clean(f"{first}\n\n{body}")
    assert (cleaned.title, cleaned.paragraphs) == (None, (first, body))


@pytest.mark.parametrize("headline", [
    "Iran's defense minister goes to China on first reported foreign trip since conflict with Israel",
    "Trump says US will meet Iran 'next week'",
    "Is China arming Iran?",
    "U.S. strikes three nuclear sites",
])
def test_a_headline_over_a_body_is_the_title(headline):
    cleaned = clean(f"{headline}\n\nThe story itself starts here and goes on.")
    assert cleaned.title == headline
    assert cleaned.paragraphs == ("The story itself starts here and goes on.",)


def test_a_headline_with_nothing_after_it_but_its_repeat_stays_text():
    assert clean("Harbour reopens\n\nHarbour reopens").paragraphs == ("Harbour reopens", "Harbour reopens")


# -- datelines give the date and are not stored as article text ----------------------------

@pytest.mark.parametrize("line, iso", [
    ("Orlavia Herald, 4 March 2025", "2025-03-04"),
    ("Orlavia Daily, 12 March 2025", "2025-03-12"),
    ("Reuters, June 26, 2025", "2025-06-26"),
    ("Reuters June 26, 2025", "2025-06-26"),
    ("Outlet | June 26, 2025", "2025-06-26"),
    ("By Jane Doe | Reuters | June 26, 2025", "2025-06-26"),
    ("Thu 26 Jun 2025 10.30 BST", "2025-06-26"),
    ("June 26, 2025 at 10:32 a.m. EDT", "2025-06-26"),
    ("Updated June 26, 2025 at 9:05 PM", "2025-06-26"),
])
def test_dateline_forms_give_the_date_and_leave_the_text(line, iso):
    body = "The port reopened on Monday after a week of strikes, officials said."
    cleaned = clean(f"{line}\n\n{body}")
    assert (cleaned.title, cleaned.published, cleaned.paragraphs) == (None, iso, (body,))
    titled = clean(f"Port reopens\n\n{line}\n\n{body}")
    assert (titled.title, titled.published, titled.paragraphs) == ("Port reopens", iso, (body,))


@pytest.mark.parametrize("paragraph, words, iso", [
    ("WASHINGTON, June 26 (Reuters) - The U.S. said it would act.", "The U.S. said", None),
    ("LONDON, Jan. 3, 2025 (AP) — Prices rose again in December.", "Prices rose", "2025-01-03"),
    ("KYIV, Ukraine (AP) — Russia fired missiles overnight.", "Russia fired", None),
    ("June 26 (Reuters) - The U.S. said it would act.", "The U.S. said", None),
    ("NEW DELHI — India said it would send a delegation.", "India said", None),
    ("Washington (CNN) — The Federal Reserve held rates.", "The Federal Reserve", None),
    ("Hong Kong, July 3, 2024 (Reuters) - Shares fell.", "Shares fell", "2024-07-03"),
    # CNN's own form, without a dash
    ("(CNN) The telescope has taken one giant step closer.", "The telescope", None),
    ("Washington (CNN)President Joe Biden signed the bill.", "President Joe Biden", None),
    ("New York (CNN Business) Shares of the airline fell.", "Shares of", None),
])
def test_wire_dateline_is_a_lead_and_its_year_alone_makes_a_date(paragraph, words, iso):
    cleaned = clean(f"Headline here\n\n{paragraph}\n\nMore of the story follows here.")
    assert cleaned.paragraphs[0] == paragraph  # the stored text is exact
    assert cleaned.paragraphs[0][cleaned.lead:].startswith(words)
    assert cleaned.published == iso  # a month and day without a year is no date


@pytest.mark.parametrize("paragraph", [
    "NATO — the alliance said it would meet.",
    "Mr. Smith (R) - said nothing.",
    "The U.S. said on June 26 (a Thursday) - after talks - that it would act.",
    "Reuters reported on Monday that the talks had failed.",
    "Senator Jane Doe (D-Calif.) — The bill passed the Senate.",  # a party, not a wire agency
    "Reports by (CNN) said the talks had failed.",
    "The network (CNN) said it would appeal.",
])
def test_ordinary_openings_are_not_wire_datelines(paragraph):
    assert parse_lead_dateline(paragraph) is None
    assert clean(paragraph).lead == 0


# -- bylines, captions and credits are not article text ------------------------------------

FURNITURE = [
    "By Jane Doe",
    "By Jane Doe | Reuters",
    "By JANE DOE and John Smith, Associated Press",
    "Jane Doe, Reuters",
    "Jane Doe, Staff Writer",
    "Reporting by Jane Doe in Beijing; Editing by John Roe",
    "CNN's Steven Jiang in Beijing contributed to this report.",
    "Photo: A soldier stands guard outside the ministry in Kyiv.",
    "Image credit: Getty Images",
    "President Joe Biden speaks in the East Room of the White House. (AP Photo/Evan Vucci)",
    "Navy honor guard stand at attention in Beijing on Nov. 26, 2007. Peter Parks/AFP/Getty Images",
    "A man walks past a mural in Tehran. Photograph: Atta Kenare/AFP via Getty Images",
]
ARTICLE_TEXT = [
    "The U.S. said it would act, according to Reuters.",
    "Reuters reported that the photo was taken in 2019 by a local resident.",
    "A photo of the minister showed him smiling at the cameras.",
    "By the end of the year, prices had risen by a third.",
    "The company, Reuters said, will expand into Asia next year.",
    "The deal was signed in Beijing/Tehran.",
    "Credit Suisse collapsed in March.",
    "Photos of the event spread online: dozens of people shared them.",
]


@pytest.mark.parametrize("paragraph", FURNITURE)
def test_bylines_captions_and_credits_are_dropped(paragraph):
    assert furniture(paragraph) is not None
    body = "The port reopened on Monday after a week of strikes, officials said."
    for text in (f"{paragraph}\n\n{body}", f"{body}\n\n{paragraph}"):
        assert clean(text).paragraphs == (body,)


@pytest.mark.parametrize("paragraph", ARTICLE_TEXT)
def test_paragraphs_mentioning_agencies_or_photos_are_kept(paragraph):
    assert furniture(paragraph) is None
    body = "The port reopened on Monday after a week of strikes, officials said."
    assert clean(f"{body}\n\n{paragraph}").paragraphs == (body, paragraph)


def test_a_text_that_is_only_furniture_is_kept_whole():
    assert clean("By Jane Doe").paragraphs == ("By Jane Doe",)


BODY = ("The council voted on Tuesday to close the bridge for repairs.",
        "Engineers said the steel cables had corroded faster than expected.")


@pytest.mark.parametrize("note", [
    "Contributing: The Associated Press", "Contributing: Jane Doe and Sam Roe, Orlavia Herald",
    "From Orlavia Herald Network and wire reports", "Staff and wire reports",
    "– Jane Doe", "— Sam Roe",
    "Follow Jane Doe on Twitter: @janedoe.", "Follow reporter Sam Roe @samroe. Email: sroe@example.com.",
    "Contact Jane Doe at jdoe@example.com or on Twitter @janedoe.",
    "Reach the reporter at sam.roe@example.com or 555-444-3333.",
    "Jane Doe covers city hall for the Orlavia Herald. Reach her at jdoe@example.com.",
    "Sam Roe is a trending news producer on the Herald's NOW team.",
    "Jane Doe can be reached at jdoe@example.com.",
    "More AP soccer: https://apnews.com/hub/soccer",
    "This story has been updated with additional developments Wednesday.",
    "This story and headline have been updated.",
    "This is a developing story and will be updated.",
    "Editor's note: A version of this story appeared in the Herald's Morning Brief newsletter.",
    "Thank you for supporting our journalism. You can subscribe to our print edition here.",
    "Support local journalism: Subscribe to the Herald today.",
    "What's everyone talking about? Sign up for our trending newsletter to get the latest news.",
    "(You can get the Morning Brief delivered to your inbox daily. Sign up here.)",
    "Get our free weekly newsletter Sign up for the Herald's opinion newsletter.",
    "Prices were accurate at the time this article was published but may change over time.",
    "— Recommendations are independently chosen by our editors. Purchases you make through our links may earn us a commission.",
    "Orlavia Wall Street is a Herald content partner offering financial news and commentary.",
    "Our fact-check sources:", "To report corrections & clarifications, contact:",
    "►Bridge recall:7,000 benches recalled after 81 reports of breaking",
    "►Related: The council lists the most popular bridges of the year. Is yours on it?",
    # links to other stories: a label glued to the headline, a bare address
    "More:Orlavia closes park entrances, evacuates visitors amid 'unprecedented' rainfall",
    "More: Why the hottest tickets of the year are bridge tours",
    "Live updates:Orlavia's prime minister resigns after six weeks in office",
    "'Literally ruined':Singer accused of damaging a historic dress at the gala",
    "https://www.example.com/story/news/2022/06/13/bridge-closes/4372464002/",
    "1. How relevant is this ad to you?",
    "JUST WATCHED Storm hits the coast Replay More Videos ... MUST WATCH",
    "High gas prices affecting you? Share your thoughts with the Herald.",
    "The views and opinions expressed in this column are the author's own.",
])
def test_credits_contacts_and_pitches_around_a_story_are_dropped(note):
    """What a news site prints under (or between) a story's paragraphs is never its text."""
    assert clean(f"{BODY[0]}\n\n{note}\n\n{BODY[1]}").paragraphs == BODY
    assert clean(f"{BODY[0]}\n\n{BODY[1]}\n\n{note}").paragraphs == BODY


@pytest.mark.parametrize("top", [
    ["USA TODAY"], ["Associated Press"], ["The Associated Press"], ["Special to the Orlavia Herald"],
    ["Special for USA TODAY Sports"], ["Opinion contributor"], ["Orlavia Free Press"],
    ["The Republic | example.com"], ["London CNN —"], ["Seoul, South Korea CNN —"],
    ["New York CNN Business —"], ["Jane Doe", "Special to USA TODAY"], ["Jane Doe and Sam Roe", "Associated Press"],
    ["Jane Doe", "CNBC"],
])
def test_an_outlets_lines_over_a_story_are_dropped(top):
    """'USA TODAY', 'London CNN —' and a reporter's name over an outlet's name are the page's
    header, not the story, when they come before it."""
    text = "\n\n".join([*top, *BODY])
    assert clean(text, title="Bridge closes").paragraphs == BODY


def test_an_outlets_name_or_a_name_lower_down_is_article_text():
    """Lower down, 'Detroit Free Press' or a lone name is a heading or a list entry."""
    lower = ["Papers that ran the story", "Orlavia Free Press", "Jane Doe"]
    text = "\n\n".join([*BODY, *BODY, *BODY, *lower, "It ran on page one in both."])
    assert clean(text, title="Bridge closes").paragraphs == (*BODY, *BODY, *BODY, *lower, "It ran on page one in both.")


@pytest.mark.parametrize("paragraph", [
    # a story's own sentence before a pitch keeps the paragraph (its text is the story's)
    "The rapper told a TV host that the mayor also asked him about the bridge. For more odd news, "
    "sign up for our weekly newsletter",
    "Residents can sign up for repair alerts on the council's website, officials said.",
    "The National Domestic Violence Hotline can be reached at (800) 799-7233.",
    "Contact the hotline at 988 if you or someone you know needs help.",
    "Sam Roe is a reporter for the Herald who was detained at the border for two days last week.",
    "► France recorded more than 100,000 infections in a single day for the first time.",
    "Follow the money, the inspector said, and the rest of the story tells itself.",
    # colons inside story text: a time, a ratio, a label the scrape kept apart from its text
    "The meeting starts at 10:30 a.m., and the vote passed 3:1 in favour.",
    "Update: The bridge reopened on Friday after engineers checked the cables.",
    "Timeline: the council closed the bridge in May.",
    "A:My philosophy is to respect people, expect quality and get the bridge fixed.",
    "March 19:The council counted 45 cracked cables on Thursday morning.",
    "Orlavia Steel (NYSE:OS), which made the cables, will replace them.",
    # a correction states the fact as it is ("It took place in 2021.")
    "Correction: An earlier version of this story misstated the year of the closure. It was 2021.",
])
def test_story_text_that_mentions_sign_ups_contacts_or_reporters_is_kept(paragraph):
    assert clean(f"{BODY[0]}\n\n{paragraph}").paragraphs == (BODY[0], paragraph)


def test_a_saved_page_with_a_headline_cut_short_keeps_its_title_date_and_dateline():
    """A page saved from a search result: its headline cut short with " ...", a date line, the
    reporter's name over the agency's, then the story under a wire dateline."""
    page = ("Bridge closes after floods leave the valley ...\n\n2021-10-07\n\nJane Doe\n\nAssociated Press\n\n"
            "PELHAM, Ala. – The council voted on Tuesday to close the bridge for repairs.\n\n"
            "Engineers said the steel cables had corroded faster than expected.\n\n"
            "Contributing: Sam Roe, Orlavia Herald")
    cleaned = clean(page)
    assert cleaned.title == "Bridge closes after floods leave the valley ..."
    assert cleaned.published == "2021-10-07"
    assert cleaned.paragraphs == ("PELHAM, Ala. – The council voted on Tuesday to close the bridge for repairs.",
                                  BODY[1])
    assert cleaned.paragraphs[0][cleaned.lead:].startswith("The council voted")


def test_prose_of_two_sentences_that_trails_off_is_no_headline():
    text = "He paused. And then the lights went out ...\n\nThe council voted on Tuesday to close the bridge."
    assert clean(text).title is None
