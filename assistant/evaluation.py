"""Evaluation: seed questions (answers, citations, abstention) and QMSum retrieval (hit@k, MRR)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .answering import ANSWERABLE_COVERAGE
from .config import Settings
from .ingest import ingest
from .records import Filters
from .service import Assistant

__all__ = ["ANSWERABLE_COVERAGE", "format_table", "qmsum_eval", "seed_eval"]


@dataclass
class SeedResult:
    """One seed question's outcome."""

    qid: str
    answerable: bool
    predicted_answerable: bool
    keys_ok: bool
    citation_ok: bool
    answer: str


@dataclass
class Report:
    """Metrics by name, with the per-question details kept for inspection."""

    metrics: dict[str, float] = field(default_factory=dict)
    details: list[Any] = field(default_factory=list)
    calibration: list[dict[str, float]] = field(default_factory=list)


def seed_eval(questions: Path, corpus: list[Path], settings: Settings) -> Report:
    """Ask every question (seed_questions.jsonl format) in a fresh conversation over an
    index of the corpus (files or folders)."""
    ingest(corpus, settings)
    assistant = Assistant(settings)
    results: list[SeedResult] = []
    try:
        for line in questions.read_text(encoding="utf-8").splitlines():
            if line.strip():
                results.append(_judge(assistant, json.loads(line)))
    finally:
        assistant.close()
    strengths = [(r.answerable, assistant_strength) for r, assistant_strength in zip(
        results, _strengths(questions, settings), strict=True)]
    answerable = [r for r in results if r.answerable]
    unanswerable = [r for r in results if not r.answerable]
    metrics = {
        "questions": len(results),
        "answer_accuracy": _share(r.keys_ok and r.predicted_answerable for r in answerable),
        "citation_accuracy": _share(r.citation_ok for r in answerable),
        "abstention_accuracy": _share(r.answerable == r.predicted_answerable for r in results),
        "answerable_answered": _share(r.predicted_answerable for r in answerable),
        "unanswerable_declined": _share(not r.predicted_answerable for r in unanswerable),
    }
    return Report(metrics, results, calibration(strengths))


def _strengths(questions: Path, settings: Settings) -> list[float]:
    assistant = Assistant(settings)
    try:
        return [assistant.evidence_strength(json.loads(line)["question"],
                                            Filters(include_restricted=True))
                for line in questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    finally:
        assistant.close()


def calibration(strengths: list[tuple[bool, float]]) -> list[dict[str, float]]:
    """For each candidate threshold: the share of answerable questions answered and of
    unanswerable ones declined."""
    rows = []
    answerable = [s for a, s in strengths if a]
    unanswerable = [s for a, s in strengths if not a]
    for step in range(30, 66, 5):
        threshold = step / 100
        rows.append({"threshold": threshold,
                     "answerable_answered": _share(s >= threshold for s in answerable),
                     "unanswerable_declined": _share(s < threshold for s in unanswerable)})
    return rows


def _judge(assistant: Assistant, question: dict[str, Any]) -> SeedResult:
    answer = assistant.ask(question["question"], filters=Filters(include_restricted=True))
    text = answer.answer.lower()
    keys_ok = all(any(alt.lower() in text for alt in group) for group in question["answer_keys"])
    gold = question.get("gold_spans") or []
    citation_ok = any(
        _overlaps(assistant, c.doc_id, c.start, c.end, span)
        for c in answer.citations for span in gold
    ) if answer.answerable else False
    return SeedResult(question["qid"], bool(question["answerable"]), answer.answerable,
                      keys_ok, citation_ok, answer.answer)


def _overlaps(assistant: Assistant, doc_id: str, start: int, end: int, span: str) -> bool:
    """Whether [start, end) of the document overlaps any occurrence of the gold span."""
    text = assistant.index.document(doc_id).text
    found = text.find(span)
    while found >= 0:
        if found < end and start < found + len(span):
            return True
        found = text.find(span, found + 1)
    return False


def qmsum_eval(directory: Path, settings: Settings, k: int = 10) -> Report:
    """Retrieval over all QMSum committee transcripts: hit@1/5/10 and MRR@10."""
    ingest([directory / "documents.jsonl"], settings)
    assistant = Assistant(settings)
    ranks: list[int | None] = []
    try:
        for line in (directory / "questions.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            question = json.loads(line)
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


def _share(flags: Any) -> float:
    values = list(flags)
    return round(sum(bool(v) for v in values) / len(values), 3) if values else 0.0


def format_table(title: str, metrics: dict[str, float]) -> str:
    """A two-column table of metric names and values."""
    width = max(len(name) for name in metrics)
    rows = [title, "-" * (width + 10)]
    rows += [f"{name:<{width}}  {value:>7}" for name, value in metrics.items()]
    return "\n".join(rows)
