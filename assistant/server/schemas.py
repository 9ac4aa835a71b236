"""Request and response models of the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..records import DOC_TYPES
from ..schema import Answer, SearchResult
from ..service import MAX_QUESTION_CHARS

DocType = Literal["minutes", "decision", "report", "news", "other"]
assert set(DOC_TYPES) == {"minutes", "decision", "report", "news", "other"}


def _check_unicode(value: Any) -> None:
    """Raise when any string inside holds an unpaired surrogate (JSON allows "\\ud800")."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("the text holds an unpaired surrogate, which is not valid "
                             "Unicode; send UTF-8 text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_unicode(key)
            _check_unicode(item)
    elif isinstance(value, list):
        for item in value:
            _check_unicode(item)


class RequestModel(BaseModel):
    """A request body: every string in it must be valid Unicode."""

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        _check_unicode(data)
        return data


class FilterModel(RequestModel):
    """Which documents a question may draw on."""

    model_config = ConfigDict(extra="forbid")
    committee: str | None = Field(default=None, max_length=200)
    doc_types: list[DocType] | None = Field(default=None, max_length=5)
    date_from: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    date_to: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    doc_ids: list[str] | None = Field(default=None, max_length=100)


class ChatRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")
    message: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    conversation_id: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    filters: FilterModel | None = None
    stream: bool = False


class SearchRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(default=8, ge=1, le=50)
    filters: FilterModel | None = None


class SearchResponse(BaseModel):
    results: list[SearchResult]


class DocumentSummary(BaseModel):
    doc_id: str
    title: str | None
    doc_type: str
    committee: str | None
    meeting_date: str | None
    publication_date: str | None
    decision_status: str | None
    url: str | None
    source: str
    format: str
    restricted: bool


class DocumentList(BaseModel):
    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class ChunkModel(BaseModel):
    ordinal: int
    start: int
    end: int
    page_start: int | None
    page_end: int | None
    section: str | None
    text: str


class DocumentDetail(DocumentSummary):
    text: str
    pages: int | None
    extra: dict[str, Any]
    chunks: list[ChunkModel]


class FileOutcome(BaseModel):
    filename: str
    status: Literal["pending", "added", "updated", "unchanged", "failed"]
    doc_id: str | None = None
    reason: str | None = None


class JobModel(BaseModel):
    job_id: str
    status: Literal["queued", "running", "done", "failed"]
    files: list[FileOutcome]
    error: str | None = None


class TurnModel(BaseModel):
    question: str
    answer: Answer
    created_at: str


class ConversationModel(BaseModel):
    conversation_id: str
    turns: list[TurnModel]


class OpenAIMessage(BaseModel):
    role: str = Field(max_length=32)
    content: str | list[dict[str, Any]] | None = None


class OpenAIChatRequest(RequestModel):
    model: str = Field(default="council-assistant", max_length=200)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=200)
    stream: bool = False
    user: str | None = Field(default=None, max_length=200)


class Facets(BaseModel):
    committees: list[str]
    doc_types: list[str]
    date_min: str | None
    date_max: str | None


class Me(BaseModel):
    auth_required: bool
    authenticated: bool
    scopes: list[str]


class ErrorResponse(BaseModel):
    """Every error: a sentence saying what is wrong and what to do."""

    detail: str


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse, "description": text} for code, text in (
        (400, "Bad request"), (401, "Missing or unknown API key"),
        (403, "The key lacks the scope"), (404, "Not found"),
        (409, "The index is being written by another process; try again"),
        (413, "Over a size limit"),
        (429, "Over the key's rate limit, or the upload queue is full; see Retry-After"),
        (503, "No index yet, it does not match the model, or the database is unavailable"))
}
