"""Ruled tables in PDFs (Ofsted grade tables, statements of persons nominated) as rows.

pypdf reads a table's cells in drawing order, so a grade is cut off from what it grades and a
candidate from their party. pdfplumber finds tables by their ruling lines and reads them cell
by cell; it is also slow (pdfminer lays out every character), so it only looks at pages whose
drawing holds enough path objects to rule a table, counted cheaply by PDFium.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from .reflow import dangles
from .tables import table_lines

# A ruled table of two rows and two columns needs at least three horizontal and three
# vertical rules (or four cell rectangles): pages with fewer path objects have none.
MIN_RULES = 6


def ruled_pages(data: bytes, password: str | None, wanted: list[int]) -> list[int]:
    """The wanted pages (0-based) that draw enough lines to hold a ruled table."""
    import pypdfium2
    import pypdfium2.raw as pdfium_raw

    try:
        document = pypdfium2.PdfDocument(data, password=password)
    except pypdfium2.PdfiumError:
        return []
    try:
        return [n for n in wanted if sum(1 for _ in document[n].get_objects(
            filter=[pdfium_raw.FPDF_PAGEOBJ_PATH], max_depth=2)) >= MIN_RULES]
    finally:
        document.close()


def pages_with_tables(data: bytes, password: str | None, pages: list[str],
                      candidates: list[int]) -> list[str]:
    """The pages, where a candidate page holds a table, re-read with each table row as one
    line that carries its headers, in reading order with the text around it."""
    if not candidates:
        return pages
    import pdfplumber

    logging.getLogger("pdfminer").setLevel(logging.ERROR)
    out = list(pages)
    try:
        with pdfplumber.open(io.BytesIO(data), password=password or "") as pdf:
            for n in candidates:
                text = _page_with_tables(pdf.pages[n])
                if text is not None:
                    out[n] = text
    except Exception as exc:  # noqa: BLE001 - tables are a refinement; pypdf's text stands
        logging.getLogger(__name__).info("table reading skipped: %s", exc)
        return pages
    return out


def _page_with_tables(page: Any) -> str | None:
    """One page's text with its tables as rows, or None when it holds no real table."""
    tables = [t for t in page.find_tables() if _is_table(t.extract())]
    if not tables:
        return None
    tables.sort(key=lambda t: t.bbox[1])
    rest = page
    for table in tables:
        rest = rest.outside_bbox(table.bbox)
    parts: list[str] = []
    top = 0.0
    for table in tables:
        parts.append(_text_between(rest, top, table.bbox[1]))
        rows = [[_cell(cell) for cell in row] for row in table.extract()]
        parts.append("\n\n".join(table_lines(rows)))
        top = table.bbox[3]
    parts.append(_text_between(rest, top, float(page.height)))
    return "\n\n".join(part for part in parts if part.strip())


def _text_between(page: Any, top: float, bottom: float) -> str:
    if bottom - top < 1:
        return ""
    band = page.crop((0, top, float(page.width), bottom), strict=False)
    return band.extract_text() or ""


def _is_table(rows: list[list[str | None]]) -> bool:
    """Two rows or more, two columns or more with text: a text frame or a form box is not."""
    filled = [row for row in rows if sum(bool((cell or "").strip()) for cell in row) >= 2]
    return len(filled) >= 2


def _cell(cell: str | None) -> str:
    """A cell's wrapped lines joined: a line that carries on the one before ("social work" /
    "practice") is joined by a space, separate items ("Close" / "Earswick") by a comma."""
    lines = [" ".join(line.split()) for line in (cell or "").splitlines() if line.strip()]
    out = ""
    for line in lines:
        if not out:
            out = line
        elif dangles(out) or line[:1].islower() or not line[:1].isalpha():
            out = f"{out} {line}"
        else:
            out = f"{out}, {line}"
    return out
