"""Tables (Word, HTML) as lines a person can read and an answer can quote alone."""

from __future__ import annotations

import re


def table_lines(rows: list[list[str]]) -> list[str]:
    """A table as one readable line per row that carries its column headers, so a row can
    be quoted alone: "Surname: Duffin; Other names in full: Stuart; Description: Scottish
    Green Party". Two columns without a header row read as "label: value"; with one
    ("Judgement", "Grade") each row names both ("Judgement: Overall effectiveness; Grade:
    Good"), so a row answers "what grade…?" alone. A cell's own line breaks become commas."""
    cleaned = [[", ".join(p.strip() for p in cell.splitlines() if p.strip()) for cell in row]
               for row in rows]
    cleaned = [_distinct(row) for row in cleaned if any(row)]
    if not cleaned:
        return []
    width = max(len(row) for row in cleaned)
    if width == 1:
        return [row[0] for row in cleaned if row[0]]
    headed = width > 2 or (len(cleaned) >= 3 and _is_header(cleaned[0], cleaned[1:]))
    if not headed or len(cleaned) == 1:
        return [": ".join(cell for cell in row if cell) for row in cleaned]
    headers = [_header(cell) for cell in cleaned[0]]
    lines = []
    for row in cleaned[1:]:
        pairs = [f"{header}: {cell}" if header else cell
                 for header, cell in zip(headers, row, strict=False) if cell]
        lines.append("; ".join(pairs))
    return lines


def _is_header(row: list[str], below: list[list[str]]) -> bool:
    """A header row of a label/value table: short names without figures ("Judgement",
    "Grade"), above rows whose labels are all longer."""
    short = all(0 < len(cell.split()) <= 3 and not any(c.isdigit() for c in cell) for cell in row)
    return short and all(len(other[0].split()) > len(row[0].split()) for other in below)


def _distinct(row: list[str]) -> list[str]:
    """Merged cells repeat their text in python-docx; keep it once."""
    out: list[str] = []
    for cell in row:
        if not out or cell != out[-1]:
            out.append(cell)
    return out


def _header(cell: str) -> str:
    """A column header without footnote marks or asides: "*Other names in full (including
    present names if appropriate)" → "Other names in full"."""
    return re.sub(r"\s*\([^)]*\)", "", cell).strip(" *:")
