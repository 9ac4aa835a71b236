"""Word documents → text, headings on their own lines and tables row by row."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.table import Table
from docx.text.paragraph import Paragraph
from lxml import etree

from ..errors import DocumentUnreadable
from .parsed import Parsed
from .tables import table_lines


def load_docx(data: bytes) -> Parsed:
    """Paragraphs and tables in document order; the core-properties title when set."""
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise DocumentUnreadable(f"damaged Word document ({exc}); re-save it as DOCX") from exc
    blocks: list[str] = []
    for item in document.iter_inner_content():
        if isinstance(item, Paragraph):
            text = item.text.strip()
            if text:
                style = (item.style.name if item.style is not None else "") or ""
                blocks.append(f"# {text}" if style.lower().startswith(("heading", "title")) else text)
        elif isinstance(item, Table):
            blocks.extend(table_lines([[c.text for c in row.cells] for row in item.rows]))
    title = (document.core_properties.title or "").strip()
    return Parsed(text="\n\n".join(blocks), format="docx", meta={"title": title} if title else {})

