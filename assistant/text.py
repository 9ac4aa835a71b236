"""Words of questions and passages: content terms, a light stemmer, stop words."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z0-9]+(?:[.'’][A-Za-z0-9]+)*%?")
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing done down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there these
they this those through to too under until up very was we were what when where which while who
whom why will with would you your yours yourself yourselves tell please say said says give
know let us get got shall may might must ever
""".split())
# Words that shape a question rather than name what it is about ("how many", "stand for").
PHRASING_WORDS = frozenset("""
many much take took taken stand stands mean means meant happen happened according regarding
concerning describe explain discuss discussed summarise summarize summary tell anything hear
heard start starts started begin begins began commence commences
""".split())


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light suffix stripper: 'owns'/'owned'/'owner', 'inspected'/'inspection' meet."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w.endswith("ies") and len(w) > 4:
        w = w[:-3] + "y"
    elif w.endswith("s") and not w.endswith(("ss", "us", "is")) and len(w) > 3:
        w = w[:-1]
    if w.endswith("ssion"):
        return w[:-3]
    for suffix in ("ations", "ation", "ions", "ion", "ments", "ment", "ings", "ing", "ers", "er",
                   "ed", "ly", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def words(text: str) -> list[str]:
    """The words of text, as written."""
    return _WORD.findall(text)


def content_terms(text: str) -> list[str]:
    """Lower-cased words that carry meaning, in order, without repeats or stop words."""
    seen: dict[str, None] = {}
    for word in words(text):
        lowered = word.lower().rstrip("%").replace("’", "'")
        if lowered.endswith("'s"):
            lowered = lowered[:-2]
        if lowered and lowered not in STOP_WORDS and (len(lowered) > 1 or lowered.isdigit()):
            seen.setdefault(lowered, None)
    return list(seen)
