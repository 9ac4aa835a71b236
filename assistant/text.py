"""Words of questions and passages, read exactly as the keyword index reads them.

SQLite's FTS5 index uses `porter unicode61 remove_diacritics 2`: a token is a run of letters
and digits of any script, folded to lower case with diacritics removed, then Porter-stemmed.
`tokens` and `stem` do the same here, so the two halves of hybrid search agree on what a word
is ("Müller" is "muller" on both sides, "S.106" is "s" and "106", "£1.2m" is "1" and "2m").
"""

from __future__ import annotations

import re
import sqlite3
import threading
import unicodedata
from functools import lru_cache

import simplemma

# Letters and digits of any script (\w without the underscore), as unicode61's token chars.
_TOKEN = re.compile(r"[^\W_]+")
FTS_TOKENIZER = "porter unicode61 remove_diacritics 2"
# Not "against": which way a vote went, or what an objection was to, is what it names.
STOP_WORDS = frozenset("""
a about above after again all also am an and any are as at be because been before being
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


def fold(text: str) -> str:
    """Lower case without diacritics: "Müller" → "muller", "Ŵyddgrug" → "wyddgrug"."""
    if text.isascii():  # no diacritics to take off (most text: a unit is read often)
        return text.lower()
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", bare).lower().replace("µ", "μ")  # as unicode61 folds


def tokens(text: str) -> list[str]:
    """The text's tokens as the FTS5 index has them, before stemming."""
    return _TOKEN.findall(fold(text))


class _Porter:
    """SQLite's own porter stemmer, asked through an in-memory FTS5 table: its stems differ
    from other Porter implementations ("analogi" → "analog", words under three letters are
    left alone), and matching them exactly is the point."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conn = sqlite3.connect(":memory:", check_same_thread=False)
        self.conn.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize = '{FTS_TOKENIZER}')")
        self.conn.execute("CREATE VIRTUAL TABLE stems USING fts5vocab(words, 'instance')")

    def stems(self, words: list[str]) -> list[str]:
        with self.lock:
            self.conn.execute("DELETE FROM words")
            self.conn.executemany("INSERT INTO words (rowid, word) VALUES (?, ?)",
                                  enumerate(words, start=1))
            found = dict(self.conn.execute("SELECT doc, term FROM stems"))
        return [found.get(n, fold(word)) for n, word in enumerate(words, start=1)]


_PORTER = _Porter()


_STEMS: dict[str, str] = {}
_STEM_CACHE = 200_000


def stems(words: list[str]) -> list[str]:
    """The stems FTS5's porter tokenizer gives these tokens (asked in one batch, cached)."""
    missing = list(dict.fromkeys(w for w in words if w not in _STEMS))
    if missing:
        if len(_STEMS) > _STEM_CACHE:
            _STEMS.clear()
        _STEMS.update(zip(missing, _PORTER.stems(missing), strict=True))
    return [_STEMS[w] for w in words]


def stem(word: str) -> str:
    """The stem FTS5's porter tokenizer gives a token."""
    return stems([word])[0]


def roots(words: list[str]) -> list[str]:
    """The stems of the words' dictionary forms: irregular forms meet their verb or noun
    ("spent" → "spend", "led" → "lead", "children" → "child"), which stemming alone misses.
    For matching a question's words to a unit's; the keyword index keeps plain stems."""
    return [SHORTENED.get(s, s) for s in stems([_lemma(w) for w in words])]


# A word councils shorten where questions spell it out ("Cllr Smith" is a councillor): the
# stem of the short form → the stem of the word in full.
SHORTENED = {"cllr": "councillor"}
_SHORT_FORMS = {full: tuple(s for s, f in SHORTENED.items() if f == full)
                for full in SHORTENED.values()}


def short_forms(word: str) -> tuple[str, ...]:
    """The stems of the forms councils shorten the word to ("cllr" for "councillors")."""
    return _SHORT_FORMS.get(root(word), ())


def root(word: str) -> str:
    """roots() of one word."""
    return roots([word])[0]


@lru_cache(maxsize=100_000)
def _lemma(word: str) -> str:
    return simplemma.lemmatize(word, lang="en").lower() if word.isalpha() else word


def content_terms(text: str) -> list[str]:
    """Tokens that carry meaning, in order, without repeats or stop words."""
    seen: dict[str, None] = {}
    for token in tokens(text):
        if token not in STOP_WORDS and (len(token) > 1 or token.isdigit()):
            seen.setdefault(token, None)
    return list(seen)


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def is_english(word: str) -> bool:
    """Whether the word (in lower case) is in simplemma's English dictionary."""
    return bool(simplemma.is_known(word, lang="en"))


def one_edit(word: str) -> set[str]:
    """The words one edit from this one: a letter dropped, added or changed, or two letters
    beside each other swapped ("inspcetion" → "inspection")."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]}
            | {a + c + b for a, b in splits for c in _LETTERS}) - {word}
