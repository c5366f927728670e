"""The style sheet takes the theme's link colours, for light and dark alike."""

import pytest

from rag import RagError
from rag.page_style import STREAMLIT_LINK_COLOURS, style, theme_link_colours


def test_without_a_theme_links_take_streamlits_own_colours():
    assert theme_link_colours({}.get) == STREAMLIT_LINK_COLOURS
    assert f"color: light-dark({STREAMLIT_LINK_COLOURS[0]}, {STREAMLIT_LINK_COLOURS[1]})" in style()


def test_a_theme_link_colour_is_used_and_a_per_base_one_wins():
    assert theme_link_colours({"theme.linkColor": "#aa0055"}.get) == ("#aa0055", "#aa0055")
    options = {"theme.linkColor": "#aa0055", "theme.dark.linkColor": "rgb(250, 200, 90)"}
    assert theme_link_colours(options.get) == ("#aa0055", "rgb(250, 200, 90)")
    assert "color: light-dark(#aa0055, rgb(250, 200, 90))" in style(theme_link_colours(options.get))


@pytest.mark.parametrize("bad", ["red;} body {display:none", "</style><script>", "#12"])
def test_a_value_that_is_not_a_colour_names_the_option_to_fix(bad):
    with pytest.raises(RagError, match=r"theme\.dark\.linkColor must be a CSS colour.*config\.toml"):
        theme_link_colours({"theme.dark.linkColor": bad}.get)
