"""A person named in full once and by one name after: which full names a text gives."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rag.abbreviations import expansions
from rag.name_mentions import find_full_names


@pytest.mark.parametrize("text, expected", [
    # titles, demonyms and countries before the name are set aside; either name stands for both
    ("Chinese Defense Minister Dong Jun spoke. Later Dong said more.", {"Dong": "Dong Jun", "Jun": "Dong Jun"}),
    ("US President Donald Trump said so.", {"Donald": "Donald Trump", "Trump": "Donald Trump"}),
    ("Adm. Sun Jianguo, deputy chief of staff, met him.", {"Sun": "Sun Jianguo", "Jianguo": "Sun Jianguo"}),
    ("Iran's Aziz Nasirzadeh attended.", {"Aziz": "Aziz Nasirzadeh", "Nasirzadeh": "Aziz Nasirzadeh"}),
    ("CNN's Steven Jiang in Beijing contributed.", {"Steven": "Steven Jiang", "Jiang": "Steven Jiang"}),
    # names in any script
    ("Turkish Foreign Minister Hakan Fidan met Ünal Özdemir. Özdemir said so.",
     {"Hakan": "Hakan Fidan", "Fidan": "Hakan Fidan", "Ünal": "Ünal Özdemir", "Özdemir": "Ünal Özdemir"}),
    # three capitalised words are an organisation, not a person; a country is no person either
    ("The Shanghai Cooperation Organization met.", {}),
    ("The United States and New Zealand agreed.", {}),
    # a sentence's first word is no name unless it is capitalised inside a sentence too
    ("Later Dong Jun spoke. Later, Dong said more.", {"Dong": "Dong Jun", "Jun": "Dong Jun"}),
    ("Aziz Nasirzadeh attended. Iran's Nasirzadeh spoke.", {"Nasirzadeh": "Aziz Nasirzadeh"}),
    # a full stop ends the run: "Jun" and "Officials" are not one name
    ("They met Dong Jun. Officials said it went well.", {"Dong": "Dong Jun", "Jun": "Dong Jun"}),
    # a word the text also writes in lower case is a common word, not a name
    ("It was on Fox News, and the news spread.", {"Fox": "Fox News"}),
    # the full name is the first mention: "Florida" said alone before means Florida, not South Florida
    ("Florida voted. Officials in South Florida agreed, and Florida won.", {"South": "South Florida"}),
    # a title after the name word: not one person's name
    ("Reporters asked Dong Defense questions.", {}),
])
def test_full_names(text, expected):
    assert find_full_names(text) == expected


def test_a_sentence_that_names_a_person_by_one_name_reads_as_their_full_name():
    text = ("Chinese Defense Minister Dong Jun did not address the conflict. "
            "'Unilateralism is surging,' Dong said, employing language used to criticize the US.")
    names = find_full_names(text)
    quote, first_mention = text.split(". ")[1], text.split(". ")[0]
    assert expansions(quote, names) == ["Dong Jun"]
    assert expansions(first_mention, names) == []  # says the full name itself


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("AaBbDdJjÖöé.,'’ -\n\"“”?!")) | st.characters(), max_size=300))
def test_any_text_gives_names_made_of_its_own_words(text):
    """Whatever the text (scraped pages hold anything), reading it raises nothing, and every full
    name is two words of the text of which the one name is one."""
    for one, full in find_full_names(text).items():
        words = full.split()
        assert len(words) == 2 and one in words and all(w in text for w in words)
