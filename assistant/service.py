"""The assistant as every interface uses it: search, ask (with conversations), documents."""

from __future__ import annotations

from .answering import Answer, compose, evidence_strength, idf_from
from .config import Settings, get_settings
from .conversation import (
    LOCAL_OWNER,
    ConversationStore,
    FollowUp,
    Turn,
    new_conversation_id,
    resolve,
)
from .errors import ConversationNotFound
from .ingest import get_embedder, open_index
from .retrieval import Filters, Passage, Retriever

MAX_QUESTION_CHARS = 2000


class Assistant:
    """One open index with its retriever and conversation store."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.index = open_index(self.settings)
        self.embedder = get_embedder(self.settings.model, self.settings.batch_size,
                                     self.settings.threads)
        self.retriever = Retriever(self.index, self.embedder)
        self.conversations = ConversationStore(self.settings.index)

    def search(self, query: str, k: int = 8, filters: Filters | None = None) -> list[Passage]:
        """Ranked passages for a query."""
        return self.retriever.search(query[:MAX_QUESTION_CHARS], k, filters)

    def ask(self, question: str, conversation_id: str | None = None,
            filters: Filters | None = None, history: list[str] | None = None,
            owner: str = LOCAL_OWNER) -> Answer:
        """A cited answer, or a plain statement that the documents do not say.

        Earlier turns come from the conversation id, or from `history` (earlier questions)
        for clients that send the whole exchange each time, as OpenAI's API does. A
        conversation belongs to the owner who started it; no one else can continue it."""
        question = question.strip()[:MAX_QUESTION_CHARS]
        conversation_id = conversation_id or new_conversation_id()
        turns = self.conversations.turns(conversation_id, owner)
        if not turns and self.conversations.owner_of(conversation_id) is not None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}; leave out "
                                       "conversation_id to start a new one")
        if not turns and history:
            turns = [Turn(q, q, {}, "") for q in history[-3:]]
        follow_up = resolve(question, turns)
        # a short question that does not point back may stand alone: try it so first
        tries = [None, follow_up] if follow_up and not follow_up.points_back else [follow_up]
        for lent in tries:
            answer, query = self._answer(question, conversation_id, filters, lent)
            if answer.answerable:
                break
        self.conversations.add(conversation_id, question, query, answer.as_json(), owner)
        return answer

    def _answer(self, question: str, conversation_id: str, filters: Filters | None,
                follow_up: FollowUp | None) -> tuple[Answer, str]:
        plan = self.retriever.plan(question, follow_up.context if follow_up else "")
        if follow_up:
            plan.boost_docs = {doc_id: 1.5 for doc_id in follow_up.documents}
        passages = self.retriever.search(question, 8, filters, plan)
        idf = idf_from(self.index.term_count, max(1, self.index.chunk_count()))
        answer = compose(question, passages, idf, conversation_id,
                         follow_up.terms if follow_up else None)
        return answer, plan.text

    def restricted_ids(self) -> set[str]:
        """Ids of the documents marked restricted."""
        rows = self.index.conn.execute("SELECT doc_id FROM documents WHERE restricted = 1")
        return {r[0] for r in rows}

    def evidence_strength(self, question: str, filters: Filters | None = None) -> float:
        """How well the best evidence covers a fresh question (for calibrating abstention)."""
        passages = self.retriever.search(question, 8, filters)
        idf = idf_from(self.index.term_count, max(1, self.index.chunk_count()))
        return evidence_strength(question, passages, idf)

    def close(self) -> None:
        self.index.close()
        self.conversations.close()
