"""Follow-up questions read in the context of the question before, and only those."""

import pytest

from rag.follow_ups import read_as, read_in_context
from tests.conftest import DRILLS_QUESTION

SCO_MEMBERS = "which countries are members of the SCO?"
FOUNDED = "and when was it founded?"


@pytest.mark.parametrize("previous, follow_up, read_as", [
    (SCO_MEMBERS, FOUNDED, "and when was it founded (SCO)?"),
    (SCO_MEMBERS, "who leads them?", "who leads them (SCO)?"),
    ("where did Aziz Nasirzadeh travel?", "what did he say there?", "what did he say there (Aziz, Nasirzadeh)?"),
    (SCO_MEMBERS, "and why?", "and why (SCO)?"),
    (SCO_MEMBERS, "tell me more", "tell me more (SCO)?"),
    # no names in the previous question: its content words carry the subject
    (DRILLS_QUESTION, "where were they held?", "where were they held (joint, naval, drills)?"),
])
def test_a_follow_up_is_read_with_the_previous_subject(previous, follow_up, read_as):
    assert read_in_context(follow_up, previous) == read_as


@pytest.mark.parametrize("follow_up", [
    "when was the SCO founded?",  # names its subject
    "where is Bandar Abbas and who runs it?",  # a pronoun, but it refers inside the question
    "which joint naval drills were held?",  # content words of its own, no reference
    "are there any joint naval exercises?",  # "are there" refers to nothing
    "which ships took part in exercises that lasted four days?",  # a relative "that"
    "what did China say in 2025?",
])
def test_a_self_contained_question_is_left_as_typed(follow_up):
    assert read_in_context(follow_up, SCO_MEMBERS) == follow_up


def test_a_first_question_is_left_as_typed():
    assert read_in_context(FOUNDED, None) == FOUNDED


def test_an_empty_question_stays_empty_to_be_refused():
    assert read_in_context("  ?! ", SCO_MEMBERS) == "  ?! "


def test_read_as_is_said_only_when_the_context_changed_the_question():
    assert read_as("and  when was it founded?", "and when was it founded?") is None  # only tidied
    assert read_as(FOUNDED, "and when was it founded (SCO)?") == "and when was it founded (SCO)?"


def test_a_chain_of_follow_ups_keeps_the_first_subject():
    second = read_in_context(FOUNDED, SCO_MEMBERS)
    assert read_in_context("and who founded it?", second) == "and who founded it (SCO)?"


def test_words_the_follow_up_already_has_are_not_added_again():
    assert read_in_context("where were the drills held by them?", DRILLS_QUESTION) == \
        "where were the drills held by them (joint, naval)?"
    assert read_in_context("and the SCO?", SCO_MEMBERS) == "and the SCO?"


FOUNDING = "Founded in 2001 by China, Russia"
CLUB = ("Kestrel Bay Sailing Club\n\nThe Kestrel Bay Sailing Club was founded in 1987 by six fishermen. "
        "It now has four hundred members and holds a regatta every autumn.\n")


def test_the_follow_up_cites_when_the_sco_was_founded(minilm_samples_library):
    in_context = minilm_samples_library.ask(read_in_context(FOUNDED, SCO_MEMBERS))
    assert not in_context.abstained
    assert FOUNDING in in_context.citations[0].evidence


def test_what_he_said_is_the_sentence_that_quotes_him(minilm_samples_library):
    """"What did he say?" after "Who is Aziz Nasirzadeh?" is read with his name; it asks for his
    words, so "say" is no evidence ("... that Chinese state media say attended ..." was cited)."""
    answer = minilm_samples_library.ask(read_in_context("What did he say?", "Who is Aziz Nasirzadeh?"))
    assert "expressed gratitude to China" in answer.citations[0].evidence


def test_read_alone_the_follow_up_finds_another_founding(tmp_path, minilm_encoder):
    """With a second thing founded in the library, the follow-up as typed cites that one;
    read after the members question, it cites the SCO's founding."""
    from rag import Library
    from tests.conftest import SAMPLES

    (tmp_path / "club.txt").write_text(CLUB)
    with Library.open(tmp_path / "library", encoder=minilm_encoder) as library:
        library.add([SAMPLES, tmp_path / "club.txt"])
        alone = library.ask(FOUNDED)
        in_context = library.ask(read_in_context(FOUNDED, SCO_MEMBERS))
    assert "Sailing Club was founded in 1987" in alone.citations[0].evidence
    assert FOUNDING in in_context.citations[0].evidence


SCO_DRILLS = "Which countries joined the SCO drills?"


@pytest.mark.parametrize("previous, follow_up, read_as", [
    (SCO_DRILLS, "what about Russia?", "Which countries joined the Russia drills?"),
    (SCO_DRILLS, "and India?", "Which countries joined the India drills?"),
    (SCO_DRILLS, "How about China and Iran then?", "Which countries joined the China and Iran drills?"),
    (SCO_DRILLS, "and what about the SCO?", "and what about the SCO?"),  # the same subject: nothing new
    # the previous question's whole run of names is its subject, and is what changes
    ("which drills did China and Iran hold?", "and India?", "which drills did India hold?"),
    ("where did Aziz Nasirzadeh travel?", "what about Rajnath Singh?", "where did Rajnath Singh travel?"),
    # a year takes a figure's place, not a name's
    ("what drills did Iran hold in 2025?", "and in 2024?", "what drills did Iran hold in 2024?"),
    # a previous question with no name of that kind: the new one is added, as for a pronoun
    (DRILLS_QUESTION, "what about Russia?", "which joint naval drills were held (Russia)?"),
])
def test_a_new_name_in_the_old_frame_replaces_the_previous_subject(previous, follow_up, read_as):
    assert read_in_context(follow_up, previous) == read_as


@pytest.mark.parametrize("follow_up", [
    "what about Russia's navy?",  # more than a name: a question of its own
    "and which ships did Russia send?",
    "Russia?",  # no lead word that marks a follow-up
])
def test_a_name_with_words_of_its_own_is_left_as_typed(follow_up):
    assert read_in_context(follow_up, SCO_DRILLS) == follow_up


def test_a_pronoun_only_follow_up_still_adds_the_previous_names():
    assert read_in_context("and when did they start?", SCO_DRILLS) == "and when did they start (SCO)?"


def test_a_chain_of_new_subjects_keeps_the_first_frame():
    russia = read_in_context("what about Russia?", SCO_DRILLS)
    assert read_in_context("and India?", russia) == "Which countries joined the India drills?"
    assert read_as("and India?", read_in_context("and India?", russia)) == "Which countries joined the India drills?"


DRILL_REPORTS = {
    "sco.txt": "SCO Exercise\n\nChina, Iran and Pakistan joined the SCO drills near Qingdao in June, "
               "the defence ministry in Beijing said on Monday.\n",
    "russia.txt": "Zapad Exercise\n\nBelarus and Kazakhstan joined the Russia drills near Minsk in September, "
                  "the defence ministry in Moscow said on Friday.\n",
    "harvest.txt": "Harvest Report\n\nRussia expects a record wheat harvest this autumn after a wet spring, "
                   "the agriculture ministry in Moscow said on Tuesday.\n",
}


def test_what_about_russia_is_answered_about_the_russia_drills(tmp_path, tiny_encoder):
    """End to end on the tiny model: the follow-up, read in the frame of the question before,
    cites the countries that joined Russia's drills."""
    from rag import Library

    for name, text in DRILL_REPORTS.items():
        (tmp_path / name).write_text(text)
    with Library.open(tmp_path / "library", encoder=tiny_encoder) as library:
        library.add([tmp_path / name for name in DRILL_REPORTS])
        first = library.ask(SCO_DRILLS, min_confidence=0)
        follow_up = library.ask(read_in_context("what about Russia?", first.question), min_confidence=0)
    assert "Pakistan joined the SCO drills" in first.citations[0].evidence
    assert follow_up.question == "Which countries joined the Russia drills?"
    assert "Belarus and Kazakhstan joined the Russia drills" in follow_up.citations[0].evidence
