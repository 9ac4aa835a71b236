"""XML → readable records. ModernGov's web service (`mgWebService.asmx`) responses become
one line per councillor, candidate, committee or meeting; any other XML gives its text
content, one record a line, never its tags."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from lxml import etree

from ..errors import DocumentUnreadable
from .parsed import Parsed

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                          remove_comments=True, remove_pis=True)


def load_xml(data: bytes) -> Parsed:
    """Parse safely (no entities, no network) and render by the response's kind."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise DocumentUnreadable(f"not well-formed XML ({exc}); fix or re-export it") from exc
    render = _RENDERERS.get(_tag(root), _generic)
    title, lines = render(root)
    return Parsed(text="\n".join(lines), format="xml", meta={"title": title} if title else {})


def _tag(element: etree._Element) -> str:
    return etree.QName(element).localname.lower() if isinstance(element.tag, str) else ""


def _text(element: etree._Element | None, name: str) -> str:
    if element is None:
        return ""
    found = next((c for c in element.iter() if _tag(c) == name), None)
    return " ".join((found.text or "").split()) if found is not None else ""


def _councillors(root: etree._Element) -> tuple[str, list[str]]:
    lines = []
    hosts = set()
    for ward in (e for e in root.iter() if _tag(e) == "ward"):
        name = _text(ward, "wardtitle")
        lines.append(f"\n# {name} ward\n")
        for person in (e for e in ward.iter() if _tag(e) == "councillor"):
            parts = [_text(person, "fullusername"), _text(person, "politicalpartytitle"),
                     f"{name} ward"]
            line = ", ".join(p for p in parts if p)
            posts = _text(person, "keyposts")
            terms = [t for t in person.iter() if _tag(t) == "termofoffice"]
            if posts:
                line += f"; {posts}"
            if terms:
                start, end = _text(terms[-1], "startdate"), _text(terms[-1], "enddate")
                line += f"; term of office from {start}" + (
                    f" to {end}" if end and end != "unspecified" else "")
            lines.append(line + ".")
            hosts.add(urlsplit(_text(person, "photosmallurl")).hostname or "")
    council = _council_from(hosts)
    return f"Councillors by ward{f' ({council})' if council else ''}", lines


def _council_from(hosts: set[str]) -> str:
    """"moderngov.oadby-wigston.gov.uk" → "oadby-wigston.gov.uk": who published the list."""
    named = sorted(h.removeprefix("moderngov.").removeprefix("www.") for h in hosts if h)
    return named[0] if named else ""


def _election(root: etree._Element) -> tuple[str, list[str]]:
    """An election's results: each area's (ward's) counts and its candidates, most votes
    first, a line each; the areas under their own headings when there are several, so that
    one ward's candidates are never ranked among another's."""
    title = " ".join((next((c.text for c in root if _tag(c) == "title"), "") or "").split())
    lines = [f"# {title}" if title else "# Election results"]
    electorate = next((c.text for c in root if _tag(c) == "electorate"), None)
    if electorate and electorate.strip() not in ("", "0"):
        lines.append(f"Electorate: {electorate.strip()}")
    candidates = [e for e in root.iter() if _tag(e) == "candidate"]
    candidates.sort(key=lambda c: -int(_text(c, "numvotes") or 0))
    # each area with its id, read once (a list: areas lacking ids are still each shown)
    areas = [(_text(e, "electionareaid"), e) for e in root.iter() if _tag(e) == "electionarea"]
    shown = list(lines)
    area_of = {c: _text(c, "electionareaid") for c in candidates}
    for area_id, area in areas:
        if len(areas) > 1:
            lines.append(f"\n## {_text(area, 'title')} ward\n")
        lines += _area_counts(area, shown)
        lines += [_candidate(c) for c in candidates if area_of[c] == area_id]
    counted = {area_id for area_id, _ in areas}
    lines += [_candidate(c) for c in candidates if area_of[c] not in counted]
    return title, lines


# An election area's counts, as ModernGov names them; a zero is a count not given
_AREA_COUNTS = (("electorate", "Electorate"), ("numseats", "Seats"),
                ("numballotpapersissued", "Ballot papers issued"),
                ("numpostalvotessent", "Postal votes sent"),
                ("numpostalvotesreturned", "Postal votes returned"),
                ("numproxyvotes", "Proxy votes"))


def _area_counts(area: etree._Element, shown: list[str]) -> list[str]:
    """The area's counts and its rejected ballot papers, a line each, none the election's own
    lines (`shown`) already give (a by-election's one area repeats its electorate)."""
    own = [child for child in area if _tag(child) != "spoiledvotes"]
    lines = []
    for name, label in _AREA_COUNTS:
        value = next((" ".join((c.text or "").split()) for c in own if _tag(c) == name), "")
        if value not in ("", "0") and f"{label}: {value}" not in shown:
            lines.append(f"{label}: {value}")
    # the reasons' wording ("voting for more Candidates than …") would answer questions
    # about candidates; their total is what a results page gives
    rejected = sum(int(_text(e, "numvotes") or 0) for e in area.iter() if _tag(e) == "spoiledvote")
    if rejected:
        lines.append(f"Rejected ballot papers: {rejected}")
    return lines


def _candidate(person: etree._Element) -> str:
    elected = _text(person, "iselected").lower() == "true"
    area = _text(person, "areatitle")
    return " | ".join(p for p in (
        _text(person, "candidatename"), _text(person, "politicalpartytitle"),
        f"{_text(person, 'numvotes')} votes", f"{area} ward" if area else "",
        "elected" if elected else "not elected") if p)


def _listing(record: str, fields: tuple[str, ...], title: str) -> Callable[
        [etree._Element], tuple[str, list[str]]]:
    def render(root: etree._Element) -> tuple[str, list[str]]:
        lines = []
        for item in (e for e in root.iter() if _tag(e) == record):
            values = [_text(item, f) for f in fields]
            lines.append(" | ".join(v for v in values if v))
        return title, [line for line in lines if line]

    return render


def _generic(root: etree._Element) -> tuple[str, list[str]]:
    """Each element whose children are all leaves is one record ("field: value; …"); any
    other text stands on its own line, in document order."""
    lines: list[str] = []
    records: set[etree._Element] = set()
    for element in root.iter(tag=etree.Element):
        if element.getparent() in records:
            continue
        children = [c for c in element if isinstance(c.tag, str)]
        if children and all(not any(isinstance(g.tag, str) for g in c) for c in children):
            records.add(element)
            fields = [(etree.QName(c).localname, " ".join((c.text or "").split()))
                      for c in children]
            line = "; ".join(f"{name}: {value}" for name, value in fields if value)
            if line:
                lines.append(line)
            continue
        own = " ".join((element.text or "").split())
        if own:
            lines.append(own)
    return "", lines


_RENDERERS: dict[str, Callable[[etree._Element], tuple[str, list[str]]]] = {
    "councillorsbyward": _councillors,
    "election": _election,
    "committees": _listing("committee", ("committeetitle", "committeecategory"), "Committees"),
    "meetings": _listing("meeting", ("committeetitle", "meetingdate", "meetingtime",
                                     "meetinglocation", "meetingstatus"), "Meetings"),
    "meeting": _listing("agendaitem", ("agendaitemnumber", "agendaitemtitle",
                                       "agendaitemdescription"), "Meeting agenda"),
}
