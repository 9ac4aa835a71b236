"""PDF → text with page offsets: pypdf for text, pdfplumber for ruled tables, Tesseract
for pages without usable text."""

from __future__ import annotations

import io
import logging
import re
import shutil
import unicodedata
from typing import Any

from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError, PdfReadError

from ..errors import DocumentUnreadable
from .parsed import Parsed
from .pdf_tables import pages_with_tables, ruled_pages
from .reflow import continues, reflow

PAGE_BREAK = "\n\n"
OCR_DPI = 200


def load_pdf(data: bytes, password: str | None = None, ocr: bool = True,
             tables: bool = True) -> Parsed:
    """Extract every page's text; page_starts[i] is where page i+1 begins in the text.
    Ruled tables are read row by row unless `tables` is off."""
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
    warnings: list[str] = []
    ocr_pages = [n for n, page in enumerate(pages) if not usable(page)]
    if ocr_pages and ocr:
        pages, done = _ocr(data, pages, ocr_pages, password, warnings)
        ocr_pages = done
    elif ocr_pages:
        pages = [("" if n in ocr_pages else page) for n, page in enumerate(pages)]
        ocr_pages = []
    if not any(p.strip() for p in pages):
        found = ("and OCR found none either" if ocr else
                 "and OCR is off (ASSISTANT_OCR=false)")
        raise DocumentUnreadable(
            f"no usable text in {len(pages)} page(s), {found}; it looks scanned (image-only) "
            "or blank. Check the scan, or run OCR on it yourself (for example "
            "`ocrmypdf in.pdf out.pdf`) and ingest the result")
    if tables:
        text_pages = [n for n, page in enumerate(pages) if page and n not in ocr_pages]
        pages = pages_with_tables(data, password, pages, ruled_pages(data, password, text_pages))
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
    meta = _pdf_meta(reader)
    if ocr_pages:
        meta["ocr_pages"] = [n + 1 for n in ocr_pages]  # read by OCR: marked in citations
    return Parsed(text="".join(text_parts), format="pdf", page_starts=page_starts, meta=meta,
                  warnings=warnings)


# A text layer is usable when most of its tokens are words: fonts without a Unicode map
# extract as symbol soup, with no error, and such pages are read by OCR instead.
WORDLIKE_SHARE = 0.5
PLAIN_SHARE = 0.75  # letters, digits and spaces among all characters of a usable page
MIN_TOKENS = 8
_WORDLIKE = re.compile(r"^[(\[\"'“‘]*([A-Za-z][a-z'’-]*[aeiouyAEIOUY][a-z'’-]*|[A-Z]{2,}|\d[\d,.:/%-]*)"
                       r"[)\]\"'”’.,;:!?]*$")


def usable(text: str) -> bool:
    """Whether a page's text layer reads as text (not empty, not symbol soup)."""
    tokens = text.split()
    if len(tokens) < MIN_TOKENS:
        return any(c.isalnum() for c in text)  # a short page is judged by having text at all
    plain = sum(c.isalnum() or c.isspace() for c in text)
    if plain < PLAIN_SHARE * len(text):
        return False  # mostly punctuation and symbols
    return sum(_wordlike(t) for t in tokens) >= WORDLIKE_SHARE * len(tokens)


def _wordlike(token: str) -> bool:
    """A word of Latin script (diacritics aside) with a vowel, a number, an acronym, or a
    word of another script."""
    bare = "".join(c for c in unicodedata.normalize("NFD", token)
                   if unicodedata.category(c) != "Mn")
    if bare.isascii():
        return bool(_WORDLIKE.match(bare))
    letters = [c for c in bare if c.isalpha()]
    return (len(letters) == len(bare.strip("()[]\"'“”‘’.,;:!?")) and bool(letters)
            and not any(unicodedata.name(c, "").startswith("LATIN") for c in letters))


def _ocr(data: bytes, pages: list[str], wanted: list[int], password: str | None,
         warnings: list[str]) -> tuple[list[str], list[int]]:
    """Read the wanted pages with Tesseract (pages rendered by PDFium); returns the pages and
    which of them OCR read. Without Tesseract, the error names the package to install."""
    try:
        import pypdfium2
        import pytesseract
    except ImportError as exc:  # pragma: no cover - both are dependencies
        raise DocumentUnreadable(f"OCR is not available ({exc})") from exc
    if shutil.which(pytesseract.pytesseract.tesseract_cmd) is None:
        if len(wanted) == len(pages):
            raise DocumentUnreadable(
                "no usable text layer (scanned or image-only); reading it needs OCR: install "
                "Tesseract (`apt-get install tesseract-ocr`) and ingest it again")
        warnings.append(f"pages {', '.join(str(n + 1) for n in wanted)} have no usable text "
                        "and were left out: install tesseract-ocr to read them by OCR")
        return [("" if n in wanted else page) for n, page in enumerate(pages)], []
    document = pypdfium2.PdfDocument(data, password=password)
    out, done = list(pages), []
    try:
        for n in wanted:
            image = document[n].render(scale=OCR_DPI / 72).to_pil()
            text = pytesseract.image_to_string(image, lang="eng")
            out[n] = text.strip("\n") if usable(text) else ""
            if out[n]:
                done.append(n)
    finally:
        document.close()
    return out, done


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
