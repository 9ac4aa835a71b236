"""The answer every interface gives, described once: the CLI's JSON, the API (and its
OpenAPI schema), the bots and the web page all carry these models, and the renderers in
`assistant/render/` turn them into each channel's format."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class Citation(BaseModel):
    """One cited passage: where it is, what it says exactly, and how to open it."""

    n: int = Field(description="The marker number, [n] in the answer text")
    doc_id: str
    title: str | None = None
    doc_type: str | None = None
    committee: str | None = None
    meeting_date: str | None = Field(default=None, description="ISO date of the meeting")
    page: int | None = Field(default=None, description="1-based page of the quote's start")
    section: str | None = None
    quote: str = Field(description="The exact text of the document at [start, end)")
    start: int
    end: int
    source: str | None = None
    url: str | None = None
    score: float
    ocr: bool = Field(default=False, description="The quote was read from a scanned page by "
                      "OCR: check it against the page")
    speaker: str | None = Field(default=None, description="Who says the quote, where it is "
                                "part of a transcript's turn that opens with their name "
                                "('Dr Frank Atherton: …'), as the document names them")


class DroppedStatement(BaseModel):
    """A generated statement that was not shown, and why."""

    text: str
    reason: str


class Answer(BaseModel):
    """An answer with its citations, or a plain statement that the documents do not say
    (`answerable` false; the citations are then possibly related passages)."""

    answer: str
    answerable: bool
    conversation_id: str
    citations: list[Citation] = Field(default_factory=list)
    mode: Literal["extractive", "generated"] = Field(
        default="extractive", description="Quoted sentences, or statements written by a "
        "language model and each checked against the passages it cites")
    dropped: list[DroppedStatement] = Field(
        default_factory=list, description="Generated statements left out, with the reason")
    note: str | None = Field(default=None, description="Why a generated answer fell back to "
                             "the extractive one, when it did")
    read_as: str | None = Field(default=None, description="The question as it was answered, "
                                "when a word typed was not in the documents and was read as "
                                "the word of theirs one letter from it (\"inspcetion\" as "
                                "\"inspection\")")
    unmentioned: list[str] = Field(
        default_factory=list, description="Words of what the question asks about (\"the "
        "village shop\" in \"What did they say about the village shop?\") that none of the "
        "cited documents contains: a sign the answer may quote something else")

    def as_json(self) -> dict[str, Any]:
        """The answer as plain JSON-ready data."""
        return self.model_dump()


class SearchResult(BaseModel):
    """One ranked passage of a search."""

    doc_id: str
    title: str | None
    start: int
    end: int
    page: int | None
    page_end: int | None
    section: str | None
    text: str
    score: float
    doc_type: str | None
    committee: str | None
    meeting_date: str | None
