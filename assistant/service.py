"""The one way in for every interface (CLI, API, bots, web): ingest, remove, search, ask
(with conversations), documents, facets, stats. It raises the project's own errors
(`errors.py`); each interface maps them once to its status codes, exit codes or messages."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .answering import Meaning, compose, idf_from
from .config import Settings, get_settings
from .conversation import (
    CONVERSATIONS_FILE,
    ConversationStore,
    FollowUp,
    Turn,
    name_terms,
    new_conversation_id,
    plain_question,
    resolve,
)
from .errors import ConversationNotFound, DocumentNotFound, IndexMissing
from .generation import Generator, generate
from .ingest import embedder_for, ingest, open_index, remove
from .records import LOCAL_OWNER, Chunk, Document, Filters, IngestReport
from .retrieval import Passage, Retriever
from .schema import Answer
from .signals import mentions, unmentioned
from .storage import state_db
from .store import Store
from .text import root

MAX_QUESTION_CHARS = 2000
WITHHELD = "[withheld: this answer draws on restricted documents]"


@dataclass
class Original:
    """What a document's "original file" link serves: the file, or (for one record of a
    many-document file such as JSONL) that record alone, never the file."""

    path: Path | None
    record: dict[str, Any] | None
    format: str


class Assistant:
    """The assistant over one index. The index is opened on first use (IndexMissing until
    one exists), so the same object serves a server that starts before any upload."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or get_settings()
        self.embedder = embedder_for(self.settings)
        self._index: Store | None = None
        self._retriever: Retriever | None = None
        self._conversations: ConversationStore | None = None
        self._opening = threading.Lock()
        self.generator = Generator(self.settings) if self.settings.llm_url else None

    @property
    def index(self) -> Store:
        """The open index (opened now if it was not)."""
        with self._opening:
            if self._index is None:
                self._index = open_index(self.settings, embedder=self.embedder)
                self._retriever = Retriever(self._index, self.embedder)
        return self._index

    @property
    def retriever(self) -> Retriever:
        self.index  # noqa: B018  (opens it)
        assert self._retriever is not None
        return self._retriever

    @property
    def conversations(self) -> ConversationStore:
        if self._conversations is None:
            self._conversations = ConversationStore(state_db(self.settings, CONVERSATIONS_FILE))
        return self._conversations

    # --- writing ---------------------------------------------------------------------------

    def ingest(self, paths: Iterable[Path], prune: bool = False,
               may_change_restricted: bool = True) -> IngestReport:
        """Add or update documents; a bad file is reported in the report, never raised."""
        return ingest(paths, self.settings, prune, may_change_restricted)

    def remove(self, doc_ids: Iterable[str], include_restricted: bool = True,
               ) -> tuple[list[str], list[str]]:
        """Delete documents by id; returns (removed, not found). Restricted documents count
        as not found unless the caller may see them."""
        requested = list(doc_ids)
        held = self.index.document_headers(set(requested))
        present = [d for d in requested if d in held
                   and (include_restricted or not held[d].restricted)]
        removed, absent = remove(present, self.settings) if present else ([], [])
        return removed, absent + [d for d in requested if d not in present]

    def restricted_sources(self) -> set[str]:
        """Where restricted documents came from (an upload replacing one needs the scope)."""
        try:
            return self.index.restricted_sources()
        except IndexMissing:
            return set()

    # --- reading ---------------------------------------------------------------------------

    def document(self, doc_id: str, include_restricted: bool = True) -> Document:
        """One document with its text; DocumentNotFound also for a restricted one the caller
        may not see (it looks absent)."""
        document = self.index.document(doc_id)
        if document.restricted and not include_restricted:
            raise DocumentNotFound(f"no document {doc_id!r} in the index")
        return document

    def chunks(self, doc_id: str) -> list[Chunk]:
        """A document's chunks, in order."""
        return self.index.chunks_of(doc_id)

    def original(self, doc_id: str, include_restricted: bool = True) -> Original:
        """The file a document came from, or its record alone when the file holds others."""
        document = self.document(doc_id, include_restricted)
        if self.index.documents_sharing_source(doc_id) > 1 or document.format == "jsonl":
            meta = {k: v for k, v in document.metadata().items()
                    if v not in (None, False, "") and k != "title"}
            return Original(None, {"doc_id": document.doc_id, "title": document.title,
                                   "text": document.text, "meta": {**meta, **document.extra}},
                            document.format)
        path = Path(document.source)
        if not path.is_file():
            raise DocumentNotFound(f"the original file of {doc_id!r} is no longer on the server")
        return Original(path, None, document.format)

    def documents(self, filters: Filters | None = None, offset: int = 0,
                  limit: int = 50) -> tuple[int, list[Document]]:
        """A page of documents (metadata only) and how many match."""
        return self.index.list_documents(filters, offset, limit)

    def facets(self, filters: Filters | None = None) -> dict[str, Any]:
        """The committees, types and date range a search can be narrowed by."""
        return self.index.facets(filters)

    def stats(self) -> dict[str, Any]:
        """Counts and build settings of the index, and how answers are made."""
        return {**self.index.stats(), "answers": self.answer_mode()}

    def answer_mode(self) -> dict[str, Any]:
        """Extractive, or generated by which model at which address (never the key)."""
        if self.generator is None:
            return {"mode": "extractive"}
        return {"mode": "generated", "model": self.generator.model,
                "url": self.settings.llm_url, "azure": bool(self.settings.llm_azure_deployment),
                "json_schema": self.settings.llm_json_schema}

    # --- questions -------------------------------------------------------------------------

    def search(self, query: str, k: int = 8, filters: Filters | None = None) -> list[Passage]:
        """Ranked passages for a query."""
        return self.retriever.search(query[:MAX_QUESTION_CHARS], k, filters)

    def ask(self, question: str, conversation_id: str | None = None,
            filters: Filters | None = None, history: list[str] | None = None,
            owner: str = LOCAL_OWNER,
            on_statement: Callable[[str], None] | None = None) -> Answer:
        """A cited answer, or a plain statement that the documents do not say.

        Earlier turns come from the conversation id, or from `history` (earlier questions)
        for clients that send the whole exchange each time, as OpenAI's API does. A
        conversation belongs to the owner who started it; no one else can continue it.
        With a language model configured, the answer is written by it, each statement
        checked against its passages; checked statements reach `on_statement` as they come."""
        asked = plain_question(question[:MAX_QUESTION_CHARS])
        question = self.retriever.respell(asked)
        conversation_id = conversation_id or new_conversation_id()
        turns = self.conversations.turns(conversation_id, owner)
        if not turns and self.conversations.owner_of(conversation_id) is not None:
            raise ConversationNotFound(f"no conversation {conversation_id!r}; leave out "
                                       "conversation_id to start a new one")
        if not turns and history:
            turns = [Turn(q, q, {}, "") for q in map(plain_question, history[-3:])]
        follow_up = resolve(question, turns)
        within = self._within(question, follow_up, filters)
        # A follow-up asks of the documents the earlier answer quoted, where it names nothing
        # they do not mention ("How much will it cost?" of the agenda item, not of whatever
        # document gives a cost); where they do not answer it, of any document that mentions
        # what the conversation names ("the London CRC"). A short question that does not
        # point back may stand alone ("What does BOOST stand for?"): tried in those
        # documents, then everywhere.
        tries: list[tuple[FollowUp | None, list[str] | None, list[str]]] = [(follow_up, None, [])]
        if follow_up and not follow_up.points_back:
            tries = [*([(None, within, [])] if within else []), (None, None, []),
                     (follow_up, None, [])]
        elif follow_up and within:
            tries = [(follow_up, within, []), (follow_up, None, follow_up.subject)]
        answered, declined = None, None
        for lent, scope, subject in tries:
            tried = self._answer(question, conversation_id, filters, lent, scope)
            if tried[0].answerable and _mentioned(subject, tried[0], tried[2]):
                answered = tried
                break
            if not tried[0].answerable:
                declined = tried  # the last try's refusal is the one given
        answer, query, passages = answered or declined or tried
        if answer.answerable and self.generator is not None:  # a refusal never asks a model
            answer = generate(question, passages, answer, self.generator, on_statement)
        documents = {p.doc_id: p.document for p in passages if p.document is not None}
        cited = [documents[d] for d in dict.fromkeys(c.doc_id for c in answer.citations)
                 if d in documents]
        answer = answer.model_copy(update={"read_as": question if question != asked else None,
                                           "unmentioned": unmentioned(question, cited)})
        self.conversations.add(conversation_id, question, query, answer.as_json(), owner)
        return answer

    def _within(self, question: str, follow_up: FollowUp | None,
                filters: Filters | None) -> list[str] | None:
        """The documents the earlier answer quoted that the filters allow, or None where the
        follow-up names something none of them mentions ("And Dorset's?" after an answer
        from Coventry's inspection report) or a committee not theirs."""
        if follow_up is None or not follow_up.documents:
            return None
        allowed = filters.doc_ids if filters and filters.doc_ids else None
        documents = []
        for doc_id in follow_up.documents:
            if allowed is None or doc_id in allowed:
                try:
                    documents.append(self.index.document(doc_id))
                except DocumentNotFound:  # removed since the earlier turn
                    continue
        named = {root(t) for t in name_terms(question)}
        if not documents or any(not any(mentions(d, t) for d in documents) for t in named):
            return None
        theirs = {d.committee for d in documents}
        if any(c not in theirs for c in self.retriever.plan(question).committees):
            return None
        return [d.doc_id for d in documents]

    def _answer(self, question: str, conversation_id: str, filters: Filters | None,
                follow_up: FollowUp | None, within: list[str] | None = None,
                ) -> tuple[Answer, str, list[Passage]]:
        """The answer from the passages found for the question, with what a follow-up
        borrows; `within`: from these documents alone."""
        plan = self.retriever.plan(question, follow_up.context if follow_up else "")
        vector = self.embedder.encode([plan.text], progress=False)[0]
        passages = self.retriever.search(question, 8, filters, plan, query_vector=vector)
        if within is not None:
            # their passages in the order the whole search found them (searched alone, a
            # document's passages rank otherwise), then the best of the rest of them
            narrowed = dataclasses.replace(filters or Filters(), doc_ids=within)
            kept = [p for p in passages if p.doc_id in within]
            more = self.retriever.search(question, 8, narrowed, plan, query_vector=vector)
            passages = (kept + [p for p in more if not any(
                p.doc_id == k.doc_id and p.start < k.end and k.start < p.end for k in kept)])[:8]
        idf = idf_from(self.index.term_count, max(1, self.index.chunk_count()))
        answer = compose(question, passages, idf, conversation_id,
                         follow_up.terms if follow_up else None,
                         meaning=self.meaning(question, vector),
                         said=follow_up.said if follow_up else None,
                         beside_said=bool(follow_up and follow_up.beside),
                         referent=follow_up.referent if follow_up else None,
                         asks_anew=bool(follow_up and follow_up.asks_anew))
        return answer, plan.text, passages

    def conversation(self, conversation_id: str, owner: str = LOCAL_OWNER,
                     include_restricted: bool = True) -> list[Turn]:
        """The owner's conversation, oldest turn first; answers drawn from documents the
        caller may not see (restricted since) are withheld. ConversationNotFound otherwise."""
        turns = self.conversations.turns(conversation_id, owner)
        if not turns:
            raise ConversationNotFound(f"no conversation {conversation_id!r}")
        if include_restricted:
            return turns
        hidden = self.index.restricted_doc_ids()
        return [turn if not any(c["doc_id"] in hidden for c in turn.answer.get("citations", []))
                else Turn(turn.question, turn.query, {**turn.answer, "answer": WITHHELD,
                                                       "citations": []}, turn.created_at)
                for turn in turns]

    def meaning(self, question: str, vector: np.ndarray | None = None) -> Meaning:
        """Cosine similarity of texts to the question (its vector, when already embedded),
        or to a phrase of it (`about`), by the index's own embedder; each text is embedded
        once however often it is compared."""
        if vector is None:
            vector = self.embedder.encode([question], progress=False)[0]
        seen: dict[str, np.ndarray] = {}  # each text embedded once, for the question and a phrase

        def cosines(texts: list[str], about: str | None = None) -> list[float]:
            fresh = [t for t in dict.fromkeys(texts) if t not in seen]
            if fresh:
                seen.update(zip(fresh, self.embedder.encode(fresh, progress=False), strict=True))
            toward = vector if about is None else self.embedder.encode([about], progress=False)[0]
            return [float(seen[t] @ toward) for t in texts]

        return cosines

    def close(self) -> None:
        """Close the index and the conversation store."""
        if self._index is not None:
            self._index.close()
            self._index = None
        if self._conversations is not None:
            self._conversations.close()
            self._conversations = None


def _mentioned(subject: list[str], answer: Answer, passages: list[Passage]) -> bool:
    """Whether the documents an answer cites mention every word (root) of the subject."""
    documents = {p.doc_id: p.document for p in passages}
    cited = [documents.get(c.doc_id) for c in answer.citations]
    return all(any(mentions(d, term) for d in cited) for term in subject)
