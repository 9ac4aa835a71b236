"""`assistant ask | search | chat | eval`: questions in, cited answers and passages out."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..config import Settings
from ..errors import BadEvaluationFile
from ..records import Filters
from ..render import render_answer, render_passages
from ..service import Assistant
from .base import _EXTENSIONS, command, emit

ROOT = Path(__file__).resolve().parents[2]


def _add_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    filters = argparse.ArgumentParser(add_help=False)
    group = filters.add_argument_group("filters")
    group.add_argument("--committee", help="only documents of this committee or body (substring)")
    group.add_argument("--type", dest="doc_types", action="append",
                       choices=["minutes", "decision", "report", "news", "other"],
                       help="only this document type (repeatable)")
    group.add_argument("--from", dest="date_from", help="meetings on or after this date (YYYY-MM-DD)")
    group.add_argument("--to", dest="date_to", help="meetings on or before this date (YYYY-MM-DD)")
    group.add_argument("--doc", dest="doc_ids", action="append", help="only this document id")
    group.add_argument("--no-restricted", action="store_true",
                       help="leave out documents marked restricted (the CLI includes them)")
    p = sub.add_parser("ask", parents=[common, filters],
                       help="answer a question with citations (no question: one per stdin line)")
    p.add_argument("question", nargs="?")
    p.add_argument("--conversation", help="continue this conversation id")
    p = sub.add_parser("search", parents=[common, filters],
                       help="ranked passages for a query (no query: one per stdin line)")
    p.add_argument("question", nargs="?")
    p.add_argument("-k", type=int, default=8, help="how many passages (default 8)")
    sub.add_parser("chat", parents=[common, filters], help="an interactive conversation")
    p = sub.add_parser("eval", parents=[common], help="seed, real-council and QMSum evaluation")
    p.add_argument("--seeds", type=Path, help="seed dev questions (default: "
                   "../shared/eval/seed_questions.jsonl)")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus")
    p.add_argument("--real-council", type=Path,
                   help="dev questions over the real council documents (default: "
                        "eval/real_council_questions.jsonl)")
    p.add_argument("--real-council-check", type=Path,
                   help="questions kept out of fitting (the fit script never reads them), each "
                        "batch written before it was first run: a check of generality beside "
                        "the dev figures (default: eval/real_council_check.jsonl); your own, "
                        "over your documents (see --real-council-corpus)")
    p.add_argument("--conversations", type=Path,
                   help="dev conversations (2-3 turns) over the seeds and real-council documents; "
                        "JSON Lines of cid, corpus, turns (default: eval/conversations.jsonl)")
    p.add_argument("--real-council-corpus", type=Path,
                   help="the folder of documents the council questions are asked over "
                        "(default: ../shared/bench/real-council)")
    p.add_argument("--qmsum", type=Path, default=ROOT.parent / "shared/bench/qmsum-committee")
    p.add_argument("--qmsum-index", type=Path, default=ROOT / ".bench/qmsum-index",
                   help="where the QMSum index is kept between runs")
    p.add_argument("--skip-qmsum", action="store_true")


    p = sub.add_parser("feedback", parents=[common],
                       help="verdicts people gave the Slack and Teams answers (JSON Lines with --json)")
    p.add_argument("--verdict", choices=["helpful", "not_helpful"], help="only this verdict")


_EXTENSIONS.append(_add_parsers)


def filters_from(args: argparse.Namespace) -> Filters:
    return Filters(committee=args.committee, doc_types=args.doc_types, date_from=args.date_from,
                   date_to=args.date_to, doc_ids=args.doc_ids,
                   include_restricted=not args.no_restricted)


def _questions(args: argparse.Namespace) -> Iterator[str]:
    if args.question is not None:
        yield args.question
        return
    for line in sys.stdin:
        if line.strip():
            yield line.strip()


def _each_question(args: argparse.Namespace, settings: Settings,
                   respond: Callable[[Any, str], tuple[dict[str, Any], str]]) -> int:
    """Answer the question given, or each stdin line as one JSON object per line (batch)."""
    assistant = Assistant(settings)
    batch = args.question is None
    try:
        for question in _questions(args):
            data, text = respond(assistant, question)
            if batch:
                print(json.dumps(data, ensure_ascii=False), flush=True)
            else:
                emit(args, data, text)
    finally:
        assistant.close()
    return 0


@command("ask")
def _ask(args: argparse.Namespace, settings: Settings) -> int:
    def respond(assistant: Any, question: str) -> tuple[dict[str, Any], str]:
        answer = assistant.ask(question, args.conversation, filters_from(args))
        return answer.as_json(), render_answer(answer)

    return _each_question(args, settings, respond)


@command("search")
def _search(args: argparse.Namespace, settings: Settings) -> int:
    def respond(assistant: Any, question: str) -> tuple[dict[str, Any], str]:
        passages = assistant.search(question, args.k, filters_from(args))
        results = [p.result() for p in passages]
        data = {"results": [r.model_dump() for r in results]}
        return ({"query": question, **data} if args.question is None else data,
                render_passages(results))

    return _each_question(args, settings, respond)


@command("chat")
def _chat(args: argparse.Namespace, settings: Settings) -> int:
    assistant = Assistant(settings)
    conversation: str | None = None
    print("Ask about the council's documents. Commands: /new (new conversation), /quit.")
    try:
        while True:
            try:
                question = input("\nyou> ").strip()
            except EOFError:
                break
            if question in ("/quit", "/exit"):
                break
            if question == "/new":
                conversation = None
                print("(new conversation)")
                continue
            if question:
                answer = assistant.ask(question, conversation, filters_from(args))
                conversation = answer.conversation_id
                print("\n" + render_answer(answer))
    finally:
        assistant.close()
    return 0


@command("eval")
def _eval(args: argparse.Namespace, settings: Settings) -> int:
    from ..evaluation import (
        eval_settings,
        format_summary,
        format_table,
        qmsum_answers,
        qmsum_eval,
        qmsum_settings,
        read_conversations,
        read_questions,
        seed_eval,
    )
    from ..storage import drop_store

    quiet = settings.model_copy(update={"progress": False})
    report: dict[str, Any] = {}
    # every file is read and checked before anything is indexed: a mistake costs seconds
    seeds = _eval_file(args.seeds, ROOT.parent / "shared/eval/seed_questions.jsonl", "--seeds")
    sets = [("seed", seeds, [args.corpus], "demo corpus")] if seeds else []
    council = _council_documents(args.real_council_corpus)
    for name, option, given, default, label in (
            ("real_council", "--real-council", args.real_council,
             ROOT / "eval/real_council_questions.jsonl", "real council documents"),
            ("real_council_check", "--real-council-check", args.real_council_check,
             ROOT / "eval/real_council_check.jsonl", "real council documents, kept out of fitting")):
        path = _eval_file(given, default, option)
        if path and council:
            sets.append((name, path, council, label))
    questions = {name: read_questions(path) for name, path, _, _ in sets}
    dialogues = _eval_file(args.conversations, ROOT / "eval/conversations.jsonl",
                           "--conversations")
    conversations = read_conversations(dialogues) if dialogues else []
    with tempfile.TemporaryDirectory(prefix="eval-") as tmp:
        # one index a corpus: the council dev and kept-out sets are asked of the same one
        indexes: dict[tuple[Path, ...], Settings] = {}
        for name, path, corpus, label in sets:
            fresh = indexes.get(tuple(corpus))
            if fresh is None:
                fresh = eval_settings(quiet, Path(tmp) / name, f"eval-{name}")
                drop_store(fresh)  # on PostgreSQL, the collection of the last run
                indexes[tuple(corpus)] = fresh
            result = seed_eval(questions[name], corpus, fresh,
                               [c for c in conversations if c["corpus"] == name])
            _print_question_set(f"{path.name}, {label}", result)
            report[name] = result.metrics
            print()
    if not args.skip_qmsum:
        if not (args.qmsum / "documents.jsonl").is_file():
            print(f"error: no QMSum data at {args.qmsum}; pass --qmsum or --skip-qmsum",
                  file=sys.stderr)
            return 2
        fixed = qmsum_settings(quiet, args.qmsum_index)
        qmsum = qmsum_eval(args.qmsum, fixed)
        for split, label in (("train", "dev"), ("val", "held-out")):
            answers = qmsum_answers(args.qmsum, fixed, split)
            print(format_table(f"QMSum answers, {label} ({split} split; all answerable)",
                               answers))
            print()
            report[f"qmsum_answers_{split}"] = answers
        print(format_table("QMSum committee retrieval (36 transcripts)", qmsum.metrics))
        report["qmsum"] = qmsum.metrics
    titles = {"seed": "seed dev", "real_council": "council dev",
              "real_council_check": "council kept out", "qmsum_answers_train": "QMSum dev",
              "qmsum_answers_val": "QMSum held-out", "qmsum": "QMSum retrieval"}
    print()
    print("All sets (*_top_passage: the first 80 words of the top retrieved passage)")
    print(format_summary({titles[k]: v for k, v in report.items()}))
    if args.json:
        print(json.dumps(report))
    return 0


def _eval_file(given: Path | None, default: Path, option: str) -> Path | None:
    """The file an option names, which must exist; else the default where it exists (the
    data in ../shared may not be beside a checkout: that set is skipped, and said so)."""
    if given is not None:
        if not given.is_file():
            raise BadEvaluationFile(f"no file at {given} ({option})")
        return given
    if default.is_file():
        return default
    print(f"skipped {option[2:]}: no file at {default} (pass {option})", file=sys.stderr)
    return None


def _council_documents(given: Path | None) -> list[Path]:
    """The documents the council questions are asked over: the files of the folder named,
    which must hold some, or of ../shared/bench/real-council where it is beside the checkout."""
    folder = given or ROOT.parent / "shared/bench/real-council"
    files = sorted(p for p in folder.glob("*.*") if p.is_file() and p.name != "SOURCES.md")
    if not files and given is not None:
        raise BadEvaluationFile(f"no documents in {given} (--real-council-corpus): name a "
                                "folder holding the documents the questions are asked over")
    if not files:
        print(f"skipped the council sets: no documents at {folder} (pass --real-council-corpus)",
              file=sys.stderr)
    return files


def _print_question_set(title: str, result: Any) -> None:
    from ..evaluation import format_table

    print(format_table(f"Questions ({title})", result.metrics))
    for outcome in result.details:
        if not (outcome.keys_ok and outcome.answerable == outcome.predicted_answerable
                and (outcome.citation_ok or not outcome.answerable)):
            print(f"  miss {outcome.qid}: {outcome.answer[:160]}")
    for cid, right in result.conversations.items():
        if not right:
            print(f"  miss conversation {cid}")


@command("feedback")
def _feedback(args: argparse.Namespace, settings: Settings) -> int:
    from ..bots.store import BOTS_FILE, BotStore
    from ..storage import state_db

    store = BotStore(state_db(settings, BOTS_FILE))
    try:
        records = store.feedback(args.verdict, limit=1_000_000)
    finally:
        store.close()
    if args.json:  # one object a line, ready to turn into evaluation questions
        for record in records:
            print(json.dumps(record.as_json(), ensure_ascii=False))
        return 0
    if not records:
        print("No feedback recorded yet.")
    for record in records:
        print(f"{record.created_at}  {record.verdict:<11}  {record.platform:<5}  {record.question}")
        print(f"    {' '.join(record.answer.get('answer', '').split())[:160]}")
    return 0
