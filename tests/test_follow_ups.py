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
