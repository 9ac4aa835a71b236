"""Documents: list, read, upload (ingested in the background as a job), delete."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse

from ..errors import RESTRICTED_WRITE
from ..records import Filters
from .auth import Caller
from .routes import reader, state_of
from .schemas import ERRORS, DocType, DocumentDetail, DocumentList, Facets, JobModel, Me
from .state import MAX_UPLOAD_FILES

router = APIRouter(responses=ERRORS)


def writer(request: Request) -> Caller:
    return state_of(request).authorize(request, "write")


@router.get("/v1/documents", response_model=DocumentList)
def list_documents(
    request: Request,
    caller: Annotated[Caller, Depends(reader)],
    committee: Annotated[str | None, Query(max_length=200)] = None,
    doc_type: DocType | None = None,
    date_from: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    date_to: Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Any:
    """Documents in the index, paged, optionally by committee, type and meeting date."""
    filters = Filters(committee=committee, doc_types=[doc_type] if doc_type else None,
                      date_from=date_from, date_to=date_to,
                      include_restricted=caller.sees_restricted)
    with state_of(request).assistant() as assistant:
        total, documents = assistant.documents(filters, offset, limit)
    return {"total": total, "offset": offset, "limit": limit,
            "documents": [{**d.metadata(), "doc_id": d.doc_id, "source": _public_source(d.source),
                           "format": d.format} for d in documents]}


@router.get("/v1/facets", response_model=Facets)
def facets(request: Request, caller: Annotated[Caller, Depends(reader)]) -> Any:
    """The choices a search can be narrowed by: committees, types and the meeting dates."""
    with state_of(request).assistant() as assistant:
        return assistant.facets(Filters(include_restricted=caller.sees_restricted))


@router.get("/v1/me", response_model=Me)
def me(request: Request) -> Any:
    """Whether keys are required here, and what the caller's key may do."""
    state = state_of(request)
    required = bool(state.keys)
    try:
        caller = state.caller(request)
    except HTTPException:
        return {"auth_required": required, "authenticated": False, "scopes": []}
    return {"auth_required": required, "authenticated": True, "scopes": sorted(caller.scopes)}


@router.get("/v1/documents/{doc_id}/file", response_class=FileResponse,
            responses={200: {"content": {"application/octet-stream": {}}}})
def original_file(doc_id: str, request: Request,
                  caller: Annotated[Caller, Depends(reader)]) -> Any:
    """The original file a document was ingested from (PDFs open at `#page=N`); for one
    record of a many-document file (JSONL), that record alone."""
    with state_of(request).assistant() as assistant:
        original = assistant.original(doc_id, caller.sees_restricted)
    if original.path is None:
        return JSONResponse(original.record, media_type="application/json", headers=_FILE_HEADERS)
    media = {"pdf": "application/pdf", "html": "text/html; charset=utf-8",
             "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
    return FileResponse(original.path, headers=_FILE_HEADERS,
                        media_type=media.get(original.format, "text/plain; charset=utf-8"))


_FILE_HEADERS = {"Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"}


@router.get("/v1/documents/{doc_id}", response_model=DocumentDetail)
def get_document(doc_id: str, request: Request, caller: Annotated[Caller, Depends(reader)]) -> Any:
    """A document's metadata, stored text and chunks."""
    with state_of(request).assistant() as assistant:
        document = assistant.document(doc_id, caller.sees_restricted)
        chunks = assistant.chunks(doc_id)
    return {**document.metadata(), "doc_id": document.doc_id, "format": document.format,
            "source": _public_source(document.source), "text": document.text,
            "pages": len(document.page_starts) or None, "extra": document.extra,
            "chunks": [{"ordinal": c.ordinal, "start": c.start, "end": c.end,
                        "page_start": c.page_start, "page_end": c.page_end,
                        "section": c.section, "text": c.text} for c in chunks]}


@router.post("/v1/documents", response_model=JobModel, status_code=202)
async def upload(
    request: Request,
    files: Annotated[list[UploadFile], File(description="one or more documents")],
    caller: Annotated[Caller, Depends(writer)],
    title: Annotated[str | None, Form(max_length=300)] = None,
    doc_type: Annotated[DocType | None, Form()] = None,
    committee: Annotated[str | None, Form(max_length=200)] = None,
    meeting_date: Annotated[str | None, Form(max_length=40)] = None,
    restricted: Annotated[bool, Form()] = False,
) -> Any:
    """Store the files and ingest them in the background; poll GET /v1/jobs/{job_id}."""
    state = state_of(request)
    if len(files) > MAX_UPLOAD_FILES:
        raise HTTPException(413, f"at most {MAX_UPLOAD_FILES} files per upload; send the rest "
                                 "in another request")
    limit = int(state.settings.max_file_mb * 1e6)
    uploads = []
    for item in files:
        data = await item.read(limit + 1)
        if len(data) > limit:
            raise HTTPException(413, f"{item.filename!r} is over the {limit / 1e6:.0f} MB "
                                     "limit per file (ASSISTANT_MAX_FILE_MB)")
        uploads.append((item.filename or "upload", data))
    _check_restricted_write(state, caller, restricted, uploads)
    # restricted=false is left unsaid, so a JSONL record's own "restricted" still counts
    meta = {"title": title if len(files) == 1 else None, "doc_type": doc_type,
            "committee": committee, "meeting_date": meeting_date, "restricted": restricted or None}
    job = state.jobs.submit(uploads, meta, may_change_restricted=caller.sees_restricted)
    return job.as_json()


def _check_restricted_write(state: Any, caller: Caller, restricted: bool,
                            uploads: list[tuple[str, bytes]]) -> None:
    """403 before anything is written when a key without the restricted scope would mark a
    document restricted or replace one that is (the same bytes under the same name)."""
    if caller.sees_restricted:
        return
    if restricted:
        raise HTTPException(403, f"{RESTRICTED_WRITE}; this key lacks it")
    with state.lock:
        held = state.facade.restricted_sources()
    for name, data in uploads:
        if str(state.jobs.target(name, data).absolute()) in held:
            raise HTTPException(403, f"{name!r} is a restricted document: {RESTRICTED_WRITE}")


@router.get("/v1/jobs/{job_id}", response_model=JobModel)
def job_status(job_id: str, request: Request, caller: Annotated[Caller, Depends(writer)]) -> Any:
    """An upload job's progress and per-file results."""
    job = state_of(request).jobs.status(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job


@router.delete("/v1/documents/{doc_id}", status_code=204)
def delete_document(doc_id: str, request: Request, caller: Annotated[Caller, Depends(writer)]) -> None:
    """Remove a document from the index."""
    with state_of(request).assistant() as assistant:
        removed, _ = assistant.remove([doc_id], caller.sees_restricted)
    if not removed:
        raise HTTPException(404, f"no document {doc_id!r}")


def _public_source(source: str) -> str:
    """Uploads are named by their file name, not by where the server keeps them."""
    return "upload:" + source.rsplit("/", 1)[-1] if "/uploads/" in source else source
