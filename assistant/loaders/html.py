"""HTML pages (ModernGov decision and minutes pages among them) → main-content text."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from .parsed import Parsed
from .tables import table_lines

_DROP_TAGS = ["script", "style", "noscript", "nav", "header", "footer", "aside", "form",
              "iframe", "svg", "button", "template"]
_BOILERPLATE = re.compile(
    r"(^|[\s_-])(nav|navbar|menu|breadcrumbs?|footer|header|cookie|sidebar|skip|banner|"
    r"social|share|related|mgBreadCrumbs|mgFooter|mgHeader)($|[\s_-])",
    re.I,
)
# Where the main content sits on common council sites, most specific first.
_MODERNGOV_SELECTORS = ("#modgov", ".mgContent", "#mgContent")
_MAIN_SELECTORS = [*_MODERNGOV_SELECTORS, "main", "[role=main]", "article", "#content", ".content"]
_BLOCKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
           "section", "article", "br", "dt", "dd", "blockquote", "pre"}


def load_html(markup: str) -> Parsed:
    """Keep the page's main content as text, one block a line; drop navigation and chrome."""
    soup = BeautifulSoup(markup, "html.parser")
    meta = _page_meta(soup)
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if isinstance(tag, Tag) and tag.attrs is not None and _is_boilerplate(tag):
            tag.decompose()
    root: Tag = soup.body or soup
    chosen = None
    for selector in _MAIN_SELECTORS:
        found = soup.select_one(selector)
        if found and len(found.get_text(strip=True)) > 80:
            root, chosen = found, selector
            break
    text = _block_text(root)
    if chosen not in _MODERNGOV_SELECTORS:  # ModernGov's own markup is the surest guide
        found_text = _main_content(markup)
        if len(found_text) > len(text):
            text = found_text
    return Parsed(text=text, format="html", meta=meta)


def _main_content(markup: str) -> str:
    """The page's main content as trafilatura finds it on sites in general (kept with its
    headings, lists and tables), as text; empty when it finds none."""
    import trafilatura

    found = trafilatura.extract(markup, output_format="html", include_tables=True,
                                include_links=False, include_images=False, favor_recall=True)
    if not found:
        return ""
    content = BeautifulSoup(found, "html.parser")
    return _block_text(content.body or content)


def _page_meta(soup: BeautifulSoup) -> dict[str, str]:
    """What the page says of itself: its title; its own address (Open Graph's og:url, or the
    canonical link), which citations link to; and who publishes it (og:site_name or
    application-name, "Bristol City Council"), which a council's page often names nowhere in
    its text, though a question names the council."""
    meta = {"title": _title(soup),
            "url": _property(soup, "og:url") or _canonical(soup),
            "publisher": _property(soup, "og:site_name") or _property(soup, "application-name")}
    if meta["url"] and not re.match(r"https?://", meta["url"]):
        meta["url"] = None
    return {key: value for key, value in meta.items() if value}


def _property(soup: BeautifulSoup, name: str) -> str | None:
    """The content of the page's <meta property=name> or <meta name=name>, if not blank."""
    for attribute in ("property", "name"):
        tag = soup.find("meta", attrs={attribute: name})
        content = tag.get("content") if isinstance(tag, Tag) else None
        if isinstance(content, str) and content.strip():
            return " ".join(content.split())
    return None


def _canonical(soup: BeautifulSoup) -> str | None:
    tag = soup.find("link", rel="canonical")
    href = tag.get("href") if isinstance(tag, Tag) else None
    return (href.strip() or None) if isinstance(href, str) else None


def _title(soup: BeautifulSoup) -> str | None:
    heading = soup.find("h1")
    if heading and heading.get_text(strip=True):
        return " ".join(heading.get_text(" ", strip=True).split())
    if soup.title and soup.title.string:
        return " ".join(soup.title.string.split())
    return None


def _is_boilerplate(tag: Tag) -> bool:
    if tag.name in ("html", "body", "main"):
        return False
    if tag.get("role") in ("navigation", "banner", "contentinfo", "search"):
        return True
    classes: Any = tag.get("class") or []
    names = " ".join([*(classes if isinstance(classes, list) else [str(classes)]),
                      str(tag.get("id") or "")])
    return bool(names.strip()) and bool(_BOILERPLATE.search(names))


def _collapse_whitespace(root: Tag) -> None:
    """Line breaks in the markup's source are spaces, as a browser shows them; only blocks,
    <br> and <pre> break lines."""
    for string in root.find_all(string=True):
        if isinstance(string, NavigableString) and "\n" in string and not string.find_parent("pre"):
            string.replace_with(NavigableString(re.sub(r"\s+", " ", str(string))))


def _tables_as_rows(root: Tag) -> None:
    """Each innermost table becomes its rows as lines that carry the column headers."""
    for table in reversed(root.find_all("table")):
        if table.find("table"):
            continue  # a layout table around others: its inner tables are the data
        rows = [[_cell_text(cell) for cell in row.find_all(["td", "th"])]
                for row in table.find_all("tr")]
        lines = table_lines([row for row in rows if row])
        table.replace_with("\n" + "\n\n".join(lines) + "\n")


def _cell_text(cell: Tag) -> str:
    """A table cell's text, one line per block or <br> inside it; inline markup such as
    "59<sup>th</sup>" stays inside its line."""
    for inner in cell.find_all(_BLOCKS):
        inner.insert_before("\n")
        inner.insert_after("\n")
    return "\n".join(" ".join(part.split()) for part in cell.get_text().split("\n"))


def _block_text(root: Tag) -> str:
    _collapse_whitespace(root)
    _tables_as_rows(root)
    for br in root.find_all("br"):
        br.replace_with("\n")
    for block in root.find_all(_BLOCKS):
        block.insert_before("\n")
        block.insert_after("\n")
    for cell in root.find_all(["td", "th"]):
        cell.insert_after(" | ")
    lines = (" ".join(line.split()) for line in root.get_text().splitlines())
    text = "\n".join(line.strip(" |") for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
