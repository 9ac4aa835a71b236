"""What the bots remember beside the index: deliveries seen, answers given, feedback."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..storage import StateDb, now

BOTS_FILE = "bots.sqlite"
VERDICTS = ("helpful", "not_helpful")


@dataclass
class Feedback:
    """One person's verdict on one bot answer, with the question and answer it judged."""

    answer_id: str
    platform: str
    conversation_id: str
    question: str
    answer: dict[str, Any]
    verdict: str
    user: str
    created_at: str

    def as_json(self) -> dict[str, Any]:
        return {"answer_id": self.answer_id, "platform": self.platform,
                "conversation_id": self.conversation_id, "question": self.question,
                "answer": self.answer, "verdict": self.verdict, "user": self.user,
                "created_at": self.created_at}


class BotStore:
    """Deliveries seen, answers given and votes: in a small SQLite file, or in the database
    every server shares, so neither a restart nor a retry delivered to another server
    answers an event twice or loses a vote."""

    def __init__(self, db: StateDb):
        self.db = db
        db.create("""
            CREATE TABLE IF NOT EXISTS deliveries (
                platform TEXT NOT NULL, delivery_id TEXT NOT NULL,
                received_at TEXT NOT NULL DEFAULT (datetime('now')),
                PRIMARY KEY (platform, delivery_id));
            CREATE TABLE IF NOT EXISTS answers (
                answer_id TEXT PRIMARY KEY, platform TEXT NOT NULL,
                conversation_id TEXT NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,
                created_at TEXT NOT NULL DEFAULT (datetime('now')));
            CREATE TABLE IF NOT EXISTS feedback (
                answer_id TEXT NOT NULL REFERENCES answers(answer_id), user TEXT NOT NULL,
                verdict TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')),
                PRIMARY KEY (answer_id, user));
        """)

    def first_delivery(self, platform: str, *delivery_ids: str | None) -> bool:
        """True when none of the ids was seen before (all are recorded); False for a retry,
        or for the same message arriving under another of its ids. Missing ids (None or
        empty) are left out, so two deliveries that lack an id are never taken as one."""
        delivery_ids = tuple(d for d in delivery_ids if d)
        if not delivery_ids:
            return True
        with self.db.transaction():
            self.db.run("DELETE FROM deliveries WHERE received_at < ?",
                        (now(timedelta(days=2)),))
            fresh = [self.db.run(
                "INSERT INTO deliveries (platform, delivery_id, received_at) VALUES (?, ?, ?) "
                "ON CONFLICT DO NOTHING", (platform, delivery_id, now())) == 1
                for delivery_id in delivery_ids]
        return all(fresh)

    def record_answer(self, platform: str, conversation_id: str, question: str,
                      answer: dict[str, Any]) -> str:
        """Keep an answer a feedback button can point at; returns its id."""
        answer_id = uuid.uuid4().hex
        self.db.run(
            "INSERT INTO answers (answer_id, platform, conversation_id, question, answer, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (answer_id, platform, conversation_id, question, json.dumps(answer), now()))
        return answer_id

    def record_feedback(self, answer_id: str, user: str, verdict: str) -> bool:
        """Store (or change) a person's verdict; False when the answer is unknown."""
        if verdict not in VERDICTS:
            raise ValueError(f"verdict must be one of {', '.join(VERDICTS)}, not {verdict!r}")
        with self.db.transaction():
            if not self.db.rows("SELECT 1 FROM answers WHERE answer_id = ?", (answer_id,)):
                return False
            self.db.run(
                'INSERT INTO feedback (answer_id, "user", verdict, created_at) VALUES (?, ?, ?, ?) '
                'ON CONFLICT (answer_id, "user") DO UPDATE SET verdict = excluded.verdict, '
                "created_at = excluded.created_at", (answer_id, user, verdict, now(precise=True)))
        return True

    def feedback(self, verdict: str | None = None, limit: int = 1000) -> list[Feedback]:
        """Recorded verdicts, newest first, with the question and answer each judged."""
        sql = ('SELECT f.answer_id, a.platform, a.conversation_id, a.question, a.answer, '
               'f.verdict, f."user", f.created_at FROM feedback f JOIN answers a USING (answer_id)')
        params: tuple[Any, ...] = ()
        if verdict:
            sql += " WHERE f.verdict = ?"
            params = (verdict,)
        rows = self.db.rows(sql + " ORDER BY f.created_at DESC LIMIT ?", (*params, limit))
        return [Feedback(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[7]) for r in rows]

    def close(self) -> None:
        self.db.close()
