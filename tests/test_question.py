"""Answer types are general English patterns, tested on text that is not from the seeds."""

from __future__ import annotations

import pytest

from rag.demonyms import DEMONYMS
from rag.question import AnswerType, asked_years, asks_when, expected_type, names_year


def _type(question: str) -> AnswerType:
    found = expected_type(question)
    assert found is not None, question
    return found


def _answers(question: str, sentence: str) -> bool:
    return _type(question).pattern.search(sentence) is not None


@pytest.mark.parametrize(
    "sentence",
    [
        "The engineer, a Peruvian, moved to Lima last year.",
        "She is a Kazakh climber who trained in the Alps.",
        "The Ghanaian minister opened the port.",
        "A New Zealander won the race.",
        "He was born in Lyon and studied in Geneva.",
        "She became a citizen of Portugal in 2019.",
        "The Bissau-Guinean team arrived first.",
    ],
)
def test_nationality_answers(sentence: str) -> None:
    assert _answers("What nationality is the winner?", sentence)


@pytest.mark.parametrize(
    "sentence",
    ["The winner trained for years in the mountains.", "He spoke polish and chinese poorly, he joked.", "Mark it."],
)
def test_non_nationality_sentences(sentence: str) -> None:
    assert not _answers("What nationality is the winner?", sentence)


def test_demonyms_cover_the_world_not_a_corpus() -> None:
    assert len(DEMONYMS) > 200
    for word in ("Bhutanese", "Chilean", "Malagasy", "Tuvaluan", "Zimbabwean", "Icelandic", "Emirati"):
        assert word in DEMONYMS
    assert _type("Where was the architect born?").name == "nationality"
    assert _type("What country is the founder from?").name == "nationality"


@pytest.mark.parametrize(
    "sentence",
    [
        "The 37-year-old engineer joined in March.",
        "The climber, aged 52, reached the summit.",
        "Applicants must be age 18 or over.",
        "Maria Lopez, 41, runs the bakery on Elm Street.",
        "He retired at 65, after four decades at the mill.",
        "She learned to sail at the age of 12.",
        "He is 70 years old and still works.",
        "The skull belongs to a 1.6-million-year-old fossil.",
    ],
)
def test_age_answers(sentence: str) -> None:
    assert _answers("How old is the engineer?", sentence)


@pytest.mark.parametrize(
    "sentence",
    ["The meeting starts at 7:30 in the main hall.", "The shop opens at 9 a.m. daily.", "There were 12 sites."],
)
def test_times_and_counts_are_no_age(sentence: str) -> None:
    assert not _answers("How old is the engineer?", sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "The bridge reopened on 17 May 2024.",
        "The bridge reopened on May 17, 2024.",
        "The bridge reopened on 2024-05-17.",
        "The bridge reopened on 17/05/2024.",
        "The bridge reopened in 1998.",
        "The bridge reopened on Tuesday.",
        "The bridge reopened at 7:30.",
        "The bridge reopened at 9 a.m.",
        "The bridge reopened at noon.",
        "The bridge reopened three weeks ago.",
        "The bridge reopened on Sept 4 after repairs.",
    ],
)
def test_date_and_time_answers(sentence: str) -> None:
    assert _answers("When did the bridge reopen?", sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Employees may take leave with approval.",
        "The bridge reopened after repairs.",
        "It carries 3000 cars.",
        "The bridge stayed open during repairs.",
    ],
)
def test_non_date_sentences(sentence: str) -> None:
    assert not _answers("When did the bridge reopen?", sentence)


def test_time_questions_expect_a_date_or_time() -> None:
    for question in ("What time does the shop open?", "At what time does the shop open?", "When is the meeting?"):
        assert _type(question).name == "date"


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("When did the board vote?", True),
        ("Who founded the studio, and when?", True),
        ("Since when has she led the team?", True),
        ("The plant closed when?", True),
        ("When did Jane Doe, who led the team, resign?", True),
        ("What was he charged with when he was arrested?", False),  # "when" opens a clause
        ("When the law is the target of a protest, what is it called?", False),
        ("What did the minister say when she resigned?", False),
    ],
)
def test_when_asks_for_a_time_only_as_a_question_word(question: str, asks: bool) -> None:
    assert asks_when(question) is asks
    found = expected_type(question)
    assert (found is not None and found.name == "date") is asks


@pytest.mark.parametrize(
    "answer",
    [
        "The cathedral was built in the 14th century.",
        "Lace making spread in the first half of the eighteenth century.",
        "Farming reached the coast by the first millennium AD.",
        "The first paperbacks appeared in the mid-sixties.",
        "A lost laptop must be reported to the service desk within one hour.",
        "Requests are made at least two weeks in advance.",
        "Recordings are overwritten automatically after 30 days.",
        "Incidents are reported immediately.",
        "This policy is reviewed every year by the data protection officer.",
        "The accounts are audited annually.",
        "During the Second World War, the old town was razed to the ground.",
        "The basin split during the mid-Eocene.",
        "The rivalry is put aside every two years.",
        "The rituals were held at night.",
        "The forest could be lost by 2100.",
    ],
)
def test_centuries_decades_and_deadlines_answer_when(answer: str) -> None:
    found = expected_type("When was it done?")
    assert found is not None and found.pattern.search(answer)


def test_durations_and_ages_do_not_answer_when() -> None:
    found = expected_type("When was it done?")
    assert found is not None
    assert not found.pattern.search("She worked there for five years.")
    assert not found.pattern.search("He is in his sixties.")


@pytest.mark.parametrize(
    "answer",
    [
        "He moved to the capital when he was seven months old.",
        "She retired at the age of sixty-five.",
        "The founder, now in his early sixties, stepped down.",
        "A 37-year-old engineer joined the board.",
    ],
)
def test_ages_in_words_answer_how_old(answer: str) -> None:
    assert _type("How old was she?").pattern.search(answer)


def test_an_age_is_not_any_decade() -> None:
    assert not _type("How old was she?").pattern.search("The band was famous in the sixties.")


def test_twice_answers_how_many_times() -> None:
    assert _type("How many times did the club win the cup?").pattern.search("The club won the cup twice.")


def test_a_unit_word_alone_is_no_count() -> None:
    assert not _answers("How many sick days do I get?", "Staff may convert those days into sick leave.")
    assert _answers("How many lakes are there?", "There are also several lakes in the city.")
    assert _answers("How many days of leave do I get?", "Staff accrue 25 days of leave a year.")
    assert _answers("How long does the warranty last?", "The warranty lasts a year.")
    assert _answers("How long did the siege last?", "The siege went on for months.")


def test_asked_years_are_years_of_their_own_not_decades() -> None:
    assert asked_years("What share of the city was Jewish in 1897?") == ["1897"]
    assert asked_years("What happened between 1973 and 1974, and again in 1973?") == ["1973", "1974"]
    assert asked_years("How did the city change in the 1970s?") == []
    assert asked_years("How many of its 2,500 workers left in 2300?") == []
    assert asked_years("What did the 747 replace?") == []
    assert names_year("The price increases of 1973–1974 returned", "1974")
    assert not names_year("It cost 19745 dollars", "1974")


def test_a_value_is_the_whole_words_it_lies_in() -> None:
    how_many = _type("How many people lived in the town in 1939?")
    assert how_many.values("How many people lived in the town in 1939?") == {"1939"}
    assert how_many.values("In 1939 it had 1,300,000 people (1939 census).") == {"1939", "1,300,000"}
    assert how_many.values("The war (1939–1945) emptied it.") == {"1939–1945"}
    assert _type("How long does the warranty last?").values("The warranty lasts a year.") == {"a year"}


def test_one_is_a_count_only_when_it_counts() -> None:
    for pronoun in (
        "The crew is one of the top teams in the country.",
        "No one was hurt in the fire.",
        "Within the park one can still find old trees.",
        "The old one was torn down.",
    ):
        assert not _answers("How many bridges survived the flood?", pronoun), pronoun
    for count in ("Only one bridge survived the flood.", "One person died.", "It was rebuilt in one year."):
        assert _answers("How many bridges survived the flood?", count), count
