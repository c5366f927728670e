"""Every name the country table holds is found where news writes it (rag.country_names)."""

import pytest

from rag.country_names import _TABLE, countries_in

ROWS = [[name.strip() for name in line.split(",")] for line in _TABLE.strip().splitlines()]
NAMES = [(name, row[0]) for row in ROWS for name in row]


@pytest.mark.parametrize("frame", ["Officials from {} met on Monday.", "{}'s envoy arrived.",
                                   "The talks were held in {}.", "Later {} said no."])
def test_every_name_and_demonym_is_read_as_its_country(frame):
    # "in the U.S." ends its sentence with the short form's own stop
    missed = [name for name, country in NAMES
              if country not in countries_in(frame.format(name).replace("..", "."))]
    assert missed == []


def test_capitalised_words_that_name_no_country_name_none():
    assert countries_in("The Federal Reserve Board met in Jackson Hole with Wall Street bankers.") == frozenset()
    assert countries_in("a turkey and a china plate") == frozenset()


def test_the_longest_name_wins():
    assert countries_in("South Korea and North Korea talked.") == {"South Korea", "North Korea"}
