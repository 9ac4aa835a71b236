"""Loaders: formats, metadata and every kind of bad input, each with its specific reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import docx
import pytest
from conftest import CORPUS, SHARED, pdf_sample

from assistant.loaders import load_path
from assistant.loaders.metadata import extract, parse_date

MB = 1_000_000


def load_one(path: Path, max_bytes: int = 50 * MB, password: str | None = None):
    results = list(load_path(path, max_bytes, password))
    assert len(results) == 1
    return results[0]


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Date of decision: 19/12/2018", "2018-12-19"),
        ("today's (8 February 2018) report", "2018-02-08"),
        ("Thursday 3rd April 2020", "2020-04-03"),
        ("March 5, 2019", "2019-03-05"),
        ("2021-06-30", "2021-06-30"),
        ("31/02/2019 is no date", None),
    ],
)
def test_parse_date(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_decision_page_metadata_is_read_from_its_text() -> None:
    meta = extract((CORPUS / "000_e8fa5ca575a63cad.txt").read_text(encoding="utf-8"))
    assert meta == {
        "doc_type": "decision",
        "committee": "Safer Stronger Communities Select Committee",
        "meeting_date": "2018-12-19",
        "publication_date": "2019-01-29",
        "decision_status": "Recommendations Approved",
        "title": "National Probation Service and Community Rehabilitation Company Update",
    }


def test_minutes_are_recognised() -> None:
    assert extract((CORPUS / "004_a352e7ef0d09dbd7.txt").read_text())["doc_type"] == "minutes"


def test_sidecar_overrides_and_dates_become_iso(tmp_path: Path) -> None:
    (tmp_path / "m.txt").write_text("Minutes:\nThe board met.\n")
    (tmp_path / "m.meta.json").write_text(json.dumps(
        {"committee": "Audit Committee", "meeting_date": "3 April 2020", "restricted": True}))
    meta = load_one(tmp_path / "m.txt").parsed.meta
    assert meta["committee"] == "Audit Committee"
    assert meta["meeting_date"] == "2020-04-03"
    assert meta["restricted"] is True
    assert meta["doc_type"] == "minutes"


def test_html_keeps_main_content_and_drops_navigation(tmp_path: Path) -> None:
    page = """<!DOCTYPE html><html><head><title>Decision - Council</title></head><body>
    <nav><a href="/">Home</a><a href="/meetings">Council meetings</a></nav>
    <div id="mgBreadCrumbs">Home &gt; Decisions</div>
    <div id="modgov"><h1>Decision details</h1>
      <h2>Library opening hours</h2>
      <p>Decision Maker: Cabinet</p><p>Decision status: Approved</p>
      <p>Decisions:</p><p>The Cabinet agreed to extend opening hours at all branch libraries.</p>
      <table><tr><td>Date of decision:</td><td>04/03/2021</td></tr></table>
    </div>
    <footer>Contact us | Accessibility | Cookies</footer>
    <script>var tracking = 1;</script></body></html>"""
    (tmp_path / "decision.html").write_text(page)
    parsed = load_one(tmp_path / "decision.html").parsed
    assert "extend opening hours" in parsed.text
    for chrome in ("Contact us", "tracking", "Home"):
        assert chrome not in parsed.text
    assert parsed.meta["doc_type"] == "decision"
    assert parsed.meta["committee"] == "Cabinet"
    assert parsed.meta["meeting_date"] == "2021-03-04"


def test_an_html_page_says_where_it_lives_and_who_publishes_it(tmp_path: Path) -> None:
    head = ('<meta property="og:site_name" content="Barsetshire  Council">'
            '<meta property="og:url" content="https://www.barsetshire.gov.uk/roads/orders">')
    body = "<body><main><h1>Traffic orders</h1><p>Write to us within 21 days.</p></main></body>"
    (tmp_path / "a.html").write_text(f"<html><head>{head}</head>{body}</html>")
    meta = load_one(tmp_path / "a.html").parsed.meta
    assert meta["publisher"] == "Barsetshire Council"
    assert meta["url"] == "https://www.barsetshire.gov.uk/roads/orders"
    # a canonical link stands in for og:url, an application name for the site name; an
    # address that is not absolute is no address to cite
    (tmp_path / "b.html").write_text(
        '<html><head><link rel="canonical" href="https://example.gov.uk/b">'
        f'<meta name="application-name" content="Barsetshire Council"></head>{body}</html>')
    meta = load_one(tmp_path / "b.html").parsed.meta
    assert (meta["url"], meta["publisher"]) == ("https://example.gov.uk/b", "Barsetshire Council")
    (tmp_path / "c.html").write_text(
        f'<html><head><link rel="canonical" href="/roads/orders"></head>{body}</html>')
    meta = load_one(tmp_path / "c.html").parsed.meta
    assert "url" not in meta and "publisher" not in meta


def test_docx_paragraphs_headings_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.core_properties.title = "Planning Committee minutes"
    document.add_heading("Item 4: Planning applications", level=1)
    document.add_paragraph("RESOLVED: that application 21/0042 be approved.")
    table = document.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Votes for"
    table.rows[0].cells[1].text = "7"
    document.save(tmp_path / "minutes.docx")
    parsed = load_one(tmp_path / "minutes.docx").parsed
    assert parsed.format == "docx"
    assert parsed.meta["title"] == "Planning Committee minutes"
    assert "# Item 4: Planning applications" in parsed.text
    assert "application 21/0042 be approved" in parsed.text
    assert "Votes for: 7" in parsed.text  # a label and its value, one line


def test_docx_table_rows_carry_their_column_headers() -> None:
    from assistant.loaders.tables import table_lines

    rows = [["*Surname (as registered)", "Other names", "Description (if any)", "Address"],
            ["Duffin", "Stuart", "Scottish Green Party", "19 Comely Place\nFalkirk"],
            ["Marshall", "James", "", "Falkirk"]]
    assert table_lines(rows) == [
        "Surname: Duffin; Other names: Stuart; Description: Scottish Green Party; "
        "Address: 19 Comely Place, Falkirk",
        "Surname: Marshall; Other names: James; Address: Falkirk"]
    assert table_lines([["Overall effectiveness", "Good"]]) == ["Overall effectiveness: Good"]
    # a label/value table's header row is carried by every row
    grades = [["Judgement", "Grade"], ["The experiences and progress of care leavers", "Good"],
              ["Overall effectiveness", "Outstanding"]]
    assert table_lines(grades) == [
        "Judgement: The experiences and progress of care leavers; Grade: Good",
        "Judgement: Overall effectiveness; Grade: Outstanding"]
    payments = [["Payee", "Net"], ["Bonnetts", "325.00"], ["Clerk", "587.56"]]
    assert table_lines(payments)[0] == "Payee: Net"  # labels no longer than it: kept


def test_jsonl_keeps_text_exactly_and_reports_bad_lines(tmp_path: Path) -> None:
    text = "  Line one.\r\nLine two\u00a0with odd spacing.  "
    lines = [
        json.dumps({"doc_id": "a-1", "title": "A", "text": text, "meta": {"committee": "X"}}),
        "{not json",
        json.dumps({"doc_id": "b-2", "text": ""}),
        json.dumps({"doc_id": "c-3", "text": "Fine."}),
    ]
    (tmp_path / "bulk.jsonl").write_text("\n".join(lines))
    results = list(load_path(tmp_path / "bulk.jsonl", 50 * MB))
    good = [r for r in results if r.parsed]
    assert [r.parsed.doc_id for r in good] == ["a-1", "c-3"]
    assert good[0].parsed.text == text
    assert good[0].parsed.meta["committee"] == "X"
    errors = [r.error for r in results if r.error]
    assert errors[0].startswith("line 2: not valid JSON")
    assert errors[1] == 'line 3: missing or empty "text" field'


def test_pdf_keeps_pages_and_maps_offsets() -> None:
    parsed = load_one(pdf_sample("pdflatex-4-pages.pdf")).parsed
    assert len(parsed.page_starts) == 4
    assert parsed.page_starts[0] == 0
    assert parsed.page_starts == sorted(parsed.page_starts)


def test_encrypted_pdf_says_so_and_opens_with_its_password() -> None:
    path = pdf_sample("libreoffice-writer-password.pdf")
    refused = load_one(path)
    assert "encrypted" in refused.error and "--pdf-password" in refused.error
    wrong = load_one(path, password="nope")
    assert "password does not open it" in wrong.error
    opened = load_one(path, password="openpassword")
    assert "Lorem ipsum" in opened.parsed.text


@pytest.mark.parametrize("name", ["grayscale-image.pdf", "cmyk-image.pdf", "imagemagick-lzw.pdf"])
def test_image_only_pdf_is_reported_as_scanned(name: str) -> None:
    # pictures without words: OCR (when Tesseract is there) finds none, and says so
    error = load_one(pdf_sample(name)).error
    assert "no usable text" in error and "scanned" in error and "OCR" in error


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    assert load_one(tmp_path / "empty.txt").error == "file is empty (0 bytes)"


def test_whitespace_only_file(tmp_path: Path) -> None:
    (tmp_path / "blank.md").write_text("  \n\n\t\n")
    assert "no text" in load_one(tmp_path / "blank.md").error


def test_text_file_named_pdf_is_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "agenda.pdf").write_text("Agenda for the meeting of the Licensing Committee.")
    loaded = load_one(tmp_path / "agenda.pdf")
    assert loaded.parsed.format == "text"
    assert "Licensing Committee" in loaded.parsed.text
    assert loaded.parsed.warnings == ["named .pdf but holds text; ingested as text"]


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    (tmp_path / "garbage.txt").write_bytes(os.urandom(4096) + b"\x00")
    assert "unrecognised binary content" in load_one(tmp_path / "garbage.txt").error


def test_windows_1252_text_is_decoded_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "cp.txt").write_bytes("Councillor O’Neill paid £50.".encode("cp1252"))
    parsed = load_one(tmp_path / "cp.txt").parsed
    assert parsed.text == "Councillor O’Neill paid £50."
    assert "decoded as Windows-1252" in parsed.warnings[0]


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_text("word " * 300_000)
    error = load_one(tmp_path / "big.txt", max_bytes=1_000_000).error
    assert "file is 1.5 MB, over the 1 MB limit" in error
    assert "ASSISTANT_MAX_FILE_MB" in error
    assert load_one(tmp_path / "big.txt", max_bytes=2_000_000).error is None


def test_missing_and_dangling_paths(tmp_path: Path) -> None:
    (tmp_path / "link.txt").symlink_to(tmp_path / "nowhere.txt")
    assert "no such file" in load_one(tmp_path / "link.txt").error
    assert "no such file" in load_one(tmp_path / "absent.txt").error


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their permissions")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "secret.txt"
    path.write_text("closed session")
    path.chmod(0)
    assert "permission denied" in load_one(path).error


def test_legacy_word_file_is_refused_with_advice(tmp_path: Path) -> None:
    (tmp_path / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert "save it as DOCX or PDF" in load_one(tmp_path / "old.doc").error


def test_special_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    assert load_one(tmp_path / "pipe.txt").error == "not a regular file"


REAL = SHARED / "bench" / "real-council"


def test_pdf_lines_are_reflowed_into_paragraphs_with_exact_pages() -> None:
    from assistant.loaders.pdf import load_pdf

    path = REAL / "merton_audit_committee_2009-10-22_agenda_pack.pdf"
    if not path.is_file():
        pytest.skip("real-council documents are not beside this checkout")
    parsed = load_pdf(path.read_bytes())
    text = parsed.text
    # a sentence cut over two lines reads as one; headings keep lines of their own
    assert ("RESOLVED: That the minutes of the meeting held on 23 June are agreed as a "
            "correct record.") in text
    assert "\n1 DECLARATIONS OF INTEREST\n" in text
    # the running footer repeated on every minutes page is kept once, where it first appears
    assert text.count("All minutes are draft until agreed") == 1
    # page offsets still name the page each passage is on
    assert parsed.page_starts == sorted(parsed.page_starts) and len(parsed.page_starts) == 8
    resolved = text.index("RESOLVED: That the minutes of the meeting held on 23 June")
    assert len([s for s in parsed.page_starts if s <= resolved]) == 3


def test_running_headers_go_and_sentences_run_over_page_breaks() -> None:
    from assistant.loaders.reflow import reflow

    pages = [f"Inspection of Barsetshire children's services\n{body}\nPage {n} of 3"
             for n, body in enumerate((
                 "1. Leaders know their services well. The proportion of assess-\nments "
                 "completed on time has risen",
                 "sharply since 2024.\nCHILDREN IN CARE\nCarers are well supported.",
                 "Summary\nThe council agreed the plan."), start=1)]
    one, two, three = reflow(pages)
    assert (one + two + three).count("Barsetshire") == 1 and "Page" not in one + two + three
    assert one == ("Inspection of Barsetshire children's services\n\n1. Leaders know their services well. The proportion of assessments "
                   "completed on time has risen")
    assert two.split("\n\n") == ["sharply since 2024.", "CHILDREN IN CARE",
                                 "Carers are well supported."]


@pytest.mark.parametrize(("name", "title", "lines"), [
    ("oadby_wigston_mgws_councillors_by_ward.xml", "Councillors by ward (oadby-wigston.gov.uk)",
     ["Councillor M Latif Darr, Liberal Democrats, Oadby Brocks Hill ward; Mayor; term of "
      "office from 11/05/2015."]),
    ("kirklees_mgws_election_results_batley_east_2017-10-26.xml", "Batley East Ward by-election",
     ["Habiban Nisa Zaman | Labour | 2640 votes | Batley East ward | elected",
      "David Michael Smith | Green Party | 70 votes | Batley East ward | not elected"]),
])
def test_moderngov_xml_reads_as_records(name: str, title: str, lines: list[str]) -> None:
    path = REAL / name
    if not path.is_file():
        pytest.skip("real-council documents are not beside this checkout")
    parsed = load_one(path).parsed
    assert parsed.format == "xml" and parsed.meta["title"] == title
    assert "<" not in parsed.text and all(line in parsed.text.splitlines() for line in lines)


def test_an_election_of_several_wards_reads_each_ward_under_its_heading(tmp_path: Path) -> None:
    # a ModernGov GetElectionResults response: candidates of every area in one list
    def candidate(area: int, ward: str, name: str, votes: int, elected: bool) -> str:
        return (f"<candidate><electionareaid>{area}</electionareaid><areatitle>{ward}</areatitle>"
                f"<candidatename>{name}</candidatename><numvotes>{votes}</numvotes>"
                f"<politicalpartytitle>Independent</politicalpartytitle>"
                f"<iselected>{elected}</iselected></candidate>")

    def area(number: int, ward: str, electorate: int) -> str:
        return (f"<electionarea><electionareaid>{number}</electionareaid><title>{ward}</title>"
                f"<electorate>{electorate}</electorate><numseats>1</numseats>"
                "<numpostalvotessent>0</numpostalvotessent><spoiledvotes><spoiledvote>"
                "<description>Unmarked</description><numvotes>3</numvotes></spoiledvote>"
                "</spoiledvotes></electionarea>")

    (tmp_path / "results.xml").write_text(
        "<election><title>Borough elections 2026</title><candidates>"
        + candidate(1, "Hillside", "Amy Clarke", 311, False)
        + candidate(2, "Riverside", "Carol Evans", 2987, True)
        + candidate(1, "Hillside", "Brian Doyle", 1204, True)
        + "</candidates><electionareas>" + area(1, "Hillside", 9120) + area(2, "Riverside", 8800)
        + "</electionareas></election>")
    lines = [line for line in load_one(tmp_path / "results.xml").parsed.text.splitlines() if line]
    assert lines == [
        "# Borough elections 2026",
        "## Hillside ward", "Electorate: 9120", "Seats: 1",
        "Rejected ballot papers: 3",
        "Brian Doyle | Independent | 1204 votes | Hillside ward | elected",
        "Amy Clarke | Independent | 311 votes | Hillside ward | not elected",
        "## Riverside ward", "Electorate: 8800", "Seats: 1",
        "Rejected ballot papers: 3",
        "Carol Evans | Independent | 2987 votes | Riverside ward | elected"]


def test_other_xml_gives_its_text_never_its_tags(tmp_path: Path) -> None:
    (tmp_path / "items.xml").write_text(
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        "<items><item><name>Bench</name><cost>£300</cost><note>&e;</note></item></items>")
    parsed = load_one(tmp_path / "items.xml").parsed
    assert parsed.text == "name: Bench; cost: £300"  # the external entity is never read
    (tmp_path / "broken.xml").write_text("<?xml version='1.0'?><a><b></a>")
    assert "not well-formed XML" in load_one(tmp_path / "broken.xml").error


def test_front_matter_is_metadata_not_text(tmp_path: Path) -> None:
    (tmp_path / "minutes.md").write_text('---\ntitle: "Parish Council Meeting November"\n'
                                         'date: "2021-01-20"\ncategories:\n  - "villages"\n'
                                         "---\n\nMinutes of the Ordinary Meeting held on "
                                         "Wednesday 11 November 2020.\n")
    parsed = load_one(tmp_path / "minutes.md").parsed
    assert parsed.text.startswith("Minutes of the Ordinary Meeting") and "---" not in parsed.text
    assert parsed.meta["title"] == "Parish Council Meeting November"
    assert parsed.meta["publication_date"] == "2021-01-20"


@pytest.mark.parametrize(("title", "placeholder"), [
    ("LA NAME  - standard-short inspection report - INSPECTION DATE", True),
    ("Crystal Reports - StatmtPs-PersonsNominated.rpt", True),
    ("Microsoft Word - agenda 22 Oct.doc", True),
    ("untitled", True),
    ('<?xml version="1.0" encoding="utf-8"?>', True),
    ("Audit Committee minutes, 24 September 2009", False),
    ("NHS and LBM joint plan", False),
    ("Inspection of Dorset local authority children's services", False),
    ("Minutes", True),  # one word names a kind of document, not this one
])
def test_placeholder_titles_are_recognised(title: str, placeholder: bool) -> None:
    from assistant.loaders.metadata import is_placeholder_title

    assert is_placeholder_title(title) is placeholder


def test_every_real_council_document_reads_without_markup_or_placeholder_titles() -> None:
    import re
    from collections import Counter

    from assistant.loaders.metadata import is_placeholder_title

    files = sorted(p for p in REAL.glob("*.*") if p.name != "SOURCES.md")
    if not files:
        pytest.skip("real-council documents are not beside this checkout")
    for path in files:
        [loaded] = list(load_path(path, 50_000_000))
        assert loaded.parsed is not None, (path.name, loaded.error)
        text, title = loaded.parsed.text, loaded.parsed.meta.get("title") or ""
        assert not re.search(r"</?[a-zA-Z][\w:-]*(\s[^<>]*)?>", text), path.name
        assert not text.startswith("---"), path.name
        assert title and not is_placeholder_title(title), (path.name, title)
        # no sentence cut at a line end: no line opens in lower case after an unfinished one
        broken = re.findall(r"[^\n]{0,40}[^.!?:;,\n]\n+[a-z][^\n]{0,20}", text)
        assert not broken, (path.name, broken[:3])
        # no page furniture repeated down the document
        repeated = Counter(line for line in text.splitlines() if len(line) > 15)
        assert max(repeated.values(), default=0) < 3, (path.name, repeated.most_common(2))


def test_html_table_rows_carry_their_headers(tmp_path: Path) -> None:
    (tmp_path / "payments.html").write_text(
        "<html><body><main><h1>Payments October 2019</h1><p>The clerk listed the payments "
        "due for approval at the meeting.</p><table><tr><th>Payee</th><th>Net</th>"
        "<th>VAT</th><th>Gross</th></tr><tr><td>Bonnetts</td><td>325.00</td><td>65.00</td>"
        "<td>390.00</td></tr><tr><td>Metra, 1500 E. 59<sup>th</sup> St.</td><td>10.00</td>"
        "<td>2.00</td><td>12.00</td></tr></table></main></body></html>")
    text = load_one(tmp_path / "payments.html").parsed.text
    assert "Payee: Bonnetts; Net: 325.00; VAT: 65.00; Gross: 390.00" in text.splitlines()
    assert "Payee: Metra, 1500 E. 59th St.; Net: 10.00; VAT: 2.00; Gross: 12.00" in text  # inline


@pytest.mark.parametrize(("head", "expected"), [
    ("Merton Council Audit Committee\n\nA meeting of the Audit Committee will be held:\n\n"
     "Date: 22 October 2009\n\nAgenda\n2 Minutes of the meeting held on 24 September 2009",
     "2009-10-22"),
    ("STOKE FERRY PARISH COUNCIL Draft Minutes of the Ordinary Meeting held on Wednesday "
     "11 November 2020 at 7.00 pm", "2020-11-11"),
    ("DRAFT MINUTES OF THE WEST DEREHAM PARISH COUNCIL MEETING ON THURSDAY 5th DECEMBER 2019",
     "2019-12-05"),
    ("Commission Meeting Minutes\n\nMinutes from Monday, January 29, 2018 – 9:00am",
     "2018-01-29"),
    # the time the meeting began ("7.30 pm") does not end the sentence before its date, and
    # the minutes it approves ("held on 4 April 2019") are another meeting's
    ("DRAFT MINUTES OF THE WEST DEREHAM ANNUAL PARISH COUNCIL MEETING HELD AT WEST DEREHAM "
     "VILLAGE HALL AT 7.30 pm ON WEDNESDAY 15 MAY 2019 PRESENT (Four Councillors) ... 5. "
     "Minutes of the Meeting held on 4 April 2019", "2019-05-15"),
    ("Annual Parish Council Meeting 15 May 2019\n\n5. Minutes of the meeting held on 4 April "
     "2019 were approved.", "2019-05-15"),  # a title that dates the meeting
    ("Inspection of Dorset local authority children's services", None),
])
def test_meeting_dates_in_real_layouts(head: str, expected: str | None) -> None:
    from assistant.loaders.metadata import meeting_date_in_head

    assert meeting_date_in_head(head) == expected


def test_utf16_text_is_read_and_an_unknown_encoding_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "utf16.txt").write_bytes("Councillor Müller chaired the meeting.".encode("utf-16"))
    assert load_one(tmp_path / "utf16.txt").parsed.text == "Councillor Müller chaired the meeting."
    (tmp_path / "odd.txt").write_bytes(b"Caf\xe9 \x81\x8d receipts for the hall")
    error = load_one(tmp_path / "odd.txt").error
    assert "unknown encoding" in error and "re-save it as UTF-8" in error


@pytest.mark.parametrize(("text", "usable_"), [
    ("The committee noted the report and agreed the budget for 2024/25.", True),
    ("Minutes", True),  # a short page is judged by having text at all
    ("", False),
    ("!\"#$ %&'( )*+, -./0 1234 5678 9:;< =>?@ ABCD EFGH IJKL MNOP", False),  # symbol soup
    ("Ƀ̶ɨ ȼ̷ø ǥɍ ȡȴ ȶɃ Ɂɂ ɍɎ ɏɐ ɑɒ ɓɔ ɕɖ ɗɘ", False),
    ("Mae'r cyngor wedi cytuno ar y gyllideb ar gyfer y flwyddyn nesaf.", True),
    ("وافق المجلس على الميزانية للعام المقبل بعد نقاش طويل في الاجتماع", True),
])
def test_unusable_text_layers_are_told_apart(text: str, usable_: bool) -> None:
    from assistant.loaders.pdf import usable

    assert usable(text) is usable_


def test_a_council_web_page_keeps_what_it_exists_to_announce() -> None:
    path = REAL / "bristol_cc_tro_consultations_2025.html"
    if not path.is_file():
        pytest.skip("real-council documents are not beside this checkout")
    parsed = load_one(path).parsed
    lines = parsed.text.splitlines()
    assert "Ref PX-DJR-25-031" in lines
    assert ("This consultation runs from Thursday 9 October to Wednesday 29 October 2025."
            in lines)
    assert parsed.meta["title"] == "Make a comment on Traffic Regulation Orders (TROs)"
    assert "function" not in parsed.text and "googleapis" not in parsed.text


@pytest.mark.parametrize(("name", "rows"), [
    ("york_sopn_strensall_2019-05-02.pdf", [
        "Surname: Bennett; Other Names: Ross; Home Address: Resides in the City of York Council "
        "area; Description: Green Party",
        "Surname: Wiseman; Other Names: Sian; Home Address: 10 Shilton Garth Close, Earswick, "
        "York, YO32 9SQ; Description: Conservative Party Candidate"]),
    ("ofsted_ilacs_dorset_2025.pdf", [
        "Judgement: The experiences and progress of care leavers; Grade: Good",
        "Judgement: Overall effectiveness; Grade: Outstanding"]),
])
def test_pdf_table_rows_carry_their_headers(name: str, rows: list[str]) -> None:
    path = REAL / name
    if not path.is_file():
        pytest.skip("real-council documents are not beside this checkout")
    parsed = load_one(path).parsed
    lines = parsed.text.splitlines()
    assert all(row in lines for row in rows), [line for line in lines if ":" in line][:12]


def test_pages_without_ruling_lines_are_not_searched_for_tables() -> None:
    from assistant.loaders.pdf_tables import ruled_pages

    path = REAL / "ofsted_ilacs_dorset_2025.pdf"
    if not path.is_file():
        pytest.skip("real-council documents are not beside this checkout")
    assert ruled_pages(path.read_bytes(), None, list(range(12))) == [0]  # the grade table


def test_a_pack_of_documents_loses_each_ones_running_header_but_keeps_its_heading() -> None:
    from assistant.loaders.reflow import reflow

    footer = "All minutes are draft until agreed"
    said = ["The auditor presented the plan.", "Members asked about fees.",
            "The risk register was noted.", "The chair closed the meeting."]
    pages = [f"Agenda\n1. Apologies\n2. Minutes\n{footer}"] + [
        f"{footer}\n{n}\nAUDIT COMMITTEE\n24 SEPTEMBER 2009\n{sentence}"
        for n, sentence in enumerate(said, start=1)]
    text = "\n\n".join(reflow(pages))
    assert text.count(footer) == 1
    assert text.count("AUDIT COMMITTEE") == 1 and text.count("24 SEPTEMBER 2009") == 1
    assert all(sentence in text for sentence in said)


def test_a_numbered_line_that_runs_on_in_lower_case_is_one_paragraph() -> None:
    from assistant.loaders.reflow import reflow_page

    lines = ["1. Children and families receive the help they need at the earliest point through",
             "wide-ranging prevention and early intervention services.",
             "2. Children referred to the front door receive a timely response."]
    assert reflow_page(lines, set()).split("\n\n") == [
        "1. Children and families receive the help they need at the earliest point through "
        "wide-ranging prevention and early intervention services.",
        "2. Children referred to the front door receive a timely response."]


def test_html_source_line_breaks_are_spaces_and_a_date_line_is_not_a_title(
        tmp_path: Path) -> None:
    (tmp_path / "notice.html").write_text(
        "<html><body><main><p>THURSDAY, 2 MAY 2019</p><p>Notice of the hearing</p><p>The "
        "meeting will be\n   held in Room 1103 on the 11th floor of City Hall, and will\n"
        "start at 10:00 a.m.</p><pre>a\nb</pre></main></body></html>")
    parsed = load_one(tmp_path / "notice.html").parsed
    assert ("The meeting will be held in Room 1103 on the 11th floor of City Hall, and will "
            "start at 10:00 a.m.") in parsed.text.splitlines()
    assert "a\nb" in parsed.text  # preformatted text keeps its lines
    assert parsed.meta["title"] == "Notice of the hearing"


def test_a_markdown_heading_names_the_document_without_its_marks(tmp_path: Path) -> None:
    (tmp_path / "minutes.md").write_text("# Ashby Parva Parish Council\n\nMinutes of the "
                                         "meeting held on 4 March 2025.\n", encoding="utf-8")
    assert load_one(tmp_path / "minutes.md").parsed.meta["title"] == "Ashby Parva Parish Council"
