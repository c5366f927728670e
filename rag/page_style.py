"""The app's style sheet, coloured for Streamlit's light and dark themes.

Streamlit sets `color-scheme` on its app container to its theme's base (light or dark), so
each colour here is a CSS `light-dark()` pair: the page follows the theme the browser shows,
also when the user switches it in the settings menu, with no rerun. Links take the theme's
link colour (`theme.linkColor` and its `theme.light.` / `theme.dark.` forms, read by the UI
with `st.get_option` and passed in), else Streamlit's own. No Streamlit here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.errors import RagError

# The colours Streamlit 1.67 gives a Markdown link in its light and dark themes (measured in
# Chromium); st.html's links would get the browser's default blue, unreadable on dark.
STREAMLIT_LINK_COLOURS = ("rgb(36, 79, 180)", "rgb(133, 184, 248)")
# Streamlit's header is fixed and 3.75rem tall at every width: a card scrolled to by its [n]
# keeps this margin above it, so its heading is never underneath.
HEADER_CLEARANCE = "4.5rem"
_CSS_COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}|(?:rgba?|hsla?)\([0-9., %]+\)|[a-zA-Z]+")


def theme_link_colours(option: Callable[[str], object]) -> tuple[str, str]:
    """The (light, dark) link colours the app's theme sets, else Streamlit's; `option` reads
    a Streamlit config option (the UI passes `st.get_option`)."""
    colours = []
    for base, default in zip(("light", "dark"), STREAMLIT_LINK_COLOURS):
        own, shared = option(f"theme.{base}.linkColor"), option("theme.linkColor")
        name = f"theme.{base}.linkColor" if own else "theme.linkColor"
        colour = own or shared or default
        if not isinstance(colour, str) or not _CSS_COLOUR.fullmatch(colour.strip()):
            raise RagError(f"The Streamlit option {name} must be a CSS colour such as #1c83e1, got {colour!r}; "
                           "fix it in .streamlit/config.toml")
        colours.append(colour.strip())
    return colours[0], colours[1]


def style(link_colours: tuple[str, str] = STREAMLIT_LINK_COLOURS) -> str:
    """The <style> element the UI puts on every page."""
    link_light, link_dark = link_colours
    return f"""
<style>
.answer {{font-size: 1.05rem; line-height: 1.6;}}
.answer a.cite {{text-decoration: none; font-weight: 600; color: light-dark({link_light}, {link_dark});}}
.card {{border: 1px solid rgba(128,128,128,.35); border-radius: .5rem; padding: .6rem .8rem; margin: .4rem 0;
  scroll-margin-top: {HEADER_CLEARANCE};}}
.card > span[id] {{scroll-margin-top: calc({HEADER_CLEARANCE} + .6rem);}}
.card:target, .card:has(> span:target) {{border-color: #f0b400; box-shadow: 0 0 0 3px rgba(240,180,0,.55);
  background: rgba(255,224,138,.18);}}
.card.removed {{border-style: dashed;}}
.card-removed {{font-size: .85rem; color: light-dark(#a51d2d, #ff8a8a); font-weight: 600; margin-bottom: .2rem;}}
.card-head {{font-size: .95rem;}}
.card-source {{font-size: .8rem; color: gray; word-break: break-all;}}
.card-passage {{margin: .4rem 0 0 0; padding-left: .7rem; border-left: 3px solid #f0b400;}}
.card-passage mark, .reader mark {{background: light-dark(#ffe08a, #6b5200); color: inherit; padding: 0 2px;}}
.nearest-note {{color: light-dark(#a15c00, #f5b041); font-weight: 600;}}
.confidence {{font-size: .85rem; color: gray; margin: .2rem 0 .4rem 0;}}
.written-note {{font-size: .85rem; color: gray; margin: .2rem 0;}}
.written-note.not-shown {{color: light-dark(#a15c00, #f5b041);}}
.written-dropped {{font-size: .85rem; color: gray;}}
.written-dropped s {{text-decoration-color: light-dark(#a15c00, #f5b041);}}
.draft {{color: gray; font-style: italic; line-height: 1.6;}}
.draft-note {{font-size: .8rem; font-style: normal;}}
.confidence.uncertain {{color: light-dark(#a15c00, #f5b041); font-weight: 600;}}
.date-note {{color: light-dark(#1a5fb4, #99c1f1); font-size: .85em; font-weight: 600; white-space: nowrap;}}
.date-unknown {{font-size: .8rem; color: gray; margin-top: .3rem;}}
.doc-row {{font-size: .9rem; line-height: 1.3;}}
.doc-meta, .library-stats {{font-size: .8rem; color: gray;}}
.doc-meta code, .library-stats code {{white-space: normal; overflow-wrap: normal; word-break: normal;
  font-size: .75rem;}}
/* a name moves to the next line whole; only one longer than the line (a long upload name) wraps */
code .whole {{display: inline-block; max-width: 100%; overflow-wrap: anywhere;}}
[class*="st-key-example-"] button {{justify-content: flex-start; text-align: left;}}
.untitled {{font-weight: normal; color: gray;}}
.reader {{line-height: 1.55;}}
</style>
"""
