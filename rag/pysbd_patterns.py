"""pysbd with its regular expressions compiled once, not once per paragraph.

pysbd builds a pattern per abbreviation it finds (`(?<=\\sDr)\\.(?=...)`), one per sentence
it locates, and passes them all to `re.sub`/`re.findall` as strings. Python 3.11's `re`
keeps 512 compiled patterns and drops the oldest first, so a paragraph's ~1,000 distinct
patterns push each other out and pysbd recompiles nearly every one of them every time
(segmenting a third of the SQuAD dev paragraphs: 6.6 CPU-seconds, 3.8 with this cache;
docs/performance.md). `install` gives pysbd's modules a `re` whose module-level
functions look patterns up in a least-recently-used cache of their own (used patterns
stay; a sentence's one-off pattern ages out). Same patterns, same flags, same results.
Does not change `re` for anyone else.
"""

from __future__ import annotations

import re
import sys
import types
from functools import lru_cache

# Distinct (pattern, flags) pairs pysbd's English rules use on ordinary text are a few
# thousand; one-off sentence patterns beyond this are evicted least recently used first.
CACHE_SIZE = 16_384


@lru_cache(maxsize=CACHE_SIZE)
def compiled(pattern: str, flags: int = 0) -> re.Pattern:
    return re.compile(pattern, flags)


def _pattern(pattern, flags) -> re.Pattern:
    if isinstance(pattern, re.Pattern):
        return re.compile(pattern, flags)  # re's own rule: flags with a compiled pattern are refused
    return compiled(pattern, int(flags))


def _cached_re() -> types.ModuleType:
    """A stand-in for the `re` module: `re`'s names, with the pattern-taking functions cached."""
    module = types.ModuleType("re", "re, with compiled patterns cached (rag.pysbd_patterns)")
    module.__dict__.update({name: getattr(re, name) for name in dir(re) if not name.startswith("__")})
    module.compile = lambda pattern, flags=0: _pattern(pattern, flags)
    module.search = lambda pattern, string, flags=0: _pattern(pattern, flags).search(string)
    module.match = lambda pattern, string, flags=0: _pattern(pattern, flags).match(string)
    module.fullmatch = lambda pattern, string, flags=0: _pattern(pattern, flags).fullmatch(string)
    module.findall = lambda pattern, string, flags=0: _pattern(pattern, flags).findall(string)
    module.finditer = lambda pattern, string, flags=0: _pattern(pattern, flags).finditer(string)
    module.split = lambda pattern, string, maxsplit=0, flags=0: _pattern(pattern, flags).split(string, maxsplit)
    module.sub = lambda pattern, repl, string, count=0, flags=0: _pattern(pattern, flags).sub(repl, string, count)
    module.subn = lambda pattern, repl, string, count=0, flags=0: _pattern(pattern, flags).subn(repl, string, count)
    return module


CACHED_RE = _cached_re()


def install(enabled: bool = True) -> None:
    """Point every imported pysbd module's `re` at the cached stand-in (or back at `re`,
    for benchmarks that measure the difference). Call after importing pysbd."""
    target = CACHED_RE if enabled else re
    for name, module in list(sys.modules.items()):
        if (name == "pysbd" or name.startswith("pysbd.")) and getattr(module, "re", None) in (re, CACHED_RE):
            module.re = target
