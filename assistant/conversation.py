"""Conversations: turns kept beside the index, and follow-ups resolved against them."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from .answer_model import SUMMARY, question_kind
from .records import LOCAL_OWNER
from .store.state import StateDb, now
from .text import content_terms, is_english, one_edit, root
from .units import person_names, question_entities

CONVERSATIONS_FILE = "conversations.sqlite"
# words that point back at the earlier topic, and with the pronouns, at anything earlier
_TOPIC_WORDS = "that|this|those|these|there|then|such|the same|above"
_TOPIC = re.compile(rf"\b({_TOPIC_WORDS})\b", re.I)
_PERSON_WORDS = "he|she|his|her|him"
_PERSON = re.compile(rf"\b({_PERSON_WORDS})\b", re.I)
_ANAPHORA = re.compile(rf"\b({_TOPIC_WORDS}|it|its|they|them|their|{_PERSON_WORDS})\b", re.I)


# What a chat message wraps a question in, which the documents do not answer: a greeting, thanks
# or aside before it ("Hi, who …?", "Thanks! And who …?", "Quick question: when …?"), thanks
# or "please" after it, and a polite frame
# around an embedded question ("Can you tell me who …?", "Do you know when …?"). Only a
# frame followed by a question word goes: "Tell me about the Bluebell campaign" asks for an
# account, and says so in those words.
_WH = r"who|whom|whose|what|when|where|which|why|how"
_ASKS = rf"{_WH}|whether|if|is|are|was|were|did|does|do|has|have|had|will|can|could|should"
_GREETING = re.compile(r"^(?:hi|hello|hey|hiya|(?:good )?(?:morning|afternoon|evening)|thanks|"
                       r"thank you|cheers|ok|okay|great|cool|perfect|brilliant|lovely|got it|"
                       r"(?:a )?quick (?:one|question)|(?:one more )?question|also|btw|by the way)"
                       r"(?:\s+(?:there|all|everyone|team))?(?:\s*[,!.:;–—-]+\s*|\s+"
                       rf"(?=(?:{_ASKS}|please|i)\b))", re.I)
_FRAME = re.compile(r"^(?:please\s+)?(?:(?:can|could|would|will)\s+(?:you|someone|anyone)\s+"
                    r"(?:please\s+)?(?:tell|remind|show)\s+(?:me|us)|(?:do|does)\s+(?:you|anyone|"
                    r"anybody)\s+know|i(?:'d| would)\s+like\s+to\s+know|i\s+(?:want|need)\s+to\s+"
                    r"know|(?:please\s+)?(?:tell|remind)\s+(?:me|us))\s*[,:]?\s+"
                    rf"(?=(?:{_ASKS})\b)", re.I)
# a question opens with its question word, or with a preposition and then it ("Until when …",
# "In which ward …")
_OPENS = re.compile(rf"(?:{_ASKS}|(?:until|till|in|on|at|for|by|from|to|with|since|under|"
                    rf"about|after|before|during)\s+(?:{_WH}))\b", re.I)
_THANKS = re.compile(r"[\s,;.!–—-]*\b(?:thanks(?: very much| a lot| so much)?|"
                     r"thank you(?: very much| so much)?|cheers|please|ta)\s*[.!]*\s*$", re.I)


_OPENING_TYPO = re.compile(r"^[a-z]{2,6}\b", re.I)
_OPENING_WORDS = frozenset(_ASKS.split("|"))


def _opening_word(match: re.Match[str]) -> str:
    """A question's first word as the one question word it is a typo of ("Whta" → "What"),
    when it is no English word and one edit from exactly one ("Hwo" is as near "who" as
    "how", and stays)."""
    typed = match.group(0)
    if is_english(typed.lower()):
        return typed
    near = one_edit(typed.lower()) & _OPENING_WORDS
    if len(near) != 1:
        return typed
    word = near.pop()
    return word.capitalize() if typed[0].isupper() else word


def plain_question(message: str) -> str:
    """The question a chat message asks, without the greeting, thanks or polite frame
    around it: "Hi, can you tell me who chairs the committee? Thanks" → "Who chairs the
    committee?"; with a mistyped opening question word read as it ("Whta did …") and a
    question mark where a question lacks one. A message that is nothing else is left as
    it is."""
    question = message.strip()
    for pattern in (_GREETING, _GREETING, _FRAME):  # "Hi, thanks - …"
        question = pattern.sub("", question, count=1)
    question = _THANKS.sub("", question).strip()
    if not re.search(r"\w", question):
        return message.strip()
    question = _OPENING_TYPO.sub(_opening_word, question, count=1)
    # typed without its question mark, a question still reads as one (its words are
    # embedded as asked: "… services" and "… services?" retrieve differently)
    if _OPENS.match(question) and not question.endswith(("?", ".", "!")):
        question += "?"
    return question if question == message.strip() else question[0].upper() + question[1:]


@dataclass
class Turn:
    """One question and the answer given to it."""

    question: str
    query: str
    answer: dict[str, Any]
    created_at: str


class ConversationStore:
    """Turns by conversation id: in their own SQLite file, so index rebuilds keep them, or
    in the PostgreSQL database, so every server sharing it continues any conversation."""

    def __init__(self, db: StateDb):
        self.db = db
        db.create("""
            CREATE TABLE IF NOT EXISTS turns (
                conversation_id TEXT NOT NULL, n INTEGER NOT NULL, question TEXT NOT NULL,
                query TEXT NOT NULL, answer TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now')),
                PRIMARY KEY (conversation_id, n));
        """)
        if not db.is_postgres and "owner" not in {
                r[1] for r in db.rows("PRAGMA table_info(turns)")}:
            # conversations from before owners were kept belong to the local operator alone
            # (an empty owner matches no API key)
            db.run("ALTER TABLE turns ADD COLUMN owner TEXT NOT NULL DEFAULT ''")

    def owner_of(self, conversation_id: str) -> str | None:
        """Who started the conversation (a key's fingerprint, or a bot), None if unknown."""
        rows = self.db.rows("SELECT owner FROM turns WHERE conversation_id = ? ORDER BY n "
                            "LIMIT 1", (conversation_id,))
        return str(rows[0][0]) if rows else None

    def turns(self, conversation_id: str, owner: str | None = None) -> list[Turn]:
        """The conversation's turns, oldest first; none for an unknown id or, when `owner`
        is given, for a conversation someone else started."""
        rows = self.db.rows(
            "SELECT question, query, answer, created_at, owner FROM turns "
            "WHERE conversation_id = ? ORDER BY n", (conversation_id,))
        if rows and owner is not None and not _same_owner(rows[0][4], owner):
            return []
        return [Turn(r[0], r[1], json.loads(r[2]), r[3]) for r in rows]

    def add(self, conversation_id: str, question: str, query: str, answer: dict[str, Any],
            owner: str = LOCAL_OWNER) -> None:
        self.db.run(
            "INSERT INTO turns (conversation_id, n, question, query, answer, owner, created_at) "
            "VALUES (?, (SELECT COALESCE(MAX(n), 0) + 1 FROM turns WHERE conversation_id = ?), "
            "?, ?, ?, ?, ?)",
            (conversation_id, conversation_id, question, query, json.dumps(answer), owner, now()))

    def close(self) -> None:
        self.db.close()


def _same_owner(found: str, asking: str) -> bool:
    return found == asking or (found == "" and asking == LOCAL_OWNER)


def new_conversation_id() -> str:
    return uuid.uuid4().hex


@dataclass
class FollowUp:
    """What an earlier turn lends a follow-up question."""

    context: str
    terms: list[str]
    # True when the question points back ("that CRC"); a short question that does not may
    # still stand alone ("What does BOOST stand for?"), so it is tried alone first.
    points_back: bool = True
    # what the earlier answer quoted: (doc_id, start, end)
    said: list[tuple[str, int, int]] = field(default_factory=list)
    # whether that answer gave a fact or two (what lies beside it is likely what "that" asks
    # about) rather than a summary (whose quotes spread over too much to point anywhere)
    pointed: bool = False
    # whether the lines beside those quotes are likely answers: the follow-up points at the
    # answer ("Who proposed that?": the proposer's line under the resolution), not at a
    # person it named ("Which ward does she represent?" is answered by her own line, not by
    # the next councillor's)
    beside: bool = False
    # the words of the person "he" or "she" stands for: the first name the earlier answer gave
    referent: list[str] = field(default_factory=list)
    # whether it asks with another question word than the earlier question ("Where will it
    # be held?" after "When is the next meeting?"): it asks something else of what was said,
    # which the unit quoted may say too
    asks_anew: bool = False
    # the roots of what the conversation last named ("London CRC"): an answer from beyond
    # the documents quoted must come from one that mentions it
    subject: list[str] = field(default_factory=list)
    # the documents the earlier answer quoted, in its order: a follow-up asks of them ("Where
    # will it be held?", "Who is the returning officer?") unless it names something else
    documents: list[str] = field(default_factory=list)


def resolve(question: str, turns: list[Turn]) -> FollowUp | None:
    """Context from the last turn when the question leans on it ("that CRC", "when does it")."""
    if not turns:
        return None
    own_terms = content_terms(question)
    # "And Wessex's?", "What about Dorset?": a name and nothing else asked, the earlier
    # question asked again of it
    elliptical = bool(own_terms) and set(own_terms) <= set(name_terms(question, first_word=True))
    points_back = bool(_ANAPHORA.search(question)) or elliptical
    # a longer question stands alone when it names what it asks about ("What did the Durham
    # committee resolve …?"); one that names nothing ("How many members of the public
    # attended?") is still about the conversation's subject
    if not points_back and len(own_terms) > 3 and question_entities(question):
        return None
    last = _latest(turns)
    if elliptical:  # the earlier question without what it named, asked of the new name
        earlier = set(name_terms(last.question, first_word=True))
        asked_again = " ".join(w for w in last.question.split()
                               if not set(content_terms(w)) & earlier)
        return FollowUp(asked_again, [t for t in content_terms(asked_again) if t not in own_terms])
    answered = bool(last.answer.get("answerable"))
    citations = last.answer.get("citations", []) if answered else []
    # the earlier answer's people, bodies and places: "he", "she", "it" point at them (a
    # fact's answer; a summary's quotes name too many things to point at one)
    factual = question_kind(last.question) != SUMMARY
    named = answer_entities(citations[0]["quote"]) if citations and factual else []
    # Search for the follow-up with what it points at. "It", "he", "their" point at a name
    # the earlier question or answer gave: searching with the whole earlier question would
    # find the earlier answer again, not the new one. "That", "this", "there" point at the
    # earlier topic (as any pronoun does after a summary or a refusal, or when nothing was
    # named): its question joins the search. Ranking borrows the earlier question's words
    # in both cases, at a lower weight.
    names = question_entities(last.question) + named
    pointed = factual and bool(citations)
    topic = bool(_TOPIC.search(question)) or not names or not pointed
    context = " ".join([last.question, *named] if topic else names)
    terms = [t for t in content_terms(" ".join([last.question, *named])) if t not in own_terms]
    said = [(c["doc_id"], c["start"], c["end"]) for c in citations]
    person = _PERSON.search(question) is not None
    # "he" is someone the answer named, not the question ("Who came second in the Batley East
    # by-election?": Paul Young, not Batley East)
    asked = set(content_terms(last.question))
    people = [p for p in person_names(citations[0]["quote"], opening=True)
              if not set(content_terms(p)) <= asked] if person and pointed else []
    referent = [t for t in content_terms(people[0]) if t not in own_terms] if people else []
    asks = question_word(question)
    return FollowUp(context, [t for t in terms if t not in referent], points_back, said,
                    pointed, beside=pointed and not person, referent=referent,
                    asks_anew=asks is not None and question_word(last.question) not in (None, asks),
                    documents=list(dict.fromkeys(doc_id for doc_id, _, _ in said)),
                    subject=_subject(turns))


def _latest(turns: list[Turn]) -> Turn:
    """The turn a follow-up leans on: the last one, or the latest answered one when the
    turns since are declined follow-ups that named nothing of their own ("Which ward is it
    in?" after "How much will it cost?" was declined still asks of the agenda item)."""
    for turn in reversed(turns):
        if turn.answer.get("answerable"):
            return turn
        if question_entities(turn.question):
            break
    return turns[-1]


def _subject(turns: list[Turn]) -> list[str]:
    """The roots of the names given by the latest earlier question that names any."""
    for turn in reversed(turns):
        if question_entities(turn.question):
            return list(dict.fromkeys(root(t) for t in name_terms(turn.question)))
    return []


_QUESTION_WORD = re.compile(r"\b(?:how (?:many|much|long|often)|who|whom|whose|what|when|where|"
                            r"which|why|how)\b", re.I)


def question_word(question: str) -> str | None:
    """The question word a question asks with ("how many", "where"), if any."""
    found = _QUESTION_WORD.search(question)
    return found.group(0).lower() if found else None


_ENTITY = re.compile(r"\b(?:[A-Z][\w'’-]*|[A-Z]{2,})(?:\s+(?:of\s+|the\s+|[A-Z]\s+)?"
                     r"(?:[A-Z][\w'’-]*|[A-Z]{2,}))+")
MAX_ENTITIES = 4


def name_terms(question: str, first_word: bool = False) -> list[str]:
    """The words of the names a question gives (question_entities); `first_word`: its first
    word may open one too ("Wessex's?" alone)."""
    return content_terms(" ".join(question_entities(f"_ {question}" if first_word else question)))


def answer_entities(quote: str) -> list[str]:
    """Names in an answer's first quote (runs of capitalised words: "Latif Darr", "Oadby
    Brocks Hill"), the first few, each once."""
    found = [m.group(0) for m in _ENTITY.finditer(quote) if len(m.group(0)) > 3]
    return list(dict.fromkeys(found))[:MAX_ENTITIES]
