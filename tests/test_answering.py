"""Retrieval and answers end to end with the real model, plus known-answer unit tests."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from conftest import CORPUS, ROOT, SHARED, cli, pdf_sample

from assistant.config import Settings
from assistant.conversation import Turn, plain_question, question_word, resolve
from assistant.evaluation import (
    SeedResult,
    format_summary,
    question_metrics,
    read_conversations,
    read_questions,
    seed_eval,
)
from assistant.ingest import ingest
from assistant.records import Chunk, Document, Filters
from assistant.retrieval import drop_near_duplicates, fuse, merge_adjacent, named_months, respell
from assistant.schema import Answer
from assistant.service import Assistant
from assistant.signals import unmentioned
from assistant.text import one_edit, root

SEEDS = SHARED / "eval" / "seed_questions.jsonl"


@pytest.fixture(scope="module")
def assistant(seed_store: Settings):
    """The assistant over the seed index, on each backend in turn."""
    service = Assistant(seed_store)
    yield service
    service.close()


def test_rrf_fusion_known_ranking() -> None:
    fused = fuse([[1, 2, 3], [3, 4]])
    assert list(fused) == [3, 1, 2, 4]
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)


def test_adjacent_chunks_merge_and_duplicates_drop() -> None:
    text = "Alpha one. Beta two. Gamma three. Delta four."
    doc = Document("d", text, "src")
    chunks = [Chunk("d", 0, 0, 10, text[0:10], id=1), Chunk("d", 1, 11, 20, text[11:20], id=2),
              Chunk("d", 3, 35, 46, text[35:46], id=4)]
    passages = merge_adjacent([(chunks[1], 0.9), (chunks[0], 0.8), (chunks[2], 0.5)], {"d": doc})
    assert [(p.start, p.end, p.ordinals) for p in passages] == [(0, 20, [1, 0]), (35, 46, [3])]
    assert len(drop_near_duplicates(passages + [passages[0]])) == 2
    assert len(drop_near_duplicates(passages, k=1)) == 1


@pytest.mark.parametrize(("questions", "corpus", "levels"), [
    # the answer model is fitted on these dev sets: the levels are floors a few questions
    # below the dev figures (answers 1.0 and 0.906, citations 0.938 and 0.906, council
    # refusal precision 0.955 and recall 0.84 of 25, five of them questions whose topic the
    # minutes discuss without the value asked for, which the model mostly answers; a
    # borderline question can turn on the embedder's last digits), to catch a regression,
    # not to prove generality
    # (conversations: 8 of 8 and 12 of 12)
    ("seed", [CORPUS], {"answer_accuracy": 0.85, "citation_accuracy": 0.8,
                        "refusal_recall": 1.0, "conversations_fully_right": 7}),
    ("real_council_questions", None, {"answer_accuracy": 0.75, "citation_accuracy": 0.75,
                                      "refusal_precision": 0.75, "refusal_recall": 0.6,
                                      "conversations_fully_right": 10}),
    # kept out of fitting (measured as each batch was written: answers 61 of 83, citations
    # 59 of 83, unanswerable ones declined 17 of 28, then batches 13 and 14's summary-style
    # questions 19 of 23, 15 of 23 and 11 of 24, batch 15's election notices 7 of 9, 7 of 9
    # and 2 of 3, batch 16's inspection reports and audit minutes 5 of 8, 5 of 8 and 2 of 4;
    # unit rules were fixed after misses; conversations: k01-k18 8 of 18 as written, n01-n08
    # 3 of 8 and m01-m08 5 of 8 each written blind, 16 of 34 in all before follow-ups kept to
    # the documents quoted and 20 of 34 after, with fixes made from k and n misses)
    ("real_council_check", None, {"answer_accuracy": 0.75, "citation_accuracy": 0.7,
                                  "refusal_recall": 0.6, "conversations_fully_right": 18}),
])
def test_dev_questions_are_answered_cited_or_declined_at_minimum_levels(
        tmp_path: Path, questions: str, corpus: list[Path] | None,
        levels: dict[str, float]) -> None:
    path = SEEDS if questions == "seed" else ROOT / "eval" / f"{questions}.jsonl"
    if corpus is None:
        corpus = [p for p in sorted((SHARED / "bench" / "real-council").glob("*.*"))
                  if p.name != "SOURCES.md"]
        if not corpus:
            pytest.skip("real-council documents are not beside this checkout")
    corpus_name = {"real_council_questions": "real_council"}.get(questions, questions)
    conversations = [c for c in read_conversations(ROOT / "eval/conversations.jsonl")
                     if c["corpus"] == corpus_name]
    report = seed_eval(read_questions(path), corpus,
                       Settings(index=tmp_path / "index", progress=False), conversations)
    for name, floor in levels.items():
        assert report.metrics[name] >= floor, (name, report.metrics)


def test_every_set_is_one_column_of_one_table_each_baseline_under_its_measure() -> None:
    table = format_summary({"seed dev": {"answer_accuracy": 1.0,
                                         "answer_accuracy_top_passage": 0.25},
                            "QMSum dev": {"rouge1": 32.0, "rouge1_top_passage": 27.0}})
    header, _, *rows = table.splitlines()
    assert header.split() == ["seed", "dev", "QMSum", "dev"]
    assert [row.split()[0] for row in rows] == ["answer_accuracy", "answer_accuracy_top_passage",
                                                "rouge1", "rouge1_top_passage"]
    assert rows[0].split()[1:] == ["1.0"] and rows[2].split()[1:] == ["32.0"]


def test_notices_are_counted_apart_on_right_and_wrong_answers() -> None:
    def result(answerable: bool, answered: bool, keys: bool, noticed: bool) -> SeedResult:
        return SeedResult("q", answerable, answered, keys, keys, "", noticed=noticed)

    metrics = question_metrics([
        result(True, True, True, False), result(True, True, True, True),  # right answers
        result(True, True, False, True), result(False, True, False, False),  # wrong answers
        result(False, True, False, True), result(False, False, False, True)])  # a refusal
    assert (metrics["noticed_right_answers"], metrics["noticed_wrong_answers"]) == (0.5, 0.667)


@pytest.mark.parametrize(("query", "needle"), [
    ("BOOST", "BOOST (Burnt Oak"), ("51%", "51% BAME"), ("Omnia", "Omnia"),
    ("Wear House", "Wear House at Belmont"),
])
def test_exact_names_numbers_and_acronyms_are_found(assistant: Assistant, query: str,
                                                    needle: str) -> None:
    passages = assistant.search(query, 3)
    assert needle in passages[0].text
    for passage in passages:
        assert passage.text == assistant.index.document(passage.doc_id).text[
            passage.start:passage.end]


def test_a_question_naming_a_meeting_month_is_answered_from_that_meeting(tmp_path: Path) -> None:
    assert named_months("What was spent at the May 2019 meeting?") == ["2019-05"]
    assert named_months("What did the December meeting decide?") == ["-12"]
    assert named_months("May I ask who chairs the council?") == []
    folder = tmp_path / "documents"
    folder.mkdir()
    # a council's minutes of two meetings, worded alike: the date is at the top, far from
    # the finance item asked about
    business = "\n\n".join(f"{n}. Matters arising. The Parish Clerk reported on item {n} of the "
                           "village hall, the cemetery hedge, the speed monitor and the "
                           "allotments; the councillors noted the report." for n in range(1, 12))
    for month, day, total in (("May", 15, "£2,036.33"), ("December", 5, "£1,450.38")):
        (folder / f"minutes-{month.lower()}.txt").write_text(
            f"West Dereham Parish Council\n\nMinutes of the meeting held on {day} {month} 2019."
            f"\n\n{business}\n\n12. Finance. The Parish Clerk noted the total payments were "
            f"{total}. The payments were approved by the councillors present.\n")
    settings = Settings(index=tmp_path / "index", progress=False)
    ingest([folder], settings)
    assistant = Assistant(settings)
    try:
        for month, total in (("May", "2,036.33"), ("December", "1,450.38")):
            answer = assistant.ask(f"What were the total payments at the {month} 2019 meeting?")
            assert total in answer.answer, (month, answer.answer)
    finally:
        assistant.close()


def test_an_answer_quotes_no_other_documents_lines_beside_its_own(tmp_path: Path) -> None:
    folder = tmp_path / "documents"
    folder.mkdir()
    # two councils' inspection reports, worded alike; and a council web page beside a parish's
    # minutes full of decisions on other matters
    (folder / "coventry.txt").write_text(
        "Inspection of Coventry local authority children's services\n\n"
        "Children who go missing from home are visited promptly by social workers.\n\n"
        "Workers from the specialist missing and exploitation team, Horizon, work alongside "
        "social workers to complete comprehensive assessments of children's risks.\n")
    (folder / "dorset.txt").write_text(
        "Inspection of Dorset local authority children's services\n\n"
        "Children who are at risk of coming into care, including those at risk of "
        "exploitation, are supported without delay by a range of skilled teams.\n")
    (folder / "crossings.txt").write_text(
        "Make a comment on Traffic Regulation Orders\n\n"
        "Proposed parallel crossing and zebra crossing: Hengrove Promenade, Hengrove\n")
    (folder / "minutes.txt").write_text(
        "Stoke Ferry Parish Council minutes\n\n" + "\n\n".join(
            f"RESOLVED: That the {item} be approved. (All were in favour.)"
            for item in ("quotation document", "fourth signatory", "payments to date",
                         "minutes of the last meeting", "hedge cutting costs")) + "\n")
    settings = Settings(index=tmp_path / "index", progress=False)
    ingest([folder], settings)
    assistant = Assistant(settings)
    try:
        for question, source in (
                ("Which Coventry team supports children at risk of exploitation?", "coventry"),
                ("Has the Hengrove Promenade zebra crossing been approved?", "crossings")):
            answer = assistant.ask(question)
            cited = {assistant.index.document(c.doc_id).source for c in answer.citations}
            assert answer.answerable and cited == {str(folder / f"{source}.txt")}, (
                question, answer.answer)
    finally:
        assistant.close()


def test_answer_shape_and_every_sentence_cited(assistant: Assistant) -> None:
    answer = assistant.ask("What case management system does the London CRC use?")
    data = answer.as_json()
    assert set(data) == {"answer", "answerable", "conversation_id", "citations", "mode",
                         "dropped", "note", "read_as", "unmentioned"}
    assert data["answerable"] is True and "Omnia" in data["answer"]
    assert (data["mode"], data["dropped"], data["note"], data["read_as"],
            data["unmentioned"]) == ("extractive", [], None, None, [])
    fields = {"n", "doc_id", "title", "doc_type", "committee", "meeting_date", "page", "section",
              "quote", "start", "end", "source", "url", "score", "ocr", "speaker"}
    for citation in data["citations"]:
        assert set(citation) == fields
        text = assistant.index.document(citation["doc_id"]).text
        assert text[citation["start"]:citation["end"]] == citation["quote"]
    sentences = re.split(r"(?<=\])\s+", data["answer"])
    assert all(re.search(r"\[\d+\]$", s) for s in sentences)
    assert data["citations"][0]["committee"] == "Barnet Safer Communities Partnership Board"


@pytest.mark.parametrize(("message", "question"), [
    ("Hi, who chairs the audit committee?", "Who chairs the audit committee?"),
    ("Hello there - can you tell me when the next meeting is? Thanks",
     "When the next meeting is?"),
    ("Good morning all, what was decided about the loan? cheers",
     "What was decided about the loan?"),
    ("do you know which ward she represents", "Which ward she represents?"),
    ("until when will the quarry operate", "Until when will the quarry operate?"),
    ("Who won? please", "Who won?"),
    ("Thanks! And who seconded it?", "And who seconded it?"),
    ("ok, who proposed that?", "Who proposed that?"),
    ("Quick question: when is the next meeting?", "When is the next meeting?"),
    ("btw who seconded it", "Who seconded it?"),
    ("Question time: who asked about the bins?", "Question time: who asked about the bins?"),
    ("Great Yarmouth council: who is the mayor?", "Great Yarmouth council: who is the mayor?"),
    ("Whta did the council decide?", "What did the council decide?"),  # a typo of its opening
    ("wehn is the next meeting", "When is the next meeting?"),
    ("Hwo won?", "Hwo won?"),  # as near "who" as "how": left as typed
    # nothing to take away: an account asked for, a name that opens like a greeting, a
    # message that is only thanks
    ("Tell me about the Bluebell campaign", "Tell me about the Bluebell campaign"),
    ("Summarise the discussion about the allotments", "Summarise the discussion about the allotments"),
    ("What did Hi-Tech Ltd say?", "What did Hi-Tech Ltd say?"),
    ("Morning meetings: when are they held?", "Morning meetings: when are they held?"),
    ("Thanks!", "Thanks!"),
])
def test_a_chat_message_is_asked_as_the_question_it_wraps(message: str, question: str) -> None:
    assert plain_question(message) == question


def test_a_question_typed_as_in_chat_gets_the_answer_it_gets_as_written(
        assistant: Assistant) -> None:
    for message in ("Hi, can you tell me what case management system the London CRC uses? Thanks",
                    "what case management system does the london crc use"):
        answer = assistant.ask(message)
        assert answer.answerable and "Omnia" in answer.answer, message
    follow_up = assistant.ask("Thanks! And how many offenders does it supervise?",
                              answer.conversation_id)
    assert follow_up.answerable and "30,000" in follow_up.answer


def test_one_edit_drops_adds_changes_or_swaps_one_letter() -> None:
    near = one_edit("cat")
    assert {"at", "cart", "cut", "act"} <= near and "cat" not in near and "dog" not in near


def test_a_typo_is_read_as_the_nearest_word_the_documents_hold() -> None:
    held = {"inspection": 40, "inspections": 3, "wigston": 9, "posit": 30, "kept": 12}

    def counts(words: list[str], cap: int) -> dict[str, int]:
        return {w: min(cap, held.get(w, 0)) for w in words}

    assert respell("Who led the Ofsted inspcetion in Wisgton?", counts) == (
        "Who led the Ofsted inspection in Wigston?")  # a name keeps its capital
    # an English word no document uses stays as typed, as do a short word and a word with
    # nothing held one letter from it
    assert respell("How many postal votes were there?", counts) == (
        "How many postal votes were there?")
    assert respell("What grade did Kept get?", counts) == "What grade did Kept get?"
    assert respell("Who is Zyxwvut?", counts) == "Who is Zyxwvut?"


def test_capitalised_words_typed_as_one_are_read_apart() -> None:
    held = {"justin": 12, "trudeau": 30, "stoke": 5, "ferry": 5, "blanc": 2, "donald": 3,
            "mackinnon": 4, "mac": 1, "kinnon": 1}

    def counts(words: list[str], cap: int) -> dict[str, int]:
        return {w: min(cap, held.get(w, 0)) for w in words}

    assert respell("What did JustinTrudeau say about the fund?", counts) == (
        "What did Justin Trudeau say about the fund?")
    assert respell("Who chairs StokeFerry parish council?", counts) == (
        "Who chairs Stoke Ferry parish council?")
    # a part no chunk holds, a run the chunks hold as typed, and parts under three letters
    # ("Mc", "Le") leave the words as typed
    assert respell("What did JustinBieber say?", counts) == "What did JustinBieber say?"
    assert respell("What did MacKinnon say?", counts) == "What did MacKinnon say?"
    assert respell("Did McDonald or LeBlanc speak?", counts) == "Did McDonald or LeBlanc speak?"


def test_a_mistyped_question_is_answered_and_says_how_it_was_read(assistant: Assistant) -> None:
    answer = assistant.ask("What case management sytem does the London CRC use?")
    assert answer.answerable and "Omnia" in answer.answer
    assert answer.read_as == "What case management system does the London CRC use?"


def test_unanswerable_is_declined_with_related_passages(assistant: Assistant) -> None:
    answer = assistant.ask("What did the council decide about increasing car parking charges?")
    assert answer.answerable is False
    assert answer.answer.startswith("The documents do not answer this question.")
    assert answer.citations and all(c.quote for c in answer.citations)
    # "increase" is there; "parking" shares its root with "Belmont Business Park", named only
    # where that document is among those found (on PostgreSQL's approximate vector index the
    # nearest passages vary from build to build)
    assert {"car", "charges"} <= set(answer.unmentioned) <= {"car", "parking", "charges"}


def test_an_answer_names_what_it_was_asked_about_that_no_cited_document_says(
        assistant: Assistant) -> None:
    on_topic = assistant.ask("What did the Barnet board hear about probation reform?")
    assert on_topic.answerable and on_topic.unmentioned == []
    off_topic = assistant.ask("What did the Barnet board hear about probation reform and "
                              "allotments?")
    assert off_topic.unmentioned == ["allotments"]


def test_unmentioned_reads_only_what_the_question_asks_about() -> None:
    minutes = Document("wd", "The clerk reported on the village hall roof. Bins were emptied.",
                       "wd.txt", title="West Dereham minutes")
    assert unmentioned("What did the council say about the village pond?", [minutes]) == ["pond"]
    assert unmentioned("What did the council say about the hall roofs?", [minutes]) == []
    assert unmentioned("Who chaired the pond committee?", [minutes]) == []  # no "about"
    assert unmentioned("What did they say about the pond?", []) == []


@pytest.mark.parametrize(("first", "follow_up", "expected"), [
    ("Tell me about the probation inspection in Northamptonshire", "Which company owns that CRC?",
     "Sodexo"),
    ("What did the Barnet board hear about probation reform?", "When does that start?",
     "Spring 2021"),
    ("What did the select committee hear about probation in December 2018?",
     "Who presented to them?", "Becky Canning"),
    ("What does BOOST stand for?", "Who said that?", "Reducing Offending Officer"),
])
def test_follow_up_questions_use_the_conversation(assistant: Assistant, first: str,
                                                  follow_up: str, expected: str) -> None:
    opening = assistant.ask(first)
    answer = assistant.ask(follow_up, opening.conversation_id)
    assert answer.answerable and expected in answer.answer
    turns = assistant.conversations.turns(opening.conversation_id)
    assert [t.question for t in turns] == [first, follow_up]


def test_a_standalone_question_in_a_conversation_is_not_bent_by_earlier_turns(
        assistant: Assistant) -> None:
    opening = assistant.ask("Who gets the Quillfeather depot lease?")
    answer = assistant.ask("What does BOOST stand for?", opening.conversation_id)
    assert answer.answerable and "Burnt Oak Opportunity Support Team" in answer.answer


def test_a_sentence_leading_into_a_list_is_quoted_with_the_list(assistant: Assistant) -> None:
    answer = assistant.ask("What did the inspectors recommend for the London CRC?")
    [citation] = [c for c in answer.citations if "recommendations, reproduced" in c.quote]
    assert len(answer.citations) <= 2  # the list, after the best sentence when another is
    assert citation.quote.startswith("The inspectors made six recommendations")
    assert "1. Ensure, in all cases" in citation.quote
    assert citation.quote.endswith("large-scale performance improvement project.")
    assert "6. Use management information" in answer.answer


@pytest.mark.parametrize(("first", "follow_up"), [
    ("Tell me about the probation inspection in Northamptonshire",
     "What about car parking charges there?"),
    ("What did the Barnet board hear about probation reform?",
     "How much will that cost the council?"),
    # the minutes that name her never mention a salary
    ("Who was seconded to the Troubled Families Programme?", "What was her salary?"),
])
def test_a_follow_up_the_documents_do_not_answer_is_declined(assistant: Assistant, first: str,
                                                              follow_up: str) -> None:
    opening = assistant.ask(first)
    assert not assistant.ask(follow_up, opening.conversation_id).answerable


def test_the_answering_sentence_comes_first_and_padding_stays_on_topic(
        assistant: Assistant) -> None:
    answer = assistant.ask("What case management system does the London CRC use?")
    quotes = [c.quote for c in answer.citations]
    assert quotes[0] == ("The new case management system, Omnia, meant that case reviews and "
                         "audits were carried out more regularly.")
    # a further sentence must be about the question's subject in its own words
    assert all("CRC" in q for q in quotes[1:])


def test_a_title_line_is_never_cited_as_a_further_sentence(assistant: Assistant) -> None:
    answer = assistant.ask("Who presented the National Probation Service and Community "
                           "Rehabilitation Company reports to the select committee?")
    assert "Becky Canning" in answer.answer
    assert all(c.quote.strip() != c.title for c in answer.citations)


def test_conversations_persist_in_sqlite(seed_index: Settings) -> None:
    first = Assistant(seed_index)
    conversation = first.ask("What does BOOST stand for?").conversation_id
    first.close()
    again = Assistant(seed_index)
    assert again.conversations.turns(conversation)[0].question == "What does BOOST stand for?"
    again.close()


def test_filters_narrow_the_documents(assistant: Assistant) -> None:
    only_news = assistant.search("probation inspection", 8, Filters(doc_types=["news"]))
    assert only_news and {p.document.doc_type for p in only_news} == {"news"}
    durham = assistant.search("probation", 8, Filters(committee="Durham"))
    assert {p.doc_id for p in durham} == {"004_a352e7ef0d09dbd7"}
    dated = assistant.search("probation", 8, Filters(date_from="2018-12-01", date_to="2018-12-31"))
    assert {p.doc_id for p in dated} == {"000_e8fa5ca575a63cad"}
    by_id = assistant.search("inspection", 8, Filters(doc_ids=["003_838ef0023b3293d1"]))
    assert {p.doc_id for p in by_id} == {"003_838ef0023b3293d1"}


def test_restricted_documents_stay_out_unless_allowed(settings: Settings,
                                                      corpus_copy: Path) -> None:
    (corpus_copy / "exempt.txt").write_text(
        "Exempt report. The Quillfeather depot lease will be sold to Marbleway Holdings.")
    (corpus_copy / "exempt.meta.json").write_text(json.dumps({"restricted": True}))
    ingest([corpus_copy], settings)
    service = Assistant(settings)
    try:
        for query in ("Quillfeather depot lease", "Marbleway Holdings"):
            assert all(p.doc_id != "exempt" for p in service.search(query, 10))
            answer = service.ask(f"Who will buy the {query}?")
            assert "Marbleway" not in answer.answer
            assert all(c.doc_id != "exempt" for c in answer.citations)
        allowed = service.search("Quillfeather depot", 3, Filters(include_restricted=True))
        assert allowed[0].doc_id == "exempt"
    finally:
        service.close()


def test_pdf_citation_links_to_its_page(settings: Settings, tmp_path: Path) -> None:
    folder = tmp_path / "pdfs"
    folder.mkdir()
    shutil.copy(pdf_sample("pdflatex-4-pages.pdf"), folder)
    ingest([folder], settings)
    service = Assistant(settings)
    try:
        passage = service.search("Hello, here is some text without a meaning", 1)[0]
        assert passage.page_start is not None
        answer = service.ask("Where is some text without a meaning?")
        cited = answer.citations[0]
        assert cited.page is not None and cited.url.endswith(f"#page={cited.page}")
    finally:
        service.close()


def test_cli_ask_search_json_and_batch(seed_index: Settings) -> None:
    index = str(seed_index.index)
    one = json.loads(cli("ask", "What does BOOST stand for?", "--json", "--index", index).stdout)
    assert one["answerable"] and "Burnt Oak Opportunity Support Team" in one["answer"]
    readable = cli("ask", "What does BOOST stand for?", "--index", index).stdout
    assert "Sources:" in readable and "[1]" in readable
    batch = cli("ask", "--index", index,
                    stdin="What case management system does the London CRC use?\n"
                          "What was the annual budget of the London CRC in 2019?\n")
    lines = [json.loads(line) for line in batch.stdout.splitlines()]
    assert [line["answerable"] for line in lines] == [True, False]
    found = json.loads(cli("search", "Omnia", "-k", "2", "--json", "--index", index).stdout)
    assert len(found["results"]) == 2
    assert set(found["results"][0]) >= {"doc_id", "title", "start", "end", "page", "section",
                                        "text", "score"}
    many = cli("search", "--index", index, stdin="BOOST\nOmnia\n").stdout.splitlines()
    assert [json.loads(line)["query"] for line in many] == ["BOOST", "Omnia"]


def test_a_follow_up_asks_for_something_the_last_answer_did_not_say(settings: Settings,
                                                                     tmp_path: Path) -> None:
    allotments = (
        "Minutes of the Allotments Working Group, 4 March 2026\n\n"
        "Item 5. Chair of the group\n\n"
        "RESOLVED: That Councillor Ann Hale be appointed chair of the Allotments Working "
        "Group for the coming year.\n\n"
        "Proposed by Councillor Tom Reed and seconded by Councillor Jo Mills; carried "
        "unanimously.\n\n"
        "Item 6. Members\n\n"
        "Councillor Ann Hale represents Riverside ward and has served on the council since "
        "2019.\n\n"
        "Item 7. Water supply\n\n"
        "The group noted that the standpipes at the Mill Lane site would be replaced in "
        "April.\n")
    first, proposer = _ask_then_follow_up(
        tmp_path / "minutes", settings, {"allotments.txt": allotments},
        "Who was appointed chair of the Allotments Working Group?",
        "Who proposed that?")
    assert "Ann Hale" in first.answer
    assert proposer.answerable and "Tom Reed" in proposer.answer
    assert "RESOLVED" not in proposer.answer  # not the resolution it points back at


def _ask_then_follow_up(folder: Path, settings: Settings, files: dict[str, str], question: str,
                        follow_up: str) -> tuple[Answer, Answer]:
    """Write the files into the folder and index it, ask the question, then the follow-up in
    the same conversation."""
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    ingest([folder], settings)
    service = Assistant(settings)
    try:
        first = service.ask(question)
        return first, service.ask(follow_up, first.conversation_id)
    finally:
        service.close()


def test_that_points_at_what_lies_beside_the_earlier_answer(settings: Settings,
                                                            tmp_path: Path) -> None:
    # every item's proposer line reads alike; only where it stands tells them apart
    items = [("Footpaths", "RESOLVED: That the Council repair the stile on Footpath 3.",
              "Cllr Ann Hale", "Cllr Tom Reed"),
             ("Hall hire", "RESOLVED: That the village hall hire charge rise to £12 an hour.",
              "Cllr Tom Reed", "Cllr Jo Mills"),
             ("Banking", "RESOLVED: That Cllr Jo Mills be approved as the fourth signatory "
              "for banking.", "Cllr Ravi Shah", "Cllr Ann Hale")]
    minutes = "Minutes of the Parish Council, 4 March 2026\n\n" + "".join(
        f"Item {n}. {title}\n\nThe council considered the matter.\n\n{resolution}\n\n"
        f"({proposer} proposed, {seconder} seconded, all were in favour).\n\n"
        for n, (title, resolution, proposer, seconder) in enumerate(items, 1))
    first, proposer = _ask_then_follow_up(
        tmp_path / "minutes", settings, {"minutes.txt": minutes},
        "Who was approved as the fourth signatory for banking?",
        "Who proposed that?")
    assert "Jo Mills" in first.answer
    assert proposer.answerable and "Ravi Shah" in proposer.citations[0].quote
    assert "Tom Reed proposed" not in proposer.answer


def test_a_follow_up_asks_of_the_document_the_earlier_answer_quoted(settings: Settings,
                                                                    tmp_path: Path) -> None:
    papers = {
        "agenda.txt": "Plan Commission agenda, 21 August 2025\n\nItem 2. A proposed renovation "
        "of the Elm Street station, submitted by Metra, to rebuild its stairs and platforms.\n\n"
        "Item 3. A resolution adopting the Trail Land Use Framework Plan.\n",
        "minutes.txt": "Parish Council minutes, 5 December 2019\n\nTraining: the Clerk noted "
        "that the training budget had been increased to £700 to cover the cost of additional "
        "sessions for new councillors.\n"}
    first, cost = _ask_then_follow_up(tmp_path / "papers", settings, papers,
                                      "What is proposed for the Elm Street station?",
                                      "How much will it cost?")
    assert "renovation" in first.answer
    assert not cost.answerable and "£700" not in cost.answer  # not the training budget's


def test_a_follow_up_naming_another_council_leaves_the_document_quoted(settings: Settings,
                                                                      tmp_path: Path) -> None:
    reports = {f"{council.lower()}.txt":
               f"Inspection of {council} local authority children's services\n\n"
               f"Inspectors visited {council} in March 2025.\n\n"
               f"Judgement: The experiences and progress of care leavers; Grade: {leavers}\n\n"
               "Judgement: Overall effectiveness; Grade: Good\n"
               for council, leavers in (("Barsetshire", "Outstanding"),
                                        ("Wessex", "Requires improvement"))}
    first, other = _ask_then_follow_up(
        tmp_path / "reports", settings, reports,
        "How did Ofsted grade Barsetshire's services for care leavers?",
        "And Wessex's?")
    assert "Outstanding" in first.answer
    assert other.answerable and "Requires improvement" in other.answer
    assert {c.doc_id for c in other.citations} != {c.doc_id for c in first.citations}


def test_a_follow_up_naming_only_the_kind_it_asks_for_is_answered_by_the_row_it_points_at(
        settings: Settings, tmp_path: Path) -> None:
    # the rows name parties ("Liberal Democrats"), never the word "party"
    councillors = (
        "Councillors by ward\n\nCouncillor John Boyce, Liberal Democrats, South Wigston ward; "
        "Leader.\n\nCouncillor Sharon Morris, Labour, South Wigston ward.\n\n"
        "Councillor Bhupendra Dave, Conservative, Oadby Woodlands ward.\n")
    first, party = _ask_then_follow_up(tmp_path / "wards", settings,
                                       {"councillors.txt": councillors}, "Who is the Leader?",
                                       "Which party is he in?")
    assert "John Boyce" in first.answer
    assert party.answerable and party.citations[0].quote.startswith("Councillor John Boyce")


def test_a_follow_up_carries_the_documents_names_and_person_of_the_earlier_turn() -> None:
    row = Turn("Who came second in the Batley East by-election?", "", {"answerable": True,
               "citations": [{"doc_id": "results", "start": 10, "end": 80, "quote":
                              "Paul Young | Conservative | 443 votes | Batley East ward"}]}, "")
    votes = resolve("How many votes did he get?", [row])
    assert votes is not None and votes.documents == ["results"]
    # "he" is the person the answer named, not the ward the question did
    assert votes.referent == ["paul", "young"]
    assert votes.subject == [root("batley"), root("east")]
    assert votes.asks_anew  # "how many" after "who"
    again = resolve("Who seconded him?", [row])
    assert again is not None and not again.asks_anew
    # the subject is the latest question's that names one
    answered = Turn("What was the electorate?", "", {"answerable": True, "citations": [
        {"doc_id": "turnout", "start": 0, "end": 20, "quote": "Electorate: 13279"}]}, "")
    after = resolve("Where is it?", [row, answered])
    assert after is not None and after.subject == votes.subject
    assert after.documents == ["turnout"]
    assert [question_word(q) for q in ("How many votes?", "And where?", "Is it open?")] == [
        "how many", "where", None]
    # past a follow-up declined in between, the conversation is still about the row
    declined = Turn("How much did his campaign cost?", "", {"answerable": False, "citations": []}, "")
    later = resolve("Which party was he in?", [row, declined])
    assert later is not None and later.documents == ["results"]
    assert later.referent == ["paul", "young"]
    # a longer question that names nothing is still about the conversation's subject; one that
    # names what it asks about stands alone
    public = resolve("How many members of the public attended the count?", [row])
    assert public is not None and public.documents == ["results"]
    assert resolve("How many members of the Durham committee attended?", [row]) is None
    # a name and nothing else asks the earlier question again of it
    ellipsis = resolve("And Dewsbury's?", [row])
    assert ellipsis is not None and ellipsis.points_back and ellipsis.documents == []
    assert "Batley" not in ellipsis.context and "second" in ellipsis.context
    # ... but not past one that asked about something else
    elsewhere = Turn("Who won in Falkirk South?", "", {"answerable": False, "citations": []}, "")
    other = resolve("Which party was he in?", [row, elsewhere])
    assert other is not None and other.documents == [] and other.referent == []


def test_it_points_at_a_name_and_that_at_the_earlier_topic() -> None:
    fact = Turn("What case management system does the London CRC use?", "",
                {"answerable": True, "citations": [
                    {"doc_id": "d", "start": 0, "end": 40, "quote": "The system, Omnia, is new."}]},
                "")
    it = resolve("How many offenders does it supervise?", [fact])
    assert it is not None and "London CRC" in it.context and "management" not in it.context
    assert "management" in it.terms and it.pointed  # ranking still borrows the earlier words
    that = resolve("When was that introduced?", [fact])
    assert that is not None and "case management system" in that.context
    refused = Turn(fact.question, "", {"answerable": False, "citations": []}, "")
    after_refusal = resolve("How many offenders does it supervise?", [refused])
    assert after_refusal is not None and "management" in after_refusal.context
    assert not after_refusal.pointed
