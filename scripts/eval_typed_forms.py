"""How answers hold when the council questions are typed as people type them in chat.

Every real-council question (dev and kept out) is asked as written and then rewritten in
each form below, over one index of the council documents; the answer accuracy, citation
accuracy and refusal precision/recall of each form are printed beside those as written. A
form that scores below "as written" is a way of typing the assistant reads worse.

    .venv/bin/python scripts/eval_typed_forms.py [--forms "as written,letters swapped"]

Forms: "Hi, …" and "Can you tell me …" before the question; lower case without its question
mark; two letters of its longest word swapped, or one dropped; an opening what, when, which
or where with its 2nd and 3rd letters swapped. Then the dev conversations (eval/conversations.jsonl),
with every follow-up opened as written, with "Thanks! " and with "ok, ".
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.evaluation import converse, format_summary, judge, question_metrics, read_jsonl
from assistant.ingest import ingest
from assistant.service import Assistant

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
QUESTIONS = [ROOT / "eval/real_council_questions.jsonl", ROOT / "eval/real_council_check.jsonl"]
CONVERSATIONS = ROOT / "eval/conversations.jsonl"
# how a chat user opens a follow-up after an answer
FOLLOW_UPS: dict[str, Callable[[str], str]] = {
    "as written": lambda q: q,
    "Thanks! …": lambda q: "Thanks! " + _lower_first(q),
    "ok, …": lambda q: "ok, " + _lower_first(q),
}


def _longest(question: str, change: Callable[[str], str]) -> str:
    """The question with its longest word of six or more letters changed."""
    words = re.findall(r"[A-Za-z]{6,}", question)
    if not words:
        return question
    word = max(words, key=len)
    return question.replace(word, change(word), 1)


def _lower_first(question: str) -> str:
    return question[0].lower() + question[1:]


def _swap(word: str, at: int) -> str:
    return word[:at] + word[at + 1] + word[at] + word[at + 2:]


FORMS: dict[str, Callable[[str], str]] = {
    "as written": lambda q: q,
    "Hi …": lambda q: "Hi, " + _lower_first(q),
    "Can you tell me …": lambda q: "Can you tell me " + _lower_first(q),
    "lower case no ?": lambda q: q.lower().rstrip("?. "),
    "letters swapped": lambda q: _longest(q, lambda w: _swap(w, len(w) // 2 - 1)),
    "letter dropped": lambda q: _longest(q, lambda w: w[:len(w) // 2] + w[len(w) // 2 + 1:]),
    "opening mistyped": lambda q: _swap(q, 1)
    if q.split()[0].lower() in ("what", "when", "which", "where") else q,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", default=",".join(FORMS),
                        help="comma-separated forms to ask in (default: all)")
    args = parser.parse_args()
    forms = [f for f in args.forms.split(",") if f]
    if unknown := [f for f in forms if f not in FORMS]:
        print(f"error: no form {unknown[0]!r}; choose from {', '.join(FORMS)}", file=sys.stderr)
        return 2
    council = sorted(p for p in (SHARED / "bench/real-council").glob("*.*")
                     if p.name != "SOURCES.md")
    questions = [q for path in QUESTIONS for q in read_jsonl(path)]
    columns = {}
    with tempfile.TemporaryDirectory(prefix="typed-") as tmp:
        assistants = {name: _assistant(corpus, Path(tmp) / name) for name, corpus in (
            ("real_council", council), ("seed", [ROOT / "corpus"]))}
        try:
            for name in forms:
                results = [judge(assistants["real_council"],
                                  dict(q, question=FORMS[name](q["question"])))
                           for q in questions]
                metrics = question_metrics(results)
                columns[name] = {k: metrics[k] for k in (
                    "questions", "answer_accuracy", "citation_accuracy", "refusal_precision",
                    "refusal_recall")}
            conversations = read_jsonl(CONVERSATIONS)
            right = {name: sum(converse(assistants[c["corpus"]], _follow_ups(c, form))
                               for c in conversations) for name, form in FOLLOW_UPS.items()}
        finally:
            for assistant in assistants.values():
                assistant.close()
    print(format_summary(columns))
    print(f"\nDev conversations fully right ({len(conversations)}), each follow-up opened "
          + " / ".join(FOLLOW_UPS) + ": " + " / ".join(map(str, right.values())))
    return 0


def _assistant(corpus: list[Path], index: Path) -> Assistant:
    settings = Settings(index=index, progress=False, parse_workers=0)
    ingest(corpus, settings)
    return Assistant(settings)


def _follow_ups(conversation: dict[str, Any], form: Callable[[str], str]) -> dict[str, Any]:
    """The conversation with every turn after the first opened in this form."""
    turns = conversation["turns"]
    return dict(conversation, turns=turns[:1] + [dict(t, question=form(t["question"]))
                                                 for t in turns[1:]])


if __name__ == "__main__":
    sys.exit(main())
