"""Passages → a short answer whose every sentence is quoted from a document and cited.

No generative model: each unit of the retrieved passages (a sentence, a table row, a "Label:
value" line) gets the answer model's probability that it answers the question, from its
signals (how much of the question it covers, weighted by rarity; whether it holds the kind of
answer asked for; where it sits). A factual question gets the one or two likeliest units, a
decision or list question the list that sets it out (or, when no one unit leads a list, a
short summary of the units that give it), a "what was discussed" question a short summary in
document order; each unit is followed by its citation marker. When no unit is
likely enough, the answer says the documents do not answer it and offers the closest
passages as possibly related.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from .answer_model import (
    FACT,
    SUMMARY,
    AnswerModel,
    load_model,
    refusal_signals,
)
from .chunking import line_sentence_spans
from .records import Document
from .retrieval import Passage
from .schema import Answer, Citation
from .signals import Candidate, Meaning, category, rank_candidates
from .text import content_terms, roots, short_forms, stems, tokens
from .units import (
    FIELD_LINE,
    Place,
    answer_type,
    asks_place,
    counted_words,
    evidence_units,
    list_end,
    person_names,
    question_names,
    ranked_row,
    speaker,
    states_count,
    states_money,
)

FACT_UNITS = 2  # a factual question gets the one or two units that answer it
# … unless it asks in the plural ("Who are the councillors for …?", "Which candidates were
# …?"): then as many as a list, each still nearly as likely as the best (SHARE_OF_BEST)
_PLURAL = re.compile(r"\W*(who|what|which(\s+\w+){1,2})\s+(are|were)\b", re.I)
LIST_UNITS = 3
# A summary's length in words: at least the first, at most the second. Chosen on QMSum dev
# (ROUGE-1 against the annotators' answers, which average 77 words): 40-80 words 27.6,
# 80-120 31.0, 80-140 31.0, 100-170 31.0; longer adds words nobody reads.
SUMMARY_WORDS = (80, 120)
# Log-odds added to a unit within NEAR_CHARS of one a summary already holds (QMSum dev
# ROUGE-1: 31.0 without, 31.6 at 0.5, 1 and 2 alike; 1 is the middle), and to the unit just
# before or after one the previous answer quoted, when a follow-up points back at it.
NEIGHBOUR_BONUS = 1.0
NEAR_CHARS = 400
# A further unit joins a factual answer when the ranker gives it at least this share of the
# best unit's chance of being the answer (softmax ratio): nearly as likely, not an also-ran.
SHARE_OF_BEST = 0.5
NOT_FOUND = "The documents do not answer this question."
# Kinds of value a factual answer must hold to be one: asked when, what time, what share,
# what email address or reference, how much it cost (units.states_money) or how many of a
# thing there are (units.states_count: a count of that thing, "several bins" too), a line
# on the topic that gives none, nor the unit after it, says the documents do not say. (A
# "who" is often answered by a body in lower case, "the regional consortia": that is left
# to the refusal model.)
STATED = {"date": "date", "time": "time", "percent": "percentage",
          "contact": "contact details", "reference": "reference"}


def compose(
    question: str,
    passages: list[Passage],
    idf: Callable[[str], float],
    conversation_id: str = "",
    context_terms: list[str] | None = None,
    model: AnswerModel | None = None,
    meaning: Meaning | None = None,
    said: list[tuple[str, int, int]] | None = None,
    beside_said: bool = False,
    referent: list[str] | None = None,
    asks_anew: bool = False,
) -> Answer:
    """Choose, order and cite the units that answer the question, or decline when the answer
    model gives none of them the probability its threshold asks. `said` holds the spans the
    previous answer quoted (doc_id, start, end) when this question follows it up, `referent`
    the words of the person its "he" or "she" stands for; `asks_anew` whether it asks with
    another question word than the earlier question."""
    model = model or load_model()
    candidates = rank_candidates(question, passages, idf, context_terms, model, meaning,
                                 referent=referent)
    if said:
        candidates = _news(question, candidates, said, beside_said, asks_anew)
    kind = model.kind(question)
    # a question asked in the meeting names the topic; it answers nothing (asked what was
    # asked, "What did Cllr Smith ask about the bins?", the question is a summary's)
    if kind != SUMMARY:
        candidates = [c for c in candidates if not _asking(c)] or candidates
    if answerable_probability(kind, candidates, model) < model.refusal.threshold(kind):
        return _decline(passages, conversation_id, _nearest(candidates))
    best = _best(candidates, FACT_UNITS if kind == FACT and not _PLURAL.match(question)
                 else LIST_UNITS,
                 titled=not category(question))
    place = asks_place(question) if kind != SUMMARY else None
    placed = _placed(best[0], place, question) if place else None
    if placed:  # "Which candidate got the fewest votes?": one row, a fact
        best, kind = [placed], FACT
    if kind == FACT:  # asked how many or how much, the units that give it are the answer
        missing, stating = _stated(question, best)
        # the best unit lacking it, its record's own value comes before a look-alike elsewhere
        if missing or _stated(question, best[:1])[0]:
            record = _value_after(question, best[0], candidates)
            if record:
                stating = record
            elif missing:
                return _decline(passages, conversation_id, best[0], missing)
        best = stating
    else:
        best = _with_likely_list(best, candidates)
    if kind != FACT and all(_list_after(c) is None for c in best):
        # an account, or a list no one unit sets out; asked what someone said, their words
        chosen = _summary(_said_by_named(question, candidates))
    else:  # a fact, or a list or account that one of the likeliest units sets out
        chosen = _with_lists(best, prefer_list=kind != FACT)
    citations = [citation_for(i + 1, c.passage.document, c.start, c.end, c.passage.section, c.score)
                 for i, c in enumerate(chosen)]
    text = " ".join(_voiced(c, before)
                    for c, before in zip(citations, [None, *citations[:-1]], strict=True))
    return Answer(answer=text, answerable=True, conversation_id=conversation_id,
                  citations=citations)


def _news(question: str, candidates: list[Candidate], said: list[tuple[str, int, int]],
          beside_said: bool = False, asks_anew: bool = False) -> list[Candidate]:
    """A follow-up asks for something the last answer did not say, most often about what it
    said: a unit it already quoted stays a candidate only if it holds one of the follow-up's
    own words ("Which ward does he represent?" may be answered by the row that named him;
    "Who proposed that?" is not answered by the resolution it points at) or the follow-up
    names only the kind of thing it asks for ("Which party is he in?") or asks with another
    question word (`asks_anew`: "Where will it be held?" after "When is the next meeting?",
    which the line giving the date may answer too), and, when it gave
    a fact (`beside_said`), the unit just before or after one it quoted gains
    NEIGHBOUR_BONUS (the proposer's line under the resolution)."""
    own = set(stems(content_terms(question)))
    # "Which party is he in?" names only the kind of thing it asks for: the row that named
    # him gives it without the word
    kind_only = bool(own) and own <= set(stems(category(question)))

    def quoted(candidate: Candidate) -> bool:
        return any(_overlaps(candidate, *span) for span in said)

    def beside(candidate: Candidate) -> bool:  # the unit just before or after a quote
        return any(_next_to(candidate, doc_id, end, after=True)
                   or _next_to(candidate, doc_id, start, after=False)
                   for doc_id, start, end in said)

    kept = [c for c in candidates
            if not quoted(c) or kind_only or asks_anew or own & set(stems(tokens(c.quote_text())))]
    for candidate in kept:
        if beside_said and not quoted(candidate) and beside(candidate):
            candidate.score += NEIGHBOUR_BONUS
    return sorted(kept, key=lambda c: -c.score)


def answerable_probability(kind: str, candidates: list[Candidate],
                           model: AnswerModel) -> float:
    """The refusal model's probability that the best unit answers the question."""
    if not candidates:
        return 0.0
    second = candidates[1].score if len(candidates) > 1 else None
    similarity = max(c.signals["dense"] for c in candidates)
    return model.refusal.probability(refusal_signals(
        kind, candidates[0].signals, candidates[0].score, second, similarity))


def _best(candidates: list[Candidate], limit: int, titled: bool = False) -> list[Candidate]:
    """The best unit, and further ones only as evidence in their own right: given at least
    SHARE_OF_BEST of the best one's chance of being the answer, not a bare heading or label,
    not overlapping one already chosen, and from the best one's document (three councils'
    Ofsted reports share their wording: a Coventry answer is not followed by Dorset's line).
    `titled`: the question's first term names what it asks about (a title: "the Mayor"), not
    the kind of answer it wants ("which ward")."""
    chosen = [candidates[0]]
    for candidate in candidates[1:]:
        if len(chosen) == limit or candidate.score - chosen[0].score < math.log(SHARE_OF_BEST):
            break
        if (not candidate.signals["bare"] and all(_apart(candidate, other) for other in chosen)
                and candidate.passage.doc_id == chosen[0].passage.doc_id):
            chosen.append(candidate)
    # "Deputy Mayor" is not what "Who is the Mayor?" asks for: beside a unit that names the
    # title plainly, one that names it only qualified is not part of the answer (unless the
    # question's first term is the kind of thing it asks for: "Which ward …?" is answered
    # by "Oadby Woodlands ward")
    if titled and any(c.signals["focus"] and not c.signals["qualified"] for c in chosen):
        chosen = [c for c in chosen if not c.signals["qualified"]]
    return chosen


def _asking(candidate: Candidate) -> bool:
    """Whether the unit is itself a question ("… can the minister tell us how many …?")."""
    return candidate.quote_text().rstrip(" \"'”’)").endswith("?")


def _stated(question: str, best: list[Candidate]) -> tuple[str, list[Candidate]]:
    """What a factual answer must state and none of its units does ("" when nothing is
    missing): a kind of value in STATED, an amount of money when asked what something
    costs, a count of what is asked how many of. And the units that give that amount or
    count (all of them when the question asks for neither)."""
    wants = answer_type(question)
    if wants and wants.kind in STATED and not any(c.signals["typed"] for c in best):
        return STATED[wants.kind], []
    money = [c for c in best if states_money(question, c.quote_text())]
    counts = [c for c in best if states_count(question, c.quote_text())]
    if not money:
        return "amount", []
    if not counts:
        return " ".join(["count of", *counted_words(question)]), []  # "count of streetlights"
    return "", [c for c in money if c in counts] or money


def _value_after(question: str, best: Candidate, candidates: list[Candidate]) -> list[Candidate]:
    """A record names its topic, then gives its values ("Proposed zebra crossing: Hengrove
    Promenade", "Ref PX-DJR-25-031", "This consultation runs from … to 29 October 2025"):
    when the best unit lacks what the question must be told and a unit of the document text
    after it (within NEAR_CHARS, read there: the record may run on past the passage) gives
    that, the two ([] otherwise). Lines between that give no value of the kind asked are
    passed over, up to one that opens the next record ("Label: value") or that was itself a
    candidate answer. Not the unit before: that is most often the end of the item before
    ("… capped at £350" of another matter)."""
    document = best.passage.document
    if document is None:
        return []
    wants = answer_type(question, document.meeting_date)
    text = document.text
    for start, end in evidence_units(text, best.end, min(len(text), best.end + NEAR_CHARS)):
        unit = text[start:end]
        after = replace(best, start=start, end=end,
                        signals={**best.signals, "typed": float(bool(wants and wants(unit)))})
        if not _stated(question, [after])[0]:
            return [best, after]
        if FIELD_LINE.match(unit) or any(_overlaps(c, best.passage.doc_id, start, end)
                                         for c in candidates):
            return []
    return []


def _placed(best: Candidate, place: Place, question: str) -> Candidate | None:
    """Asked who won or came second, when the best unit is a row of a table that counts
    (votes, attendance), the row at the place asked for among the rows that hold what the
    best one holds of the question (units.ranked_row), whichever row the words matched
    best: every row of a results table matches "Batley East" alike."""
    document = best.passage.document
    # what it asks for ("Which party …?") and its place ("came third") pick no rows
    asked = frozenset(roots(content_terms(question))) - set(roots(category(question))) - place.words
    row = ranked_row(document.text, best.start, place, asked) if document else None
    return replace(best, start=row[0], end=row[1]) if row else None


def _next_to(candidate: Candidate, doc_id: str, at: int, after: bool) -> bool:
    """Whether the unit starts just after offset `at` of doc_id (`after`), or ends just
    before it, nothing but space between."""
    document = candidate.passage.document
    if document is None or candidate.passage.doc_id != doc_id:
        return False
    a, b = (at, candidate.start) if after else (candidate.end, at)
    return a <= b and not document.text[a:b].strip()


def _with_likely_list(best: list[Candidate], candidates: list[Candidate]) -> list[Candidate]:
    """For a decision, list or account question: when none of the best units leads a list
    but a unit nearly as likely as the best (SHARE_OF_BEST) does, that list takes the last
    place among them (units a few hundredths apart are ranked by noise, a list is the
    answer such a question wants)."""
    if any(_list_after(c) is not None for c in best):
        return best
    floor = candidates[0].score + math.log(SHARE_OF_BEST)
    lead = next((c for c in candidates if c.score >= floor and _list_after(c) is not None
                 and all(_apart(c, other) for other in best)), None)
    return best if lead is None else [*best[:LIST_UNITS - 1], lead]


def _summary(candidates: list[Candidate]) -> list[Candidate]:
    """A short extractive summary: the likeliest units, no repeats, until about
    SUMMARY_WORDS words, then put back in document order. A unit beside one already chosen
    gains NEIGHBOUR_BONUS, so the summary follows one exchange rather than scattered lines.
    Units come from documents that lack no more of the question's terms than the best unit's
    does (the "absent" signal): asked whether the Hengrove Promenade crossing was approved,
    a parish's minutes that never mention it lend no "RESOLVED: … be approved" lines."""
    low, high = SUMMARY_WORDS
    chosen: list[Candidate] = []
    words = 0
    seen: set[str] = set()
    lacking = candidates[0].signals["absent"]
    pool = [c for c in candidates if not c.signals["bare"] and c.signals["absent"] <= lacking]
    while pool and words < low:
        best = max(pool, key=lambda c: c.score + NEIGHBOUR_BONUS * _beside(c, chosen))
        pool.remove(best)
        quote = best.quote_text()
        count = len(quote.split())
        key = " ".join(quote.lower().split())
        if key in seen or words + count > high and chosen:
            continue
        if all(_apart(best, other) for other in chosen):
            chosen.append(best)
            seen.add(key)
            words += count
    return sorted(chosen, key=lambda c: (c.passage.doc_id, c.start))


def _said_by_named(question: str, candidates: list[Candidate]) -> list[Candidate]:
    """The units a person the question names says in a transcript, or all of them when they
    say none: "What did Julie Morgan think about …?" asks for her words, not the question put
    to her. A name is the question's (units.question_names, apart at "and": "Julie Morgan
    and Karen Cornish") when its words are all in the speaker's label (units.speaker), role
    included ("Hon. Patty Hajdu (Minister of Health)" for "What did the Minister of Health
    …?")."""
    names = question_names(question, "and")
    if not names:
        return candidates

    def named(candidate: Candidate) -> bool:
        document = candidate.passage.document
        who = speaker(document.text, candidate.start) if document else None
        said_by = set(roots(content_terms(who))) if who else set()
        return any(name <= said_by for name in names)

    return [c for c in candidates if named(c)] or candidates


def _beside(candidate: Candidate, chosen: list[Candidate]) -> bool:
    return any(candidate.passage.doc_id == other.passage.doc_id and
               min(abs(candidate.start - other.end), abs(other.start - candidate.end)) < NEAR_CHARS
               for other in chosen)


def _with_lists(chosen: list[Candidate], prefer_list: bool = False) -> list[Candidate]:
    """A sentence that leads into a list ("The inspectors made six recommendations:") says
    little without it: its quote runs on through the list's items, within LIST_CHARS. When
    the best sentence leads a list, the list is the answer, alone. For a "what did they
    recommend" question (`prefer_list`) a list led by another chosen unit follows the best
    one and the rest give way; for a factual one such a list is padding and is left out."""
    out: list[Candidate] = []
    for candidate in chosen:
        end = _list_after(candidate)
        if end is not None:  # a lead-in, alone or a unit with the items in its passage
            if not out:
                return [replace(candidate, end=end)]
            if not prefer_list:
                continue
            candidate = replace(candidate, end=end)
            return [out[0], candidate] if _apart(candidate, out[0]) else out[:1]
        if all(_apart(candidate, other) for other in out):
            out.append(candidate)
    return out


def _list_after(candidate: Candidate) -> int | None:
    """Where a unit that leads into a list ends, its items included (its first line ends
    with a colon and more follows), or None when it leads into none."""
    document = candidate.passage.document
    if document is None:
        return None
    lead = document.text[candidate.start:candidate.end].split("\n", 1)[0].rstrip()
    lead_end = candidate.start + len(lead)
    if not lead.endswith(":"):
        return None
    end = max(candidate.end, list_end(document.text, lead_end))
    return end if end > lead_end else None


def _overlaps(candidate: Candidate, doc_id: str, start: int, end: int) -> bool:
    """Whether the unit shares text with doc_id's [start, end)."""
    return candidate.passage.doc_id == doc_id and candidate.start < end and start < candidate.end


def _apart(a: Candidate, b: Candidate) -> bool:
    return not _overlaps(a, b.passage.doc_id, b.start, b.end)


def _nearest(candidates: list[Candidate]) -> Candidate | None:
    """The likeliest unit that says something (not a bare heading or label), if any."""
    return next((c for c in candidates if not c.signals["bare"]), None)


def _decline(passages: list[Passage], conversation_id: str,
             nearest: Candidate | None = None, missing: str = "") -> Answer:
    """A refusal citing the top passages as possibly related, after the likeliest unit
    (`nearest`): when the refusal model finds no unit likely enough to answer, the asker sees
    the nearest the documents come and can judge it in seconds (a wrong refusal then still
    leads to the answer); when that unit lacks the kind of value asked for (`missing`), the
    refusal says so."""
    text = NOT_FOUND
    related = []
    if nearest is not None and nearest.passage.document is not None:
        related.append(citation_for(1, nearest.passage.document, nearest.start, nearest.end,
                                    nearest.passage.section, nearest.score))
        text += (f" The nearest passage gives no {missing} [1]." if missing
                 else " The nearest passage found is [1].")
    first = len(related)
    related += [citation_for(first + i + 1, p.document, *_lead(p), p.section, p.score)
                for i, p in enumerate(passages[:3]) if p.document]
    by_title: dict[str, list[int]] = {}  # a document's passages named once: "Title [2] [3]"
    for citation in related[first:]:
        by_title.setdefault(citation.title or citation.doc_id, []).append(citation.n)
    if by_title:
        text += " Possibly related: " + "; ".join(
            f"{title} " + " ".join(f"[{n}]" for n in numbers)
            for title, numbers in by_title.items()) + "."
    return Answer(answer=text, answerable=False, conversation_id=conversation_id,
                  citations=related)


def _lead(passage: Passage) -> tuple[int, int]:
    """The passage's first sentences, up to about 300 characters, as a quote."""
    assert passage.document is not None
    spans = line_sentence_spans(passage.document.text, passage.start, passage.end)
    end = passage.end
    for _, span_end in spans:
        end = span_end
        if span_end - passage.start >= 300:
            break
    return passage.start, end


def citation_for(n: int, doc: Document | None, start: int, end: int, section: str | None,
                 score: float) -> Citation:
    """Citation n of the text doc.text[start:end]: where it is, the exact quote, a link."""
    assert doc is not None
    page = doc.page_at(start)
    return Citation(
        n=n, doc_id=doc.doc_id, title=doc.named(), doc_type=doc.doc_type, committee=doc.committee,
        meeting_date=doc.meeting_date, page=page, section=section, quote=doc.text[start:end],
        start=start, end=end, source=doc.source, url=_url(doc, page), score=round(score, 4),
        ocr=page in doc.extra.get("ocr_pages", ()), speaker=speaker(doc.text, start),
    )


def _url(doc: Document, page: int | None) -> str | None:
    base = doc.url
    if not base and doc.source and not doc.source.startswith("upload:"):
        path = Path(doc.source)
        base = path.as_uri() if path.is_absolute() else None
    if base and doc.format == "pdf" and page:
        return f"{base}#page={page}"
    return base


def _voiced(citation: Citation, before: Citation | None) -> str:
    """The quote as answer prose with its marker, after the name of its speaker where it is
    part of a transcript's turn, unless it opens with that name itself or the quote before
    it is the same speaker's: a summary of a debate says who said what. The name as the
    speaker's label gives it ("Ahmed Hussen" of "Hon. Ahmed Hussen (Minister of …)"); their
    role is in the citation."""
    quote = _tidy(citation.quote)
    who = citation.speaker
    if who and not quote.startswith(who) and (before is None or before.speaker != who
                                                or before.doc_id != citation.doc_id):
        quote = f"{(person_names(who) or [who])[0]}: {quote}"
    return f"{quote} [{citation.n}]"


def _tidy(quote: str) -> str:
    """The quote as answer prose: bullets and runs of spaces removed."""
    return " ".join(quote.lstrip("·•-* \t").split())


def idf_from(count: Callable[[str], int], total: int) -> Callable[[str], float]:
    """An inverse document frequency function from a term → matching-chunks counter."""

    def idf(term: str) -> float:
        # "councillor" is as common as it is written in full and shortened ("Cllr")
        held = count(term) + sum(count(short) for short in short_forms(term))
        return math.log(1 + (total + 1) / (held + 1))

    return idf
