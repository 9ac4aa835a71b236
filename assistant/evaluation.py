"""Evaluation: seed questions (answers, citations, abstention) and QMSum retrieval (hit@k, MRR)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import BadEvaluationFile
from .ingest import built_manifest, embedder_for, ingest
from .records import Filters
from .service import Assistant

__all__ = ["format_summary", "format_table", "qmsum_answers", "qmsum_eval", "seed_eval"]


# The trivial answer each set is measured beside: the top retrieved passage's first words.
BASELINE_WORDS = 80


@dataclass
class SeedResult:
    """One seed question's outcome."""

    qid: str
    answerable: bool
    predicted_answerable: bool
    keys_ok: bool
    citation_ok: bool
    answer: str
    # the trivial baseline: the first BASELINE_WORDS words of the top retrieved passage
    baseline_keys_ok: bool = False
    baseline_citation_ok: bool = False
    # the answer named words of what was asked about that no cited document holds
    noticed: bool = False


@dataclass
class Report:
    """Metrics by name, with the per-question details kept for inspection."""

    metrics: dict[str, float] = field(default_factory=dict)
    details: list[Any] = field(default_factory=list)
    conversations: dict[str, bool] = field(default_factory=dict)  # id → fully right


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file, blank lines skipped."""
    return [item for _, item in _numbered(path)]


def _numbered(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Each object of a JSON Lines file with its line number; BadEvaluationFile names the
    first line that is not a JSON object."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise BadEvaluationFile(f"cannot read {path}: {exc}") from exc
    items = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadEvaluationFile(f"{path}, line {number}: not valid JSON ({exc.msg}, column "
                                    f"{exc.colno}); write each question as one JSON object on "
                                    "one line") from exc
        if not isinstance(item, dict):
            raise BadEvaluationFile(f"{path}, line {number}: a JSON object is needed, not "
                                    f"{type(item).__name__}")
        items.append((number, item))
    return items


_FIELDS = ('"question", "answer_keys" (groups of alternatives: a right answer holds one of '
           'each group), "answerable" (true, or false for a question the documents do not '
           'answer) and, optionally, "gold_spans" (passages quoted from the documents; a '
           "citation overlapping one is right)")
QUESTION_FORMAT = f'Each line needs "qid", {_FIELDS}.'
TURN_FORMAT = f"Each turn needs {_FIELDS}."
SHOWN_PROBLEMS = 5  # a file wrong on every line is told so by its first few


def _unusable(path: Path, problems: list[str], advice: str) -> BadEvaluationFile:
    """The error naming a file's first problems, how many more there are, and its format."""
    more = (f" (and {len(problems) - SHOWN_PROBLEMS} more)"
            if len(problems) > SHOWN_PROBLEMS else "")
    return BadEvaluationFile(f"{path}: " + "; ".join(problems[:SHOWN_PROBLEMS]) + more
                             + f". {advice}")


def read_questions(path: Path) -> list[dict[str, Any]]:
    """The questions of an evaluation file (seed_questions.jsonl format), checked before any
    document is indexed: BadEvaluationFile names each line that is not a usable question."""
    problems: list[str] = []
    first_line: dict[str, int] = {}
    numbered = _numbered(path)
    for number, question in numbered:
        for problem in _question_problems(question):
            problems.append(f"line {number}: {problem}")
        qid = question.get("qid")
        if isinstance(qid, str) and qid in first_line:
            problems.append(f"line {number}: qid {qid!r} is used on line {first_line[qid]} too")
        elif isinstance(qid, str):
            first_line[qid] = number
    if problems:
        raise _unusable(path, problems, QUESTION_FORMAT)
    if not numbered:
        raise BadEvaluationFile(f"{path} holds no questions. {QUESTION_FORMAT}")
    return [question for _, question in numbered]


def read_conversations(path: Path) -> list[dict[str, Any]]:
    """The dev conversations of a file ("cid", "corpus" and "turns", each turn a question in
    the format of read_questions without its qid), checked as read_questions checks."""
    problems = []
    numbered = _numbered(path)
    for number, conversation in numbered:
        problems += [f"line {number}: no {name!r}" for name in ("cid", "corpus", "turns")
                     if name not in conversation]
        turns = conversation.get("turns", [])
        if not isinstance(turns, list) or not all(isinstance(t, dict) for t in turns):
            problems.append(f'line {number}: "turns" must be a list of questions')
            continue
        problems += [f"line {number}, turn {i}: {problem}" for i, turn in enumerate(turns, 1)
                     for problem in _question_problems({"qid": "", **turn})]
    if problems:
        raise _unusable(path, problems, TURN_FORMAT)
    return [conversation for _, conversation in numbered]


def _question_problems(question: dict[str, Any]) -> list[str]:
    """What keeps one question from being asked and judged (none when it can be)."""
    problems = [f"no {name!r}" for name in ("qid", "question", "answer_keys", "answerable")
                if name not in question]
    if "qid" in question and not isinstance(question["qid"], str):
        problems.append('"qid" must be a string')
    if "question" in question and not (isinstance(question["question"], str)
                                       and question["question"].strip()):
        problems.append('"question" must be the text of a question')
    if "answerable" in question and not isinstance(question["answerable"], bool):
        problems.append('"answerable" must be true or false')
    keys = question.get("answer_keys", [])
    if not (isinstance(keys, list) and all(isinstance(group, list) and group and
                                           all(isinstance(k, str) for k in group)
                                           for group in keys)):
        problems.append('"answer_keys" must be a list of lists of strings, e.g. [["Smith"]]')
    elif question.get("answerable") is True and not keys:
        problems.append('an answerable question needs "answer_keys" to judge its answer by')
    spans = question.get("gold_spans", [])
    if not (isinstance(spans, list) and all(isinstance(span, str) for span in spans)):
        problems.append('"gold_spans" must be a list of strings')
    return problems


def holds_keys(answer: str, keys: list[list[str]]) -> bool:
    """Whether the answer holds every group of answer keys (one alternative of each)."""
    text = answer.lower()
    return all(any(alt.lower() in text for alt in group) for group in keys)


def span_overlaps(text: str, start: int, end: int, span: str) -> bool:
    """Whether text[start:end] overlaps any occurrence of the gold span in text."""
    found = text.find(span)
    while found >= 0:
        if found < end and start < found + len(span):
            return True
        found = text.find(span, found + 1)
    return False


def seed_eval(questions: list[dict[str, Any]], corpus: list[Path], settings: Settings,
              conversations: list[dict[str, Any]] | None = None) -> Report:
    """Ask every question (as read_questions reads them) in a fresh conversation over an
    index of the corpus (files or folders), then the dev conversations, turn by turn."""
    ingest(corpus, settings)
    assistant = Assistant(settings)
    try:
        results = [judge(assistant, question) for question in questions]
        right = {c["cid"]: converse(assistant, c) for c in conversations or []}
    finally:
        assistant.close()
    metrics = question_metrics(results)
    if conversations:
        metrics["conversations"] = len(right)
        metrics["conversations_fully_right"] = sum(right.values())
    return Report(metrics, results, right)


def converse(assistant: Assistant, conversation: dict[str, Any]) -> bool:
    """Whether every turn of a dev conversation is right: the answer holds its keys, or it
    is declined when the documents do not say."""
    conversation_id = None
    for turn in conversation["turns"]:
        answer = assistant.ask(turn["question"], conversation_id,
                               filters=Filters(include_restricted=True))
        conversation_id = answer.conversation_id
        if answer.answerable != turn["answerable"] or not holds_keys(answer.answer,
                                                                       turn["answer_keys"]):
            return False
    return True


def question_metrics(results: list[SeedResult]) -> dict[str, float]:
    """Answer and citation accuracy over the answerable questions; refusal precision and
    recall (a refusal is right when the question is unanswerable) and the confusion counts."""
    answerable = [r for r in results if r.answerable]
    refused = [r for r in results if not r.predicted_answerable]
    answered = [r for r in results if r.predicted_answerable]
    right_refusals = sum(not r.answerable for r in refused)
    unanswerable = len(results) - len(answerable)
    return {
        "questions": len(results),
        "answer_accuracy": _share(r.keys_ok and r.predicted_answerable for r in answerable),
        "citation_accuracy": _share(r.citation_ok for r in answerable),
        "answer_accuracy_top_passage": _share(r.baseline_keys_ok for r in answerable),
        "citation_accuracy_top_passage": _share(r.baseline_citation_ok for r in answerable),
        "refusal_precision": round(right_refusals / len(refused), 3) if refused else 1.0,
        "refusal_recall": round(right_refusals / unanswerable, 3) if unanswerable else 1.0,
        "answered_answerable": sum(r.predicted_answerable for r in answerable),
        "refused_answerable": len(answerable) - sum(r.predicted_answerable for r in answerable),
        "answered_unanswerable": unanswerable - right_refusals,
        "refused_unanswerable": right_refusals,
        # how often an answer says its sources never mention what was asked about, among
        # the answers given that are right and that are not (wrong, or to an unanswerable one)
        "noticed_right_answers": _share(r.noticed for r in answered if _right(r)),
        "noticed_wrong_answers": _share(r.noticed for r in answered if not _right(r)),
    }


def _right(result: SeedResult) -> bool:
    return result.answerable and result.keys_ok


def judge(assistant: Assistant, question: dict[str, Any]) -> SeedResult:
    answer = assistant.ask(question["question"], filters=Filters(include_restricted=True))
    keys_ok = holds_keys(answer.answer, question["answer_keys"])
    gold = question.get("gold_spans") or []
    citation_ok = False
    if answer.answerable:
        texts = {c.doc_id: assistant.index.document(c.doc_id).text for c in answer.citations}
        citation_ok = any(span_overlaps(texts[c.doc_id], c.start, c.end, span)
                          for c in answer.citations for span in gold)
    top = assistant.search(question["question"], 1, Filters(include_restricted=True))
    lead_ok = lead_cited = False
    if top and top[0].document is not None:
        lead = _opening(top[0].text)
        lead_ok = holds_keys(lead, question["answer_keys"])
        lead_cited = any(span_overlaps(top[0].document.text, top[0].start,
                                       top[0].start + len(lead), span) for span in gold)
    return SeedResult(question["qid"], bool(question["answerable"]), answer.answerable,
                      keys_ok, citation_ok, answer.answer, lead_ok, lead_cited,
                      bool(answer.answerable and answer.unmentioned))


def _opening(text: str) -> str:
    """The trivial answer: the text up to the end of its BASELINE_WORDS-th word."""
    words = list(re.finditer(r"\S+", text))[:BASELINE_WORDS]
    return text[:words[-1].end()] if words else ""


# Every evaluation index, and the answer model's fit, use the fp32 model on every machine:
# "auto" builds a new index with onnx-int8 on a CPU and with the GPU where torch sees one, and
# int8 vectors move with the machine's CPU (its kernels round differently). With the same
# commit and answer model, int8 gave council dev citations 0.906 and refusal recall 0.80 on
# one machine and 0.887 and 0.84 on another, and refitting there gave another model, while
# QMSum's figures, from fp32 vectors, were the same on both (on QMSum dev, int8 vectors gave
# ROUGE-1 31.9 and hit@5 0.806 where fp32 gives 32.05 and 0.815).
EVAL_BACKEND = "torch"


def eval_settings(settings: Settings, index: Path, collection: str) -> Settings:
    """Settings for an evaluation index in the folder `index`: EVAL_BACKEND, and one process
    parsing, so the chunks are embedded in the same batches every run."""
    return settings.model_copy(update={"index": index, "collection": collection,
                                       "embedding_backend": EVAL_BACKEND, "parse_workers": 0})


def qmsum_settings(settings: Settings, index: Path) -> Settings:
    """eval_settings for the QMSum index kept in the folder `index`; one built with another
    embedder there (by an earlier version) is removed, to be rebuilt."""
    fixed = eval_settings(settings, index, "eval-qmsum")
    built = built_manifest(fixed)
    if built is not None and built.model != embedder_for(fixed).name and not fixed.database_url:
        shutil.rmtree(index)
    return fixed


def qmsum_eval(directory: Path, settings: Settings, k: int = 10) -> Report:
    """Retrieval over all QMSum committee transcripts: hit@1/5/10 and MRR@10."""
    ingest([directory / "documents.jsonl"], settings)
    assistant = Assistant(settings)
    ranks: list[int | None] = []
    try:
        for question in read_jsonl(directory / "questions.jsonl"):
            passages = assistant.search(question["question"], k)
            gold = [tuple(r) for r in question["gold_char_offsets"]]
            ranks.append(next((i for i, p in enumerate(passages)
                               if p.doc_id == question["doc_id"]
                               and any(p.start < b and a < p.end for a, b in gold)), None))
    finally:
        assistant.close()
    metrics: dict[str, float] = {"questions": len(ranks)}
    for cut in (1, 5, 10):
        metrics[f"hit@{cut}"] = _share(r is not None and r < cut for r in ranks)
    metrics["mrr@10"] = round(sum(1 / (r + 1) for r in ranks if r is not None and r < 10)
                              / max(1, len(ranks)), 3)
    return Report(metrics, ranks)


def qmsum_answers(directory: Path, settings: Settings, split: str) -> dict[str, float]:
    """Answers to the QMSum questions of one split, all answerable: the share refused, and
    ROUGE-1/2/L (F, stemmed) against the annotators' answers, beside the trivial baseline of
    the first 80 words of the top retrieved passage."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)
    assistant = Assistant(settings)
    ours: list[dict[str, float]] = []
    baseline: list[dict[str, float]] = []
    refused = noticed = 0
    try:
        for question in read_jsonl(directory / "questions.jsonl"):
            if question["split"] != split:
                continue
            answer = assistant.ask(question["question"])
            refused += not answer.answerable
            noticed += bool(answer.answerable and answer.unmentioned)
            text = _MARKER.sub("", answer.answer) if answer.answerable else ""
            ours.append(_rouge(scorer, question["answer"], text))
            top = assistant.search(question["question"], 1)
            lead = _opening(top[0].text) if top else ""
            baseline.append(_rouge(scorer, question["answer"], lead))
    finally:
        assistant.close()
    out: dict[str, float] = {"questions": len(ours),
                             "refused": round(refused / max(1, len(ours)), 3),
                             "noticed_answers": round(noticed / max(1, len(ours) - refused), 3)}
    for name in ("rouge1", "rouge2", "rougeL"):
        out[name] = round(100 * sum(r[name] for r in ours) / max(1, len(ours)), 1)
        out[f"{name}_top_passage"] = round(100 * sum(r[name] for r in baseline)
                                           / max(1, len(baseline)), 1)
    return out


_MARKER = re.compile(r"\s*\[\d+\]")  # an answer's citation marker, "[2]"


def _rouge(scorer: Any, reference: str, text: str) -> dict[str, float]:
    scores = scorer.score(reference, text)
    return {name: score.fmeasure for name, score in scores.items()}


def _share(flags: Any) -> float:
    values = list(flags)
    return round(sum(bool(v) for v in values) / len(values), 3) if values else 0.0


def format_table(title: str, metrics: dict[str, float]) -> str:
    """A two-column table of metric names and values."""
    width = max(len(name) for name in metrics)
    rows = [title, "-" * (width + 10)]
    rows += [f"{name:<{width}}  {value:>7}" for name, value in metrics.items()]
    return "\n".join(rows)


def format_summary(columns: dict[str, dict[str, float]]) -> str:
    """One table of every set's measures: a row per measure, a column per set (blank where a
    measure does not apply), each measure's trivial top-passage baseline on the row below."""
    first = {name: i for i, name in enumerate(dict.fromkeys(
        name for metrics in columns.values() for name in metrics))}
    baseline = "_top_passage"
    names = sorted(first, key=lambda n: (first.get(n.removesuffix(baseline), first[n]),
                                         n.endswith(baseline)))
    width = max(len(name) for name in names)
    cell = max(9, *(len(title) for title in columns))
    rows = [f"{'':<{width}}" + "".join(f"  {title:>{cell}}" for title in columns)]
    rows.append("-" * len(rows[0]))
    for name in names:
        values = [metrics.get(name) for metrics in columns.values()]
        rows.append(f"{name:<{width}}" + "".join(
            f"  {'' if v is None else v:>{cell}}" for v in values))
    return "\n".join(rows)
