"""The answer model: how likely a unit of text (a sentence, a table row, a "Label: value"
line) answers a question, from a few signals, by logistic regression.

Two small models: a ranker (which unit answers) and a refusal model (whether any does).
The weights and the refusal threshold are fitted by `scripts/fit_answer_model.py` on labelled
dev data (QMSum's gold ranges, the seed and real-council dev questions) and stored, with what
they were fitted on, in `answer_model.json` beside this file. Scoring is a pure function of
the signals, so it can be read, tested and refitted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .units import answer_type

MODEL_FILE = Path(__file__).with_name("answer_model.json")

# The signals of one unit for one question, each in [0, 1] or a small range.
FEATURES = (
    "own",           # rarity-weighted share of the question's terms in the unit itself
    "setting",       # … added by reading the unit with its title, section and passage
    "heading",       # … in the section heading the unit sits under, not in the unit
    "title",         # … in the document's title and body, not in the unit (which council)
    "speaker",       # … in the label the unit's line opens with, not in the unit: who is
                     # speaking in a transcript ("Julie Morgan AM: … "), the item of a line
    "phrasing",      # share of words that only phrase the question ("many", "discussed")
    "typed",         # the unit holds what the question asks for (a date, an amount, a name)
                     # and the question does not already say
    "typed_own",     # "own" again when the unit holds that value: the words matter more
                     # in a line that gives the date or amount asked for
    "typed_setting", # "own" with "setting" when the unit holds it: the date in a passage
                     # about the consultation asked of, in a sentence that does not name it
    "typed_name",    # … when that is a name (units.py: a title, an initial, a "Name:" label
                     # or a given name); minutes name people in more lines than they date
    "asks_type",     # the question asks for a type at all
    "rank",          # 1 / (1 + the passage's rank in retrieval)
    "retrieval",     # the passage's retrieval score over the best passage's
    "dense",         # the bundled embedder's cosine between the question and the passage
    "meaning",       # … between the question and the unit itself (the likeliest units only)
    "first",         # 1 / (1 + the unit's place in its passage)
    "words",         # log(1 + words in the unit) / 4
    "bare",          # a heading or label alone: short, no sentence end, no value
    "field",         # a "Label: value" line or a table row with its headers
    "focus",         # holds a factual question's first term ("electorate" in "What was
                     # the electorate in …?"), where what is asked for is most often named
    "qualified",     # that term appears only under a title word the question lacks
                     # ("Deputy Mayor" for "Who is the Mayor?")
    "label",         # share of a factual question's terms in such a line's label
                     # ("Electorate:")
    "repeated",      # share of its lines repeated in its document or found in another read
    "contact",       # holds a web address, email address or telephone number
    "absent",        # share of the question's terms found nowhere in the unit's document
                     # (a question about one council's shop is not answered by minutes that
                     # never mention a shop, whoever else's do)
    "topic",         # the likeliest units' nearest cosine to what a summary-style question
                     # asks about ("the village pond": signals.asked_about), or to the question
                     # where it names no such phrase, less the words its documents' titles name
                     # (signals.untitled; 0 for a factual question); the same for every unit
                     # of a question, so it is read by the refusal model alone
)


# Signals of a question's best unit, for the refusal decision.
REFUSAL_FEATURES = ("best", "gap", "own", "cover", "typed", "asks_type", "summary",
                    "similarity", "meaning", "absent", "topic")


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@dataclass(frozen=True)
class Ranker:
    """A linear score over FEATURES, fitted as a conditional logit: among one question's
    units, softmax(score) is the chance each is the one that answers it."""

    weights: Mapping[str, float]

    def score(self, signals: Mapping[str, float]) -> float:
        """The unit's score; higher is likelier (only differences matter)."""
        return sum(w * signals.get(name, 0.0) for name, w in self.weights.items())


@dataclass(frozen=True)
class Refusal:
    """Logistic regression over REFUSAL_FEATURES: the probability that the documents answer
    the question, and the threshold below which the assistant says they do not."""

    weights: Mapping[str, float]
    bias: float
    thresholds: Mapping[str, float]  # by model kind: each chosen on that kind's questions

    def threshold(self, kind: str) -> float:
        """The probability below which the assistant declines a question of this kind."""
        return self.thresholds[model_kind(kind)]

    def probability(self, signals: Mapping[str, float]) -> float:
        """How likely the question is answered by its best unit."""
        return _sigmoid(self.bias + sum(w * signals.get(name, 0.0)
                                        for name, w in self.weights.items()))


@dataclass(frozen=True)
class AnswerModel:
    """A Ranker for factual (and list) questions, one for questions that want a summary of
    what was said (good answers differ between the two), one refusal model, and the model of
    which kind a question is."""

    rankers: Mapping[str, Ranker]
    refusal: Refusal
    kinds: QuestionKinds
    fitted_on: Mapping[str, Any] = field(default_factory=dict)

    def kind(self, question: str) -> str:
        """The shape of answer the question wants (FACT, LIST or SUMMARY)."""
        return self.kinds.kind(question)

    def ranker(self, question: str) -> Ranker:
        """The ranker for the question's kind."""
        return self.rankers[model_kind(self.kind(question))]


def refusal_signals(kind: str, best: Mapping[str, float], best_score: float,
                    second_score: float | None, similarity: float) -> dict[str, float]:
    """What the refusal model reads: how the best unit scored, what it covers, and how close
    in meaning the nearest passage is to the question."""
    return {"best": best_score, "similarity": similarity,
            "gap": best_score - second_score if second_score is not None else 1.0,
            "own": best.get("own", 0.0), "cover": best.get("own", 0.0) + best.get("setting", 0.0),
            "typed": best.get("typed", 0.0), "asks_type": best.get("asks_type", 0.0),
            "meaning": best.get("meaning", 0.0), "absent": best.get("absent", 0.0),
            "topic": best.get("topic", 0.0),
            "summary": float(kind == SUMMARY)}


@lru_cache(maxsize=2)
def load_model(path: Path = MODEL_FILE) -> AnswerModel:
    """The fitted model (read once)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    refusal = data["refusal"]
    return AnswerModel(
        rankers={name: Ranker(weights=w) for name, w in data["rankers"].items()},
        refusal=Refusal(refusal["weights"], refusal["bias"], refusal["thresholds"]),
        kinds=QuestionKinds(data["question_kinds"]["weights"], data["question_kinds"]["bias"]),
        fitted_on=data.get("fitted_on", {}))


def save_model(model: AnswerModel, path: Path = MODEL_FILE) -> None:
    """Write the model as inspectable JSON."""
    data = {"features": list(FEATURES), "refusal_features": list(REFUSAL_FEATURES),
            "rankers": {name: dict(r.weights) for name, r in model.rankers.items()},
            "refusal": {"weights": dict(model.refusal.weights), "bias": model.refusal.bias,
                        "thresholds": dict(model.refusal.thresholds)},
            "question_kinds": {"weights": {k: dict(w) for k, w in model.kinds.weights.items()},
                               "bias": dict(model.kinds.bias)},
            "fitted_on": dict(model.fitted_on)}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    load_model.cache_clear()


FACT, LIST, SUMMARY = "fact", "list", "summary"
KINDS = (FACT, LIST, SUMMARY)


_ISE = re.compile(r"(?<=\w{3})is(e|ed|es|ing|ation)$")  # British spelling: summarise → summarize


def question_features(question: str) -> list[str]:
    """What the question-kind model reads: the question's words, its opening word and two
    words ("^who", "^what did"), where the kind of question shows most, and the kind of value
    it asks for, if any ("=date" and "=value": units.answer_type)."""
    words = [_ISE.sub(r"iz\1", w) for w in re.findall(r"[a-z]+", question.lower())]
    wants = answer_type(question)
    return [*dict.fromkeys(words), *(f"^{' '.join(words[:n])}" for n in (1, 2) if words),
            *([f"={wants.kind}", "=value"] if wants else [])]


@dataclass(frozen=True)
class QuestionKinds:
    """Multinomial logistic regression over question_features: which shape of answer a
    question wants. Fitted on labelled dev questions (scripts/fit_answer_model.py)."""

    weights: Mapping[str, Mapping[str, float]]  # kind → feature → weight
    bias: Mapping[str, float]

    def scores(self, question: str) -> dict[str, float]:
        """Each kind's linear score (the likeliest kind scores highest)."""
        features = question_features(question)
        return {kind: self.bias[kind] + sum(self.weights[kind].get(f, 0.0) for f in features)
                for kind in KINDS}

    def kind(self, question: str) -> str:
        scores = self.scores(question)
        return max(KINDS, key=lambda k: scores[k])


def question_kind(question: str, model: AnswerModel | None = None) -> str:
    """What shape of answer the question wants: a decision or list, a short summary of what
    was said, or one or two facts."""
    return (model or load_model()).kind(question)


def model_kind(kind: str) -> str:
    """Lists and decisions are scored as facts are: the best unit leads them."""
    return SUMMARY if kind == SUMMARY else FACT
