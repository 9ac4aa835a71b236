"""The answer model: pure scoring functions with known answers, and what it does in answers
over small real corpora (the bundled model embeds them)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from assistant.answer_model import (
    FACT,
    FEATURES,
    LIST,
    SUMMARY,
    QuestionKinds,
    Ranker,
    Refusal,
    load_model,
    question_features,
    question_kind,
)
from assistant.answering import _value_after, idf_from
from assistant.config import Settings
from assistant.conversation import answer_entities
from assistant.ingest import ingest
from assistant.records import Document
from assistant.retrieval import Passage
from assistant.schema import Answer
from assistant.service import Assistant
from assistant.signals import (
    _line_label,
    _titles,
    asked_about,
    category,
    rank_candidates,
    untitled,
)
from assistant.text import content_terms, root, roots
from assistant.units import (
    Place,
    answer_type,
    asks_place,
    evidence_units,
    given_names,
    has_contact,
    is_bare,
    person_names,
    ranked_row,
    repeated,
    speaker,
    states_count,
    states_money,
)


def test_ranker_and_refusal_are_plain_arithmetic_over_the_signals() -> None:
    ranker = Ranker({"own": 2.0, "typed": 1.0})
    assert ranker.score({"own": 0.5, "typed": 1.0, "words": 9.0}) == pytest.approx(2.0)
    refusal = Refusal({"cover": 4.0}, -2.0, {FACT: 0.5, SUMMARY: 0.3})
    assert refusal.probability({"cover": 0.5}) == pytest.approx(0.5)
    assert refusal.probability({"cover": 1.0}) == pytest.approx(0.8808, abs=1e-4)
    assert refusal.threshold(FACT) == 0.5
    assert refusal.threshold(LIST) == 0.5  # a list is led by its best unit, as a fact is
    assert refusal.threshold(SUMMARY) == 0.3


def test_question_kinds_are_a_linear_model_over_the_questions_words() -> None:
    assert question_features("Summarise what the Mayor said.") == [
        "summarize", "what", "the", "mayor", "said", "^summarize", "^summarize what"]
    kinds = QuestionKinds({FACT: {"^who": 2.0}, LIST: {"decide": 1.5},
                           SUMMARY: {"said": 1.0, "summarize": 1.0}},
                          {FACT: 0.0, LIST: 0.0, SUMMARY: 0.5})
    assert kinds.kind("Who chairs it?") == FACT
    assert kinds.kind("What did they decide?") == LIST
    assert kinds.kind("Summarise what the Mayor said.") == SUMMARY
    assert kinds.scores("Who said it?") == {FACT: 2.0, LIST: 0.0, SUMMARY: 1.5}


def test_the_shipped_model_is_complete_and_records_what_it_was_fitted_on() -> None:
    model = load_model()
    assert set(model.rankers) == {FACT, SUMMARY}
    assert set(model.kinds.weights) == {FACT, LIST, SUMMARY}
    assert model.fitted_on["question_kinds"]["cross_validated_accuracy"] >= 0.75
    assert all(set(r.weights) == set(FEATURES) for r in model.rankers.values())
    assert all(0 < t < 1 for t in model.refusal.thresholds.values())
    assert model.fitted_on["script"] == "scripts/fit_answer_model.py"
    assert model.fitted_on["refusal"]["unanswerable"] > 0


# Questions that are not among the labelled ones (some phrased like them, "What did the
# committee resolve about …"): the fitted model must read the kind of question, not remember
# the questions it was fitted on.
@pytest.mark.parametrize(("question", "kind"), [
    ("Who is the clerk to the parish council?", FACT),
    ("When will the new bridge open?", FACT),
    ("How many homes are planned for the Mill Lane site?", FACT),
    ("What did the committee resolve about the allotment rents?", LIST),
    ("Summarise what was said about the library closure.", SUMMARY),
    ("What did members think about the parking proposals?", SUMMARY),
])
def test_the_shipped_model_reads_question_kinds(question: str, kind: str) -> None:
    assert question_kind(question) == kind


@pytest.mark.parametrize(("text", "bare"), [
    ("AUDIT COMMITTEE", True), ("Minutes:", True), ("5 ANNUAL GOVERNANCE REPORT 2008/09", True),
    ("Date: 22 October 2009", False),
    ("The inspectors made six recommendations:", False),  # a lead-in, not a label
    ("The committee agreed the budget.", False),
    # a list item says something unless it is a label set as one; a closing quote ends it
    ("• New Business", True),
    ("• Holiday decorations were taken down and stored on schedule", False),
    ("Lighting money was moved to ‘Holiday Decorations’", False),
])
def test_a_heading_or_a_label_alone_is_bare(text: str, bare: bool) -> None:
    assert is_bare(text) is bare


def test_a_lead_in_and_its_list_are_one_unit() -> None:
    text = ("The inspectors made two recommendations:\n\n• Improve supervision.\n\n"
            "• Publish the plan.\n\nThe chair thanked them.")
    units = [text[a:b] for a, b in evidence_units(text, 0, len(text))]
    assert units[0].startswith("The inspectors made two") and units[0].endswith("the plan.")
    assert units[-1] == "The chair thanked them."


def test_a_lead_in_to_label_lines_is_one_unit_with_them() -> None:
    text = ("A meeting of the Audit Committee will be held:\n\nDate: 22 October 2009\n\n"
            "Venue: Cabinet Meeting Room\n\nAGENDA")
    units = [text[a:b] for a, b in evidence_units(text, 0, len(text))]
    assert units == [text[:text.index("\n\nAGENDA")], "AGENDA"]


def test_a_label_alone_on_its_line_is_one_unit_with_the_line_that_follows() -> None:
    text = ("Membership:\n\nCouncillors:\n\nAngela Caldara Corinna Edge Rod Scott\n\n"
            "Resolved:\n\n(i) That the reports be noted.\n\nSee below. Note:\nNext line.")
    units = [text[a:b] for a, b in evidence_units(text, 0, len(text))]
    assert units[:2] == ["Membership:", "Councillors:\n\nAngela Caldara Corinna Edge Rod Scott"]
    assert not is_bare(units[1])
    # not a label then its list's first item, nor a label that ends a line of text
    assert "(i) That the reports be noted." in units and "Next line." in units


def test_short_lines_under_one_another_are_one_block_but_not_the_heading_after_them() -> None:
    text = ("A TRO supports measures including:\n\nDouble yellow lines\n\nBus lanes\n\n"
            "Why we need TROs\n\nUK law requires that TROs be in place.\n\n"
            "1. Declarations of interest\n\n2. Apologies for absence\n\n"
            "Polling will take place on 14 October 2021.\n\nKenneth Lawrie\n\n"
            "Returning Officer\n\nMunicipal Buildings")
    units = [text[a:b] for a, b in evidence_units(text, 0, len(text))]
    assert "Kenneth Lawrie\n\nReturning Officer\n\nMunicipal Buildings" in units
    assert "Double yellow lines\n\nBus lanes" in units
    assert "Why we need TROs" in units  # the next section's heading stands alone
    assert "UK law requires that TROs be in place." in units  # a sentence is no short line
    assert "Declarations of interest" in units  # nor are a list's numbered items


def test_a_paragraph_number_read_as_a_sentence_is_no_unit() -> None:
    text = ("55. More children now live at home.\n\n56. Leaders have worked with children."
            " They listen.")
    units = [text[a:b] for a, b in evidence_units(text, 0, len(text))]
    assert units == ["More children now live at home.", "Leaders have worked with children.",
                     "They listen."]
    value = "Electorate:\n\n13279"  # a number alone on its line is a value, not a marker
    assert [value[a:b] for a, b in evidence_units(value, 0, len(value))] == [value]


def test_a_vote_in_brackets_is_read_with_its_resolution() -> None:
    text = ("RESOLVED: That the fee be capped at £350. (Cllr A proposed, Cllr B seconded, "
            "seven were in favour and one was against).\n(a) A list item on its own line.")
    units = [text[a:b] for a, b in evidence_units(text, 0, len(text))]
    assert units == [text[:text.index("\n")], "(a) A list item on its own line."]


def test_an_answer_holds_a_value_the_question_does_not_already_say() -> None:
    wants = answer_type("When is the next meeting after November 2020?")
    assert wants is not None
    assert not wants("Minutes of the meeting held on 11 November 2020.")
    assert wants("The next meeting is on Wednesday 2 December 2020.")
    who = answer_type("Who chairs the Audit Committee?")
    assert who is not None and not who("The Audit Committee met.") and who("The chair is Jo Bloggs.")
    assert who.kind == "name"


@pytest.mark.parametrize(("question", "kind"), [
    ("Can you tell me when the consultation closes?", "date"),
    ("Who was appointed when the chair resigned?", "name"),
    ("According to the clerk, who should pay?", "name"),
    # after another question word, "when" and "who" open a clause, not the question
    ("What did the minister think when talking about the budget?", None),
    ("What did she say about the students who crossed the border?", None),
])
def test_when_and_who_ask_only_as_the_questions_own_question_word(question: str,
                                                                 kind: str | None) -> None:
    wants = answer_type(question)
    assert (wants.kind if wants else None) == kind


def test_the_kind_model_reads_the_kind_of_value_asked_for() -> None:
    assert question_features("Who won?")[-2:] == ["=name", "=value"]
    assert not any(f.startswith("=") for f in question_features("What was discussed?"))


@pytest.mark.parametrize(("question", "line", "answers"), [
    # a bound the question sets: a date on its wrong side, or the bound made exact, is not new
    ("When is the next meeting after December 2019?", "held on Thursday 5th December 2019",
     False),
    ("When is the next meeting after December 2019?", "approved on 7 November 2019", False),
    ("When is the next meeting after December 2019?", "due on Thursday 5th February 2020", True),
    ("When was the plan adopted before 2019?", "adopted in March 2018", True),
    ("When was the plan adopted before 2019?", "revised in 2020", False),
    ("When did it reopen after 2019?", "closed in March 2019", False),
    ("When did it reopen after 2019?", "reopened in January 2020", True),
    # without a bound, a more exact date is the answer
    ("When does the committee meet in October 2009?", "Date: 22 October 2009", True),
    ("When is the next commission meeting?", "Next meeting: Thursday, February 15th", True),
    # a time is what "what time" asks for; a "when" question wants a date
    ("What time does the meeting start?", "Time: 19:15", True),
    ("What time does the meeting start?", "Date: 22 October 2009", False),
    ("When did the meeting close?", "Meeting closed at 10.00 pm", False),
    ("When was the service inspected?", "W: www.gov.uk/ofsted © Crown copyright 2025", False),
    ("Who chairs the committee?", "Date: 22 October 2009", False),
    # a share is given in figures or in words
    ("What proportion of schools use the grant well?", "around two thirds of schools", True),
    ("What proportion of schools use the grant well?", "a quarter of schools", True),
    ("What proportion of schools use the grant well?", "one in five schools", True),
    ("What proportion of schools use the grant well?", "35 per cent of schools", True),
    ("What proportion of schools use the grant well?", "a third party audits schools", False),
    ("What proportion of schools use the grant well?", "in 2019, 5 schools applied", False),
    # a question for contact details wants that kind of detail
    ("What is the parish clerk's email address?", "Email: clerk@example.gov.uk", True),
    ("What is the parish clerk's email address?", "Telephone: 01366 502110", False),
    ("What phone number should I call?", "or telephone 020 8545 3181.", True),
    ("What phone number should I call?", "p: 773.728.3890 | f: 773.769.4855", True),
    ("What phone number should I call?", "Spent $210,783 of $246,394 in 2017.", False),
    ("What is the council's website?", "Visit www.merton.gov.uk for more.", True),
    # a reference is a code of capitals and digits, not a date, a year or a measure
    ("What is the planning reference for the new dwelling?", "20/01538/F Stoke Ferry", True),
    ("What is the reference number of the proposal?", "Ref PX-DJR-25-031", True),
    ("What is the reference number of the proposal?", "Spent in 2017/18 by 11/30/17.", False),
    ("What is the application number for the tree works?", "Reduce to 12-14ft", False),
])
def test_a_value_answers_within_the_kind_and_bounds_the_question_sets(question: str, line: str,
                                                                      answers: bool) -> None:
    wants = answer_type(question)
    assert wants is not None and wants(line) is answers


@pytest.mark.parametrize(("question", "kind"), [
    ("Which party is he in?", ["party"]),
    ("What phone number should I call?", ["phone", "number"]),
    ("Which ward does Cllr Dave represent?", ["ward"]),
    # a name says what the question is about, not the kind of thing it asks for: a document
    # that never names Coventry does not answer it
    ("Which Coventry team supports children?", ["team", "supports", "children"]),
    ("What Sally Jenkins answered about the bill", ["answered"]),
])
def test_a_which_question_names_the_kind_it_asks_for_apart_from_names(question: str,
                                                                        kind: list[str]) -> None:
    assert category(question) == kind


def test_a_question_for_a_reference_is_of_the_reference_kind() -> None:
    wants = answer_type("Under which reference was the cottage first approved?")
    assert wants is not None and wants.kind == "reference"
    assert answer_type("With reference to the bins, what was agreed?") is None


@pytest.mark.parametrize("question", ["What is the parish clerk's email address?",
                                      "What phone number should I call?",
                                      "What is the council's website?"])
def test_a_question_for_contact_details_is_of_the_contact_kind(question: str) -> None:
    wants = answer_type(question)
    assert wants is not None and wants.kind == "contact"


def test_the_next_meeting_is_after_the_one_the_minutes_record() -> None:
    wants = answer_type("When is the next ordinary meeting?", held="2020-11-11")
    assert wants is not None
    assert not wants("Minutes of the Ordinary Meeting held on Wednesday 11 November 2020")
    assert not wants("Minutes of the meeting held on 7 October 2020 were approved.")
    assert wants("Date of the Next Ordinary Meeting – Wednesday 2 December 2020 at 7 pm.")
    assert wants("The next meeting is on Thursday 26th November 2020.")
    assert wants("Next meeting – 9:00am Thursday, February 15th")  # no year: cannot tell
    # without "next" the meeting's own date can be the answer
    held = answer_type("When was the ordinary meeting held?", held="2020-11-11")
    assert held is not None and held("held on Wednesday 11 November 2020")
    # what will happen, asked of minutes, happens after the meeting they record
    until = answer_type("Until when will the company operate the quarry?", held="2019-12-05")
    assert until is not None and until("It will operate on the area at least until 2027.")
    assert not until("The company acquired the site in March 2018.")


def test_a_count_is_not_a_year() -> None:
    wants = answer_type("How many offenders does the CRC supervise?")
    assert wants is not None
    assert not wants("The CRC used the 2016 recommendations as a catalyst for change.")
    assert wants("It supervises nearly 30,000 offenders.")
    assert not wants("Electorate: 2019")  # a count that looks like a year is missed
    # nor is the day of a date or a time a count, nor does a reference number ask for one
    objections = answer_type("How many objections were received?")
    assert objections is not None
    assert not objections("The consultation runs from Thursday 9 October.")
    assert not objections("Time: 19:15") and objections("There were 12 objections.")
    reference = answer_type("What is the reference number of the proposal?")
    assert reference is not None and reference.kind == "reference"
    # nor is a minute, an application or a financial year written with a slash an amount
    cost = answer_type("How much will the bench cost?")
    assert cost is not None
    assert not cost("215/20 To Approve Design for Parish Partnership Funding 2020/21")
    assert not cost("20/00209/TREECA Stoke Ferry") and cost("Fees would be £350 upwards")


@pytest.mark.parametrize(("question", "text", "states"), [
    ("How much will it cost to acquire the land?", "The Council had received three quotes.",
     False),
    ("How much will it cost to acquire the land?", "Fees would be £350 upwards.", True),
    ("How much rent does the council pay?", "It is leased over a 25 year agreement.", False),
    ("How much did the SSA spend in 2017?", "Spent $210,783 of $246,394.", True),
    ("How much did it raise?", "It raised 2 million pounds.", True),
    # not a question about money: any answer may do
    ("How much land is there?", "About 20 acres.", True),
    ("How many bins are there?", "There were five.", True),
])
def test_asked_how_much_something_costs_an_answer_gives_an_amount_of_money(
        question: str, text: str, states: bool) -> None:
    assert states_money(question, text) is states


@pytest.mark.parametrize(("question", "text", "states"), [
    ("How many accidents have there been?", "There had been 108 accidents.", True),
    ("How many councillors are to be elected?", "The election of one Councillor for Ward 7",
     True),
    ("How many parking spaces will it include?", "with 118 accessory parking spaces", True),
    ("How many bins are there on the field?", "There were five on the field currently.", True),
    ("What is the number of objections?", "Objections received: 12", True),
    ("How many offenders does it supervise?", "It supervises nearly 30,000 offenders.", True),
    # asked how many people or times, a count of any noun will do
    ("How many people attended?", "There were 14 members of the public.", True),
    ("How many times has the committee met?", "It met twice.", True),
    ("How many people attended?", "The SSA has spent $6,927 of its $270,143 budget", False),
    ("How many people are on the register?", "The persons registered in the register of "
     "electors for Ward 7 – Falkirk South may vote.", False),
    ("How many people live there?", "Some 4,500 residents live in the ward.", True),
    # a number that counts something else, names something, or is a date, range or amount
    ("How many streetlights are there?", "Streetlights will be reviewed in 12 months.", False),
    ("How many residents responded?", "Two workshops had been held.", False),
    ("How many elections are there?", "The election in Ward 7 – Falkirk South", False),
    ("How many spaces are there?", "Address: 1500–1509 E. 59th St.", False),
    ("How many bins are there?", "Bins were emptied on 23 November.", False),
    ("How many bins are there?", "Bins 341.84 0.00 341.84", False),
    ("How many members are there?", "It was one of the best meetings.", False),
    ("How many children are in care?", "9 to 13 March 2026 2 Leaders know the services.", False),
    ("How many children are in care?", "Planning for children. (outcome 2, national "
     "framework)", False),
    # not a count question: any answer may do
    ("How much will the bench cost?", "Two quotes were received.", True),
])
def test_asked_how_many_an_answer_gives_a_count_of_that(question: str, text: str,
                                                       states: bool) -> None:
    assert states_count(question, text) is states


def test_question_and_unit_words_meet_in_their_dictionary_forms() -> None:
    assert roots(["spent", "spend", "led", "lead", "children", "child"]) == [
        "spend", "spend", "lead", "lead", "child", "child"]
    assert root("2017") == "2017" and root("councillors") == root("councillor")


def test_boilerplate_and_contact_lines_are_told_apart() -> None:
    footer = "Printed by the Returning Officer, West Offices"
    own = f"Notice of poll\n{footer}\nCandidates: Ann Smith\n{footer}"
    assert repeated(footer, own, []) == 1.0
    assert repeated("Candidates: Ann Smith", own, []) == 0.0
    assert repeated("Candidates: Ann Smith", own, ["Candidates: Ann Smith"]) == 1.0
    assert has_contact("Email: press@merton.gov.uk or telephone 020 8545 3181")
    assert has_contact("Visit www.gov.uk/ofsted") and not has_contact("Spent $210,783 in 2017")


def test_answer_entities_are_the_names_in_the_quote() -> None:
    assert answer_entities("Councillor M Latif Darr, Liberal Democrats, Oadby Brocks Hill "
                           "ward; Mayor") == ["Councillor M Latif Darr", "Liberal Democrats",
                                              "Oadby Brocks Hill"]


@pytest.fixture(scope="module")
def council(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    folder = tmp_path_factory.mktemp("council")
    (folder / "grades.html").write_text(
        "<html><body><main><h1>Inspection of Barsetshire children's services</h1>"
        "<p>Inspectors visited Barsetshire in May 2025 and met leaders and social workers."
        "</p><table><tr><th>Judgement</th><th>Grade</th></tr>"
        "<tr><td>The experiences and progress of care leavers</td><td>Requires improvement"
        "</td></tr><tr><td>The impact of leaders on social work practice</td><td>Good</td>"
        "</tr><tr><td>Overall effectiveness</td><td>Good</td></tr></table></main></body>"
        "</html>")
    (folder / "councillors.txt").write_text(
        "Councillors by ward\n\nCouncillor Ann Smith, Green Party, Riverside ward; Mayor.\n\n"
        "Councillor Bob Jones, Labour, Hilltop ward; Deputy Mayor.\n")
    (folder / "field.txt").write_text(
        "Playing field\n\nCllr Ann Smith: How many bins are there on the playing field?\n"
        "Clerk: There are several bins by the pavilion.\n\n"
        "The streetlights on Mill Road will be reviewed in 12 months.\n")
    settings = Settings(index=folder / "index", progress=False)
    ingest([folder], settings)
    assistant = Assistant(settings)
    yield assistant
    assistant.close()


def test_a_table_row_is_quoted_with_its_header(council: Assistant) -> None:
    answer = council.ask("How were care leavers in Barsetshire graded?")
    assert answer.answerable
    assert "Judgement: The experiences and progress of care leavers; Grade: Requires " \
           "improvement" in answer.citations[0].quote


def test_a_heading_alone_is_never_the_answer(council: Assistant) -> None:
    answer = council.ask("What was the overall effectiveness of Barsetshire children's "
                         "services?")
    assert all(not is_bare(c.quote) for c in answer.citations)


@pytest.mark.parametrize(("text", "opening", "names"), [
    ("Paul Young | Conservative | 443 votes | Batley East ward", True, ["Paul Young"]),
    ("Habiban Nisa Zaman | Labour | 2640 votes", True, ["Habiban Nisa Zaman"]),
    ("Habiban Nisa Zaman | Labour | 2640 votes", False, []),  # a name no register lists
    ("Stephen Ward, Chair of the Campaign Group, attended.", True, ["Stephen Ward"]),
    ("The Chair declared an interest.", True, []),  # a sentence's opening words run on
    ("Councillor M Latif Darr, Liberal Democrats; Mayor", True, ["Councillor M Latif Darr"]),
    # an initial and a surname, as minutes write them
    ("Profit and Loss – R. Warsing presented the balance sheet", False, ["R. Warsing"]),
    ("Called to order – M. Prest (motion), C. Dallas (second)", False, ["M. Prest", "C. Dallas"]),
    # capitals alone name bodies, places and headings, not people
    ("The Parish Clerk wrote to Norfolk County Council about Lime Kiln Road.", False, []),
    ("Rose Cottage Church Lane Little Snoring Norfolk NR21 0AA", False, []),
    ("Apologies were received from Peter King and Cllr Hart.", False, ["Peter King", "Cllr Hart"]),
    # a label that says its value is a name
    ("Surname: Bennett; Other names in full: Ross; Description: Green Party", False,
     ["Bennett", "Ross"]),
])
def test_a_name_may_open_a_quoted_line(text: str, opening: bool, names: list[str]) -> None:
    assert person_names(text, opening=opening) == names


def test_given_names_are_the_names_most_registers_list() -> None:
    path = Path(__file__).parents[1] / "scripts" / "build_given_names.py"
    spec = importlib.util.spec_from_file_location("build_given_names", path)
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    data = {"sophie": [32, 593479, 0.99], "latif": [20, 883, 0.01], "parish": [7, 1170, 0.18],
            "&#304;nci": [25, 10, 0.5], "road": [2, 2, 0.5]}
    assert build.given_names(data) == ["latif", "sophie"]
    # the file the assistant reads is the script's output: common names in, common words out
    shipped = given_names()
    assert {"peter", "sue", "sophie", "latif"} <= shipped
    assert not {"parish", "council", "road", "west", "the"} & shipped


def test_a_follow_up_carries_the_earlier_answers_person(council: Assistant) -> None:
    first = council.ask("Who is the Mayor?")
    assert "Ann Smith" in first.answer
    second = council.ask("Which ward does she represent?", first.conversation_id)
    assert "Riverside" in second.answer
    # her own row, not the next councillor's (every row names a ward)
    assert [c.quote for c in second.citations] == [first.citations[0].quote]


def test_a_title_named_only_qualified_is_not_the_answer(council: Assistant) -> None:
    mayor = council.ask("Who is the Mayor?")
    assert "Ann Smith" in mayor.answer and "Deputy Mayor" not in mayor.answer
    assert "Bob Jones" in council.ask("Who is the Deputy Mayor?").answer


def test_a_when_or_what_share_question_is_not_answered_without_one(council: Assistant) -> None:
    # the line that says so is found, but it gives no date
    assert "Ann Smith" in council.ask("Who is the Mayor?").answer
    answer = council.ask("When was Ann Smith of the Green Party Mayor for Riverside ward?")
    assert not answer.answerable and "gives no date [1]" in answer.answer
    assert "Ann Smith" in answer.citations[0].quote  # what the documents do say, cited
    share = council.ask("What percentage of Barsetshire social workers did inspectors meet "
                        "in May 2025?")
    assert not share.answerable and "gives no percentage [1]" in share.answer


def test_a_how_many_question_is_answered_by_a_count_of_that(council: Assistant) -> None:
    bins = council.ask("How many bins are there on the playing field?")
    assert bins.answerable and "several bins" in bins.answer
    assert "?" not in bins.answer  # the question asked at the meeting is not its answer
    assert "12 months" not in bins.answer  # nor a line that counts something else
    asked = council.ask("What did Cllr Ann Smith ask about the playing field?")  # a summary
    assert "How many bins are there on the playing field?" in asked.answer
    lights = council.ask("How many streetlights are there on Mill Road?")
    assert not lights.answerable and "gives no count of streetlights [1]" in lights.answer
    assert "12 months" in lights.citations[0].quote  # what the documents do say, cited


def test_a_question_the_documents_do_not_answer_is_declined(council: Assistant) -> None:
    assert not council.ask("What was the turnout at the Riverside by-election in 2023?").answerable


def test_a_declined_question_cites_the_nearest_unit_first(council: Assistant) -> None:
    answer = council.ask("What was the turnout at the Riverside by-election in 2023?")
    assert not answer.answerable and "The nearest passage found is [1]." in answer.answer
    # the one line nearest the question, before the passages' openings
    assert answer.citations[0].quote == "Councillor Ann Smith, Green Party, Riverside ward; Mayor."
    assert "Possibly related" in answer.answer and len(answer.citations) > 1


def _signals(assistant: Assistant, question: str) -> dict[str, dict[str, float]]:
    passages = assistant.search(question, 5)
    idf = idf_from(assistant.index.term_count, assistant.index.chunk_count())
    return {c.quote_text(): c.signals for c in rank_candidates(question, passages, idf)}


def test_a_label_that_names_what_is_asked_is_a_signal(council: Assistant) -> None:
    by_unit = _signals(council, "What was the overall effectiveness judgement in Barsetshire?")
    row = next(s for quote, s in by_unit.items() if quote.startswith("Judgement: Overall"))
    assert row["label"] > 0 and row["focus"] == 1.0  # "overall" is the question's first term
    sentence = next(s for quote, s in by_unit.items() if quote.startswith("Inspectors visited"))
    assert sentence["label"] == 0.0 and sentence["field"] == 0.0


def test_a_unit_holding_the_value_asked_for_is_read_with_its_passage(council: Assistant) -> None:
    by_unit = _signals(council, "When were social workers in Barsetshire visited?")
    visit = next(s for quote, s in by_unit.items() if quote.startswith("Inspectors visited"))
    assert visit["typed"] == 1.0
    assert visit["typed_setting"] == pytest.approx(visit["own"] + visit["setting"])
    assert all(s["typed_setting"] == 0.0 for s in by_unit.values() if not s["typed"])


def test_a_term_the_document_never_mentions_counts_as_absent(council: Assistant) -> None:
    # "turnout" is in neither document; "leaders" is in the inspection report only
    by_unit = _signals(council, "What was the turnout among leaders in Barsetshire?")
    report = next(s for quote, s in by_unit.items() if "leaders" in quote)
    assert 0 < report["absent"] < 1
    assert all(s["absent"] >= report["absent"] for s in by_unit.values())


def test_a_page_is_known_by_its_publisher_and_cited_at_its_own_address(tmp_path: Path) -> None:
    # the page never names its council; its publisher (og:site_name) does
    (tmp_path / "orders.html").write_text(
        '<html><head><meta property="og:site_name" content="Barsetshire Council">'
        '<meta property="og:url" content="https://www.barsetshire.gov.uk/roads/orders">'
        "</head><body><main><h1>Make a comment on traffic orders</h1><p>To object to a "
        "proposed traffic order, write to the traffic team within 21 days of the notice."
        "</p><p>Orders can remain in operation indefinitely.</p></main></body></html>")
    (tmp_path / "minutes.txt").write_text(
        "Riverside Parish Council minutes\n\nThe clerk will write to the county about the "
        "speed limit on Mill Road.\n")
    settings = Settings(index=tmp_path / "index", progress=False)
    ingest([tmp_path / "orders.html", tmp_path / "minutes.txt"], settings)
    assistant = Assistant(settings)
    try:
        question = "How do I object to a Barsetshire traffic order?"
        by_unit = _signals(assistant, question)
        unit = next(s for quote, s in by_unit.items() if quote.startswith("To object"))
        assert unit["absent"] == 0.0  # "Barsetshire" is not missing from the page
        # nor is the body the question calls by a longer name, though the page never says
        # "Borough"; words outside the name still count ("highways", "board")
        for asked, absent in (("How do I object to a Barsetshire Borough Council traffic order?",
                               False),
                              ("How do I object to a Barsetshire highways board traffic order?",
                               True)):
            called = next(s for quote, s in _signals(assistant, asked).items()
                          if quote.startswith("To object"))
            assert (called["absent"] > 0) == absent, asked
        answer = assistant.ask(question)
    finally:
        assistant.close()
    assert answer.answerable and "within 21 days" in answer.citations[0].quote
    assert answer.citations[0].title == "Make a comment on traffic orders (Barsetshire Council)"
    assert answer.citations[0].url == "https://www.barsetshire.gov.uk/roads/orders"


def test_the_kind_of_thing_a_which_question_asks_for_need_not_be_named(council: Assistant) -> None:
    # a document names a party ("Green Party"), not a "faction"; asked which faction, the
    # word for the kind of answer is not missing from it, asked about a faction, it is
    which = _signals(council, "Which faction is Ann Smith in?")
    about = _signals(council, "Is Ann Smith in a faction?")
    row = next(quote for quote in which if "Ann Smith" in quote)
    assert which[row]["absent"] == 0.0 and about[row]["absent"] > 0
    # … and so is a compound ("What faction name …"), up to the question's verb
    assert _signals(council, "What faction name is Ann Smith under?")[row]["absent"] == 0.0


def test_a_line_that_sets_out_the_documents_title_is_a_heading() -> None:
    story = Document(doc_id="n", text="", source="n.txt",
                     title='Probation services "need to improve" (Northamptonshire inspection)')
    assert _titles('Probation services "need to improve"', story)  # the headline, quoted
    assert not _titles("Probation services need to improve their supervision.", story)
    assert not _titles("", story)


def test_who_is_speaking_is_read_from_the_label_that_opens_the_line() -> None:
    text = ("The Chair: Welcome.\nJulie Morgan AM: Thank you. The survey had 600 replies.\n"
            "No label opens this line. Nor this sentence.")
    later = text.index("The survey")
    assert _line_label(text, later) == set(roots(["julie", "morgan"]))
    assert _line_label(text, text.index("Julie")) == set()  # the unit holds its label
    assert _line_label(text, text.index("Nor this")) == set()


def test_a_transcripts_speaker_is_the_label_that_opens_their_turn() -> None:
    text = ("The Chair: Welcome. We start with item 1.\n"
            "Julie Morgan AM: Thank you. The survey had 600 replies.\n"
            "Hefin David AM: Was that enough? I doubt it.\n"
            "The Chair: Thank you both. Hefin David AM: one more point.\n"
            "Hefin David AM: The replies were late. Most came in May.\n"
            "RESOLVED: That the report be noted. The clerk to write.\n"
            "RESOLVED: That the budget be set. The clerk to publish it.\n"
            "Matters Arising: The bench is fixed. The bin is not.\n"
            "Hon. Bardish Kowal (Minister of Health): We bought masks. They came in May.\n"
            "Hon. Bardish Kowal: Gowns too. Most were made here.\n"
            "Summing up, Dame Glenys said: the service is poor. It must improve.\n"
            "Dame Glenys Stacey said:\nThe service is poor. It must improve.\n")

    def at(words: str) -> str | None:
        return speaker(text, text.index(words))

    assert at("The survey") == "Julie Morgan AM"  # named, though only once
    assert at("Julie Morgan AM") == "Julie Morgan AM"  # a unit opening the turn is theirs too
    assert at("We start") == "The Chair"  # a name in no register, but a recurring label
    assert at("I doubt") == "Hefin David AM"
    assert at("Most came") == "Hefin David AM"
    assert at("The clerk to write") is None  # written as no name is written
    assert at("The bin") is None  # opens one line and names nobody
    assert at("Hefin David AM: one") == "The Chair"  # the line's own label, not one inside it
    # a name in no register that opens two turns, once with the speaker's role
    assert at("They came") == "Hon. Bardish Kowal (Minister of Health)"
    assert at("Most were") == "Hon. Bardish Kowal"
    assert at("It must") is None  # reported speech: no speaker's label
    assert at("The service") is None  # a lead-in ending its line
    assert speaker("No label opens this line. Nor this sentence.", 26) is None


def test_an_answer_says_who_said_what_it_quotes_from_a_transcript(tmp_path: Path) -> None:
    answer, = _ask_over(tmp_path, {"committee.txt": (
        "Children and Young People Committee, transcript of the meeting of 4 March 2020\n\n"
        "Lynne Neagle AM: Welcome to the committee. We have questions on school transport.\n"
        "Kirsty Williams AM: Thank you, Chair. School transport for pupils over sixteen is "
        "not a statutory duty. Councils may still choose to provide free school transport "
        "to older pupils. Most councils in Wales charge a fee for it.\n"
        "Lynne Neagle AM: Thank you. We now turn to the school funding formula.\n")},
        "What did the minister say about free school transport for older pupils?")
    assert answer.answerable
    quoted = [c for c in answer.citations if "Councils may still" in c.quote]
    assert quoted and quoted[0].speaker == "Kirsty Williams AM"
    # named once (by the name the label gives), before the turn's first quote
    assert answer.answer.count("Kirsty Williams") == 1
    first = next(c for c in answer.citations if c.speaker == "Kirsty Williams AM")
    assert answer.answer.index("Kirsty Williams: ") < answer.answer.index(f"[{first.n}]")


def test_asked_what_someone_said_a_summary_quotes_their_turns(tmp_path: Path) -> None:
    turns = {"committee.txt": (
        "Children and Young People Committee, transcript of the meeting of 4 March 2020\n\n"
        "Lynne Neagle AM: School transport is our next topic. Parents tell us school transport "
        "for older pupils costs too much, and rural school transport is patchy.\n"
        "Kirsty Williams AM: School transport for pupils over sixteen is not a statutory duty. "
        "Councils may still choose to provide free school transport to older pupils. Rural "
        "routes are under review.\n"
        "Lynne Neagle AM: Thank you. We now turn to the school funding formula.\n")}
    question = "What did Kirsty Williams say about school transport for older pupils?"
    answer, = _ask_over(tmp_path, turns, question)
    assert answer.answerable and answer.citations
    assert {c.speaker for c in answer.citations} == {"Kirsty Williams AM"}
    # asked what was said, not by whom, the turns of both are the account
    (tmp_path / "other").mkdir()
    account, = _ask_over(tmp_path / "other", turns,
                         "What was said about school transport for older pupils?")
    assert {c.speaker for c in account.citations} >= {"Lynne Neagle AM", "Kirsty Williams AM"}


def _fit_script() -> ModuleType:
    path = Path(__file__).parents[1] / "scripts" / "fit_answer_model.py"
    spec = importlib.util.spec_from_file_location("fit_answer_model", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def test_the_refusal_threshold_answers_where_the_dev_set_cannot_tell_thresholds_apart() -> None:
    fit = _fit_script()
    # 100 answerable questions at 0.30; 99 unanswerable at 0.10 and one at 0.25: declining
    # from 0.26 instead of 0.11 catches that one question, no more
    scored = [(0.30, 1)] * 100 + [(0.10, 0)] * 99 + [(0.25, 0)]
    threshold, report = fit.best_threshold(scored)
    assert threshold == 0.11 and report["answerable_answered"] == 1.0
    # a clear gain is taken: with twenty at 0.25, declining from 0.26 catches all twenty
    scored = [(0.30, 1)] * 100 + [(0.10, 0)] * 80 + [(0.25, 0)] * 20
    assert fit.best_threshold(scored)[0] == 0.26


def test_a_question_naming_one_of_look_alike_documents_is_answered_from_it(
        tmp_path: Path) -> None:
    # two councils' reports share their wording; the question names Wessex, whose report
    # words the answer less like the question does than Barsetshire's, which never names it
    answer, = _ask_over(tmp_path, {
        f"{place}.html": f"<html><body><main><h1>Inspection of {place} children's services</h1>"
                         f"<p>{visit}</p><p>Leaders know their services well.</p></main></body></html>"
        for place, visit in (("Barsetshire", "Ofsted inspected children's services in May 2025."),
                             ("Wessex", "Inspection dates: 2 to 6 June 2024"))},
        "When did Ofsted inspect Wessex children's services?")
    assert answer.answerable and "June 2024" in answer.answer
    assert {c.title for c in answer.citations} == {"Inspection of Wessex children's services"}


def test_a_value_on_the_line_after_the_topic_is_read_with_it(tmp_path: Path) -> None:
    # a notice names each proposal on one line and gives its reference on the next; the
    # reference just before a proposal's line is the previous proposal's
    lane, lines = _ask_over(tmp_path, {"orders.txt": (
        "Traffic orders\n\nProposed zebra crossing: Hengrove Promenade\nRef PX-DJR-25-031\n"
        "Proposed bus lane: Bath Road, Brislington\nRef PX-BUS-24-007\n\n"
        "Proposed double yellow lines: Mill Lane, Bedminster\n\n"
        "Comments close on 12 January 2026.\n")},
        "What is the reference of the Bath Road bus lane proposal?",
        "What is the reference number for the Mill Lane yellow lines?")
    assert lane.answerable and "PX-BUS-24-007" in lane.answer
    assert "PX-DJR-25-031" not in lane.answer
    assert lane.citations[0].quote.startswith("Proposed bus lane")  # the topic, then the value
    assert not lines.answerable  # no line after it gives one


def test_a_records_value_a_few_lines_after_its_topic_is_read_with_it(tmp_path: Path) -> None:
    # a consultation page lists each proposal, its reference, then its dates
    zebra, lane = _ask_over(tmp_path, {"consultations.txt": (
        "Comment on traffic proposals\n\nProposed zebra crossing: Hengrove Promenade, Hengrove\n\n"
        "Ref PX-DJR-25-031\n\nThis consultation runs from 9 October to 29 October 2025.\n\n"
        "Proposed bus lane: Bath Road, Brislington\n\nRef PX-BUS-24-007\n\n"
        "Proposed crossing: Mill Lane\n\nThis consultation runs until 2 November 2025.\n")},
        "Until when can I comment on the Hengrove Promenade crossing?",
        "Until when can I comment on the Bath Road bus lane?")
    assert zebra.answerable and "29 October 2025" in zebra.answer
    assert zebra.citations[0].quote.startswith("Proposed zebra crossing")
    assert not lane.answerable  # no line of its record gives a date; the next record's does


def _ask_over(tmp_path: Path, files: dict[str, str], *questions: str) -> list[Answer]:
    """The answers to the questions over a folder of these files (name → text)."""
    folder = tmp_path / "documents"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    settings = Settings(index=tmp_path / "index", progress=False)
    ingest([folder], settings)
    assistant = Assistant(settings)
    answers = [assistant.ask(question) for question in questions]
    assistant.close()
    return answers


def test_a_question_in_the_plural_is_answered_with_each_unit_it_asks_for(
        tmp_path: Path) -> None:
    riverside, = _ask_over(tmp_path, {"wards.txt": (
        "Councillors by ward\n\nCouncillor Ann Smith, Green Party, Riverside ward.\n"
        "Councillor Bob Jones, Labour, Riverside ward.\n"
        "Councillor Cat Brown, Labour, Riverside ward.\n"
        "Councillor Dan Green, Labour, Hilltop ward.\n")},
        "Who are the councillors for Riverside ward?")
    assert all(name in riverside.answer for name in ("Ann Smith", "Bob Jones", "Cat Brown"))
    assert "Dan Green" not in riverside.answer


def test_a_councillor_written_cllr_is_the_councillor_a_question_asks_for(tmp_path: Path) -> None:
    # "Cllr" is how minutes write "councillor": it is the same word to the unit signals, and
    # as common as it is in either spelling
    assert roots(["Cllr", "cllrs"]) == roots(["councillor", "councillors"])
    answer, = _ask_over(tmp_path, {"minutes.txt": (
        "Parish council minutes\n\n"
        "Councillors discussed the allotment rent increase at length.\n\n"
        "The allotment rent increase was proposed by Cllr Hart and agreed.\n\n"
        "The clerk will write to the allotment holders.\n")},
        "Which councillor proposed the allotment rent increase?")
    best = max(answer.citations, key=lambda c: c.score)  # cited in document order
    assert answer.answerable and best.quote.startswith("The allotment rent increase was proposed")


def test_a_name_written_with_a_title_and_initials_is_a_name(tmp_path: Path) -> None:
    who = answer_type("Who is the clerk?")
    assert who is not None
    for sentence in ("Present: Cllr J Hart (Chair), Mrs N Cooper (Clerk).",
                     "Councillor Robert F Eaton, Liberal Democrats", "proposed by Dr. A. Patel",
                     "seconded by Cllr Kit Hesketh-Harvey"):
        assert who(sentence), sentence
    assert not who("The clerk read the notice.")
    # minutes that write their councillors "Cllr J Hart": the chair is the one named so
    answer, = _ask_over(tmp_path, {"minutes.md": (
        "# Ashby Parva Parish Council\n\nMinutes of the meeting held on Tuesday 4 March 2025.\n\n"
        "Present: Cllr J Hart (Chair), Cllr P Owen, Cllr S Lee.\n\n"
        "1. Internal audit. The council appointed Max Bergin as internal auditor for 2024/25.\n")},
        "Who chairs Ashby Parva Parish Council?")
    assert answer.answerable and "Cllr J Hart (Chair)" in answer.answer
    assert "Bergin" not in answer.answer


def test_a_records_value_is_read_past_the_end_of_the_passage_that_names_it() -> None:
    # the passage retrieved ends with the proposal; its reference opens the next chunk
    text = ("Comment on traffic proposals\n\nProposed zebra crossing: Hengrove Promenade\n\n"
            "Ref PX-DJR-25-031\n\nThis consultation runs from 9 October to 29 October 2025.\n")
    document = Document(doc_id="tro", text=text, source="tro.txt", title="Traffic proposals")
    end = text.index("\n\nRef")
    passage = Passage("tro", 0, end, text[:end], 1.0, None, None, None, document=document)
    question = "What is the reference number for the Hengrove Promenade crossing?"
    candidates = rank_candidates(question, [passage], lambda term: 1.0)
    topic, after = _value_after(question, candidates[0], candidates)
    assert topic.quote_text() == "Proposed zebra crossing: Hengrove Promenade"
    assert after.quote_text() == "Ref PX-DJR-25-031"
    asked_when = "Until when can I comment on the Hengrove Promenade crossing?"
    candidates = rank_candidates(asked_when, [passage], lambda term: 1.0)
    assert _value_after(asked_when, candidates[0], candidates)[1].quote_text().endswith("2025.")


@pytest.mark.parametrize("question, place", [
    ("Who won the Hillside ward by-election?", (1, True)),
    ("Who came second in Hillside?", (2, True)),
    ("Which candidate got the fewest votes?", (1, False)),
    ("Who came last?", (1, False)),
    ("Which ward had the second highest turnout?", (2, True)),
    ("What was the second item on the agenda?", None),
    ("Who chairs the audit committee?", None),
])
def test_a_question_asks_for_a_place_in_a_count_by_its_superlative_or_ordinal(
        question: str, place: tuple[int, bool] | None) -> None:
    asked = asks_place(question)
    assert (asked and (asked.nth, asked.top)) == place


# a results table as the HTML loader writes one: a row a line, blank lines between
RESULTS = ("Hillside ward by-election, 3 March 2026\n\nElectorate: 9,120\n\n"
           "Candidate: Amy Clarke; Party: Green Party; Votes: 311; Result: Not elected\n\n"
           "Candidate: Brian Doyle; Party: Labour; Votes: 1,204; Result: Elected\n\n"
           "Candidate: Carol Evans; Party: Conservative; Votes: 987; Result: Not elected\n\n"
           "Turnout: 27%\n")


def test_the_row_at_a_place_is_read_by_the_tables_count_column() -> None:
    def row(text: str, unit: str, place: Place) -> str | None:
        found = ranked_row(text, text.index(unit), place)
        return text[found[0]:found[1]] if found else None

    won, second, last, fourth = Place(1, True), Place(2, True), Place(1, False), Place(4, True)
    assert row(RESULTS, "Amy", won) == ("Candidate: Brian Doyle; Party: Labour; Votes: 1,204; "
                                        "Result: Elected")
    assert row(RESULTS, "Brian", second).startswith("Candidate: Carol Evans")
    assert row(RESULTS, "Brian", last).startswith("Candidate: Amy Clarke")
    assert row(RESULTS, "Amy", fourth) is None  # three rows
    assert row(RESULTS, "Electorate", won) is None  # no row of a table
    # asked of one ward, a table of every ward's candidates ranks that ward's
    wards = ("Candidate: Amy Clarke; Ward: Hillside; Votes: 311\n"
             "Candidate: Brian Doyle; Ward: Hillside; Votes: 1,204\n"
             "Candidate: Carol Evans; Ward: Riverside; Votes: 2,987\n")
    hillside = frozenset(roots(content_terms("Who won in Hillside ward?")))
    found = ranked_row(wards, wards.index("Amy"), won, hillside)
    assert found and wards[found[0]:found[1]].startswith("Candidate: Brian Doyle")
    # a year is no count; the levy is
    levies = "Year: 2017 | Levy: $32,120\nYear: 2018 | Levy: $40,000\nYear: 2016 | Levy: $1,000\n"
    assert row(levies, "2016", won) == "Year: 2018 | Levy: $40,000"
    # a list of candidates that counts nothing, and sentences with semicolons, rank nothing
    notice = ("Surname: Marshall; Other names: James; Description: Labour\n"
              "Surname: Duffin; Other names: Ann; Description: Scottish Green Party\n")
    assert row(notice, "Duffin", won) is None
    assert row("The clerk wrote 3 letters; all agreed\nThe chair thanked 12 people; done\n",
               "The clerk", won) is None


def test_who_won_or_came_second_is_answered_by_the_row_at_that_place(tmp_path: Path) -> None:
    # every row matches the question's words alike ("Hillside ward by-election")
    html = ("<html><head><title>Hillside ward by-election result</title></head><body>"
            "<h1>Hillside ward by-election, 3 March 2026</h1><table><tr><th>Candidate</th>"
            "<th>Party</th><th>Votes</th><th>Result</th></tr>" + "".join(
                f"<tr><td>{name}</td><td>{party}</td><td>{votes}</td><td>{result}</td></tr>"
                for name, party, votes, result in (
                    ("Amy Clarke", "Green Party", "311", "Not elected"),
                    ("Brian Doyle", "Labour", "1,204", "Elected"),
                    ("Carol Evans", "Conservative", "987", "Not elected"),
                    ("Dev Patel", "Liberal Democrats", "402", "Not elected")))
            + "</table></body></html>")
    won, second, fewest = _ask_over(
        tmp_path, {"hillside.html": html}, "Who won the Hillside ward by-election?",
        "Who came second in the Hillside ward by-election?",
        "Which candidate got the fewest votes in Hillside ward?")
    assert won.answerable and won.citations[0].quote.startswith("Candidate: Brian Doyle")
    assert len(won.citations) == 1
    # Quoted first, as the answer or the nearest passage: a "Who …?" question needs more to be
    # answered since names are read from given names (P 0.22, threshold 0.25, here; the real
    # Batley East one, kept-out ck104, is answered).
    assert second.citations[0].quote.startswith("Candidate: Carol Evans")
    assert fewest.answerable and fewest.citations[0].quote.startswith("Candidate: Amy Clarke")


@pytest.mark.parametrize("question, phrase", [
    ("What did West Dereham councillors say about the village pond?", "the village pond"),
    ("Summarise the discussion regarding school budgets.", "school budgets"),
    ("What was decided concerning the bus stop bench?", "the bus stop bench"),
    ("Summarise the December meeting.", None),
    ("Who chairs the audit committee?", None),
])
def test_what_a_question_asks_about_is_the_phrase_after_about(question: str,
                                                              phrase: str | None) -> None:
    assert asked_about(question) == phrase


@pytest.mark.parametrize("text, title, left", [
    ("the village shop at West Dereham", "West Dereham minutes", "the village shop at"),
    ("Summarise the Audit Committee's meeting.", "Audit Committee agenda",
     "Summarise the meeting."),
    ("the ditches", "West Dereham minutes", "the ditches"),
    ("West Dereham", "West Dereham minutes", "West Dereham"),
    ("Summarise the West Dereham minutes.", "West Dereham minutes",
     "Summarise the West Dereham minutes."),
])
def test_untitled_leaves_out_the_words_the_titles_name(text: str, title: str,
                                                       left: str) -> None:
    assert untitled(text, set(roots(content_terms(title)))) == left


def test_a_summary_style_questions_topic_is_compared_with_its_likeliest_units() -> None:
    text = ("Minutes of the West Dereham Parish Council meeting. The clerk reported on the "
            "ditches in Church Road. Councillors discussed the allotment hedges.")
    document = Document(doc_id="wd", text=text, source="wd.txt", title="West Dereham minutes")
    passage = Passage("wd", 0, len(text), text, 1.0, None, None, None, document=document)
    asked: list[str | None] = []

    def meaning(texts: list[str], about: str | None = None) -> list[float]:
        asked.append(about)  # near the whole question, far from "the village pond"
        return [0.2 if about else 0.7 + i / 100 for i, _ in enumerate(texts)]

    summary = "What did West Dereham councillors say about the village pond?"
    candidates = rank_candidates(summary, [passage], lambda term: 1.0, meaning=meaning)
    assert asked == [None, "the village pond"]
    assert {c.signals["topic"] for c in candidates} == {0.2}
    # the words naming what the document's title names say which document, not what about
    asked.clear()
    rank_candidates("What was said about the village pond at West Dereham?", [passage],
                    lambda term: 1.0, meaning=meaning)
    assert asked == [None, "the village pond at"]
    asked.clear()
    rank_candidates("Summarise the West Dereham meeting.", [passage], lambda term: 1.0,
                    meaning=meaning)
    assert asked == [None, "Summarise the meeting."]
    # with no phrase, and none of the title's words, the whole question is what it asks about
    asked.clear()
    whole = rank_candidates("Summarise the discussion of the ditches.", [passage],
                            lambda term: 1.0, meaning=meaning)
    nearest = max(c.signals["meaning"] for c in whole)
    assert asked == [None] and nearest > 0.6 and {c.signals["topic"] for c in whole} == {nearest}
    # a factual question asks for a value, not about a topic
    asked.clear()
    fact = rank_candidates("When did the clerk report on the ditches?", [passage],
                           lambda term: 1.0, meaning=meaning)
    assert asked == [None] and {c.signals["topic"] for c in fact} == {0.0}
