"""Conflicts and corroboration on corpora that are not the seed articles."""

from __future__ import annotations

from pathlib import Path

from rag import Config, ask
from rag.evidence import dates, key_terms, normalise_titles, quantities, quantity_of, titles, values, versions

from .conftest import assert_verbatim, build_corpus


def _corpus(tmp_path: Path, files: dict[str, str]) -> Config:
    return build_corpus(tmp_path, files)


POLICY = {
    "leave.txt": (
        "Annual Leave Policy\n\n"
        "Full-time employees receive 25 days of annual leave per year. "
        "Requests for annual leave should be made two weeks in advance.\n\n"
        "Birth parents get 20 weeks of paid parental leave.\n"
    ),
    "payroll.txt": (
        "Payroll Handbook\n\n"
        "Annual leave accrues at 2.08 days per month of service. "
        "Salaries are paid on the last working day of the month.\n\n"
        "Other parents get 12 weeks of paid parental leave.\n"
    ),
    "expenses.txt": (
        "Expenses Guide\n\nTravel expenses are reimbursed within 30 days of a claim. Receipts must be kept for audit.\n"
    ),
}


def test_a_rate_is_no_rival_to_a_total(tmp_path: Path) -> None:
    config = _corpus(tmp_path, POLICY)
    answer = ask("How many days of annual leave do employees get?", config=config)
    assert answer.answerable and answer.conflicts == []
    assert "25 days" in answer.text and "2.08" not in answer.text
    assert not answer.text.startswith("The articles disagree")
    assert_verbatim(config.corpus_dir, answer.citations)


def test_another_subject_qualifier_is_no_rival(tmp_path: Path) -> None:
    config = _corpus(tmp_path, POLICY)
    answer = ask("How many weeks of parental leave do birth parents get?", config=config)
    assert answer.answerable and answer.conflicts == []
    assert "20 weeks" in answer.text and "12 weeks" not in answer.text
    assert answer.supported_by == ["leave.txt"]  # "other parents" does not corroborate "birth parents"
    assert_verbatim(config.corpus_dir, answer.citations)


def test_values_about_nothing_the_question_names_are_no_conflict(policy_folder: Config) -> None:
    # the closest sentences are a gift limit (50 euros) and a receipt threshold (25 euros)
    answer = ask("How much can I spend on a hotel?", config=policy_folder)
    assert answer.conflicts == []
    assert not answer.text.startswith("The articles disagree")


def test_a_deadline_answers_when(policy_folder: Config) -> None:
    answer = ask("When must a lost laptop be reported?", config=policy_folder)
    assert answer.answerable and "within one hour" in answer.text
    assert_verbatim(policy_folder.corpus_dir, answer.citations)


def test_two_years_in_one_document_are_no_conflict(tmp_path: Path) -> None:
    config = _corpus(
        tmp_path,
        {
            "hymns.txt": (
                "The Zorbel hymnal was first printed in 1524 with eight hymns. "
                "A second Zorbel edition followed in 1525 with more hymns.\n"
            ),
            "other.txt": "Unrelated zyx text about gardening and the weather in spring.\n",
        },
    )
    answer = ask("How many hymns did the Zorbel hymnal have?", config=config)
    assert answer.answerable and answer.conflicts == []
    assert not answer.text.startswith("The articles disagree")
    assert_verbatim(config.corpus_dir, answer.citations)


ELECTION = {
    "herald.txt": (
        "Glenmoor Herald\n\n"
        "Mayor Odalys Brenner resigned on March 3, 2031, after a long dispute with the council. "
        "The council will meet next week.\n"
    ),
    "gazette.txt": (
        "Glenmoor Gazette\n\n"
        "Odalys Brenner resigned on 5 March 2031, the council confirmed. "
        "Her deputy takes over until an election.\n"
    ),
    "weather.txt": "Rain is expected across the valley for most of the week, with some sun on Sunday.\n",
}


def test_two_outlets_with_different_dates_of_one_event_disagree(tmp_path: Path) -> None:
    config = _corpus(tmp_path, ELECTION)
    answer = ask("On what date did Odalys Brenner resign?", config=config)
    by_value = {v.value: v.sources for v in answer.conflicts}
    assert by_value == {"March 3": ["herald.txt"], "March 5": ["gazette.txt"]}
    assert answer.text.startswith("The articles disagree.")
    assert {c.source for c in answer.citations} == {"herald.txt", "gazette.txt"}
    assert_verbatim(config.corpus_dir, answer.citations)


def test_head_scientist_corroborates_chief_scientist_by_title(tmp_path: Path) -> None:
    config = _corpus(
        tmp_path,
        {
            "a.txt": "Quantix Daily\n\nMarisol Okonkwo was named chief scientist of Quantix after Tobias Frey left.\n",
            "b.txt": "Lab Weekly\n\nFrey left Quantix in June. He is succeeded by Marisol Okonkwo as head scientist.\n",
            "c.txt": "Garden Notes\n\nMarisol Okonkwo also grows tomatoes and beans every summer.\n",
        },
    )
    answer = ask("Who became chief scientist of Quantix after Tobias Frey?", config=config)
    assert "Okonkwo" in answer.text
    assert answer.supported_by == ["a.txt", "b.txt"]  # not c.txt: it names her, not the job
    line = answer.support_line()
    assert line.startswith("Reported by 2 of 3 articles: “Quantix Daily”")
    assert "“Lab Weekly”" in line and ".txt" not in line


def test_dates_are_read_in_one_form() -> None:
    assert dates("She left on 17 May 2024.") == dates("She left on May 17.") == {"May 17"}
    assert dates("Filed 2024-05-17; heard May 17th, 2024.") == {"May 17"}
    assert values("It opened on 3 March.", "date") == {"March 3"}


def test_quantities_keep_their_unit_and_rate() -> None:
    text = "Staff get 25 days of annual leave per year, accruing 2.08 days per month."
    assert quantities(text) == {"25 days per year", "2.08 days per month"}
    assert quantity_of("25 days per year") != quantity_of("2.08 days per month")
    assert quantities("The hymnal of 1525 had 40 hymns.", "How many hymns were there?") == {"40 hymns"}
    assert quantities("It was printed in 1525.", "How many hymns were there?") == set()  # a year, not a count
    assert quantities("It won 20% of the vote.") == {"20%"}
    found = [("a", "25 days per year", {"25 days per year"}), ("b", "2.08 days per month", {"2.08 days per month"})]
    assert versions("number", found) == []
    same_doc = [("a", "8 hymns", {"8 hymns"}), ("a", "12 hymns", {"12 hymns"})]
    assert versions("number", same_doc) == []  # two values in one document are two facts


def test_job_titles_are_read_by_pattern() -> None:
    def found(text: str) -> list[str]:
        return [t for _, _, t in titles(text)]

    assert found("Chief Financial Officer Ana Ruiz") == ["CFO"]
    assert found("the company's former chief operating officer") == ["COO"]
    assert found("deputy editor Tom Vale and vice president Li Na") == ["deputy editor", "vice president"]
    assert found("senior software engineer Kim Park") == ["senior software engineer"]
    assert found("a prominent researcher and an engineer") == []  # no rank or field: no title
    assert found("Chairman Bo Ek") == ["chair"]
    assert found("the board voted to fire CEO Ana Ruiz") == ["CEO"]
    assert values("Ana Ruiz, the head engineer at Dyno, said", "title", ["Ruiz"]) == {"chief engineer"}
    assert values("Bo Ek, CFO of Dyno, thanked Ana Ruiz", "title", ["Ruiz"]) == set()  # Ek's title
    assert normalise_titles("He was chief executive officer.") == "He was CEO."
    assert key_terms("How many weeks of parental leave do birth parents get?") == {"parent", "leav", "birth"}
