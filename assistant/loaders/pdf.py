"""PDF → text with page offsets, via pypdf."""

from __future__ import annotations

import io
import logging
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from ..errors import DocumentUnreadable
from .parsed import Parsed
from .reflow import continues, reflow

PAGE_BREAK = "\n\n"


def load_pdf(data: bytes, password: str | None = None) -> Parsed:
    """Extract every page's text; page_starts[i] is where page i+1 begins in the text."""
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(data))
        _unlock(reader, password)
        pages = [(page.extract_text() or "").strip("\n") for page in reader.pages]
    except DocumentUnreadable:
        raise
    except FileNotDecryptedError as exc:
        raise _encrypted(password) from exc
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DocumentUnreadable(f"damaged or invalid PDF ({exc}); re-export it and try again") from exc
    if not any(p.strip() for p in pages):
        raise DocumentUnreadable(
            f"no extractable text in {len(pages)} page(s); it looks scanned (image-only). "
            "Run OCR on it (for example `ocrmypdf in.pdf out.pdf`) and ingest the result"
        )
    pages = reflow(pages)
    text_parts: list[str] = []
    page_starts: list[int] = []
    offset = 0
    for i, page_text in enumerate(pages):
        if i:
            # a sentence running over the page break is joined into one line
            joint = " " if continues(text_parts[-1], page_text) else PAGE_BREAK
            text_parts.append(joint)
            offset += len(joint)
        page_starts.append(offset)
        text_parts.append(page_text)
        offset += len(page_text)
    return Parsed(
        text="".join(text_parts), format="pdf", page_starts=page_starts, meta=_pdf_meta(reader)
    )


def _unlock(reader: PdfReader, password: str | None) -> None:
    if not reader.is_encrypted:
        return
    for attempt in ("", password):
        if attempt is None:
            continue
        try:
            if reader.decrypt(attempt):
                return
        except (NotImplementedError, ImportError) as exc:  # AES without the crypto backend
            raise DocumentUnreadable(f"encrypted with an unsupported scheme ({exc})") from exc
    raise _encrypted(password)


def _encrypted(password: str | None) -> DocumentUnreadable:
    if password:
        return DocumentUnreadable(
            "PDF is encrypted and the supplied password does not open it; "
            "check the password (--pdf-password / ASSISTANT_PDF_PASSWORD)"
        )
    return DocumentUnreadable(
        "PDF is encrypted; supply its password with --pdf-password (or ASSISTANT_PDF_PASSWORD) "
        "or remove the encryption (for example `qpdf --decrypt`) and ingest it again"
    )


def _pdf_meta(reader: PdfReader) -> dict[str, Any]:
    try:
        info = reader.metadata
        title = (info.title or "").strip() if info else ""
    except (PdfReadError, AttributeError, ValueError):
        title = ""
    return {"title": title} if title else {}
