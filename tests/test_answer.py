from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag import Config, ask
from rag.answer import REFUSAL, retrieval_query
from rag.errors import InvalidQuestionError

from .conftest import ANSWER_FIELDS, NONNEWS, assert_verbatim, build_corpus


def test_real_model_answers_with_verbatim_numbered_citations(real_config: Config) -> None:
    answer = ask("Who replaced Sutskever as chief scientist?", config=real_config)
    assert answer.answerable
    assert "Pachocki" in answer.text
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", answer.text)]
    assert markers == list(range(1, len(answer.citations) + 1))
    for n, c in enumerate(answer.citations, start=1):
        assert f"{c.text} [{n}]" in answer.text  # each answer sentence is its cited span
    assert_verbatim(real_config.corpus_dir, answer.citations)


def test_real_model_answers_the_readme_question(real_config: Config) -> None:
    answer = ask("Who took over the superalignment team after Jan Leike left?", config=real_config)
    assert answer.answerable and "Schulman" in answer.text
    assert_verbatim(real_config.corpus_dir, answer.citations)


@pytest.mark.parametrize(
    "question",
    ["What is the capital of Australia?", "Who won the 2022 FIFA World Cup?", "How many moons does Mars have?"],
)
def test_real_model_refuses_off_corpus_questions(real_config: Config, question: str) -> None:
    answer = ask(question, config=real_config)
    assert not answer.answerable
    assert answer.text.startswith(REFUSAL) and answer.citations == []


def test_a_follow_up_uses_the_history(real_config: Config) -> None:
    alone = ask("When was it formed?", config=real_config)
    followed = ask("When was it formed?", history=["Who led the Superalignment team?"], config=real_config)
    assert followed.answerable and "July" in followed.text
    # The earlier question supplies what "it" is: the answer is sure of itself only with it.
    assert followed.confidence > alone.confidence + 0.3


@pytest.mark.parametrize(
    ("question", "history", "carried", "not_carried"),
    [
        # "him" after a who-question is the person who answered it
        (
            "What did Altman say he expects him to deliver?",
            ["Who replaced Ilya Sutskever as chief scientist?"],
            {"Pachocki", "Sutskever"},
            set(),
        ),
        # "he" after a question about someone stays that someone, whatever the answer names
        (
            "Which framework did he point to?",
            ["How did Greg Brockman respond to Leike's criticism?"],
            {"Brockman"},
            {"Altman"},
        ),
        # the subject is carried through a chain of follow-ups, not the places an answer names
        (
            "What did commenters conclude was keeping him quiet?",
            ["Who is William Saunders?", "Where did he post about his work at OpenAI?"],
            {"Saunders"},
            {"Forums"},
        ),
        # "it" after a question answered by a thing is that thing
        (
            "How long can the videos it generates be?",
            ["What video generation tool did OpenAI reveal in February?"],
            {"Sora"},
            set(),
        ),
        # a self-contained question is not polluted
        ("Who is Jakub Pachocki?", ["Why did Jan Leike quit OpenAI?"], set(), {"Leike"}),
    ],
)
def test_follow_ups_carry_what_they_refer_to(
    real_config: Config, question: str, history: list[str], carried: set[str], not_carried: set[str]
) -> None:
    words = set(retrieval_query(question, history, real_config).split())
    assert carried <= words
    assert not (not_carried & words)


def test_answers_are_short(real_config: Config) -> None:
    answer = ask("What share of its compute did OpenAI promise to superalignment?", config=real_config)
    assert answer.answerable and "20%" in answer.text
    assert len(answer.citations) <= 3 and len(answer.text) < 800


def test_every_citation_is_verbatim_for_many_questions(built: Config) -> None:
    for q in ["Who is Jakub Pachocki?", "Why did Leike resign?", "What is GPT-4o?", "Sora", "Brockman CTO"]:
        assert_verbatim(built.corpus_dir, ask(q, config=built).citations)


def test_empty_question_is_an_error_and_huge_question_is_handled(built: Config) -> None:
    with pytest.raises(InvalidQuestionError):
        ask("   ", config=built)
    answer = ask("x" * 100_000, config=built)
    assert isinstance(answer.answerable, bool)
    assert_verbatim(built.corpus_dir, answer.citations)


def test_to_dict_has_exactly_the_documented_fields(built: Config) -> None:
    d = ask("Who replaced Sutskever?", config=built).to_dict()
    assert set(d) == ANSWER_FIELDS
    for c in d["citations"]:
        assert set(c) == {"source", "title", "start", "end", "text", "outlet", "date", "author", "page", "chunk_id"}


def test_answers_from_a_corpus_that_is_not_news(other_corpus: Config) -> None:
    for question, expected, source in [
        ("How many days of paid leave do full-time employees accrue per year?", "25 days", "policy_leave.txt"),
        ("Who approves credit card expenses?", "cardholder's manager", "policy_expenses.txt"),
        ("How many days a week may employees work from home?", "three days a week", "policy_remote.txt"),
    ]:
        answer = ask(question, config=other_corpus)
        assert answer.answerable and expected in answer.text, (question, answer.text)
        assert answer.citations[0].source == source
        assert_verbatim(other_corpus.corpus_dir, answer.citations)
    refused = ask("What is the boiling point of tungsten?", config=other_corpus)
    assert not refused.answerable and refused.citations == [] and "tungsten" in refused.text


def test_a_heading_of_the_question_words_names_no_one_new(policy_folder: Config) -> None:
    answer = ask("Who reviews the data retention policy?", config=policy_folder)
    assert answer.answerable
    assert answer.citations[0].text == "This policy is reviewed every year by the data protection officer."
    assert_verbatim(policy_folder.corpus_dir, answer.citations)


def test_a_sentence_of_only_the_question_words_is_no_answer(policy_folder: Config) -> None:
    answer = ask("What happens if I break the code of conduct?", config=policy_folder)  # not the title line
    breaches = "Breaches of this code may lead to disciplinary action, up to and including dismissal."
    assert answer.citations[0].text == breaches


def test_a_refusal_names_the_missing_kind_of_answer(policy_folder: Config) -> None:
    answer = ask("How old must you be to use the company car?", config=policy_folder)
    assert answer.text == f"{REFUSAL} They give no age." and answer.citations == []


def test_how_often_answers_when(policy_folder: Config) -> None:
    answer = ask("When is the data retention policy reviewed?", config=policy_folder)
    assert answer.citations[0].text == "This policy is reviewed every year by the data protection officer."


def test_the_sentence_after_the_best_is_quoted_with_it_when_close_behind(tmp_path: Path) -> None:
    """The best sentence says the commission was formed; the next one, scoring close behind
    it, says what it did: the two are quoted as one passage (rag.answer.ADJACENT_SHARE)."""
    text = (NONNEWS / "squad_kenya_education.txt").read_text(encoding="utf-8")
    config = build_corpus(tmp_path, {"kenya.txt": text}, embedder="minilm")
    answer = ask("What did the Ominde Commission do?", config=config)
    assert len(answer.citations) == 1
    assert answer.citations[0].text.startswith("After Kenya's independence on 12 December 1963")
    assert answer.citations[0].text.endswith("which were critical issues at the time.")
    assert "focused on identity and unity" in answer.text
    assert_verbatim(config.corpus_dir, answer.citations)


def test_a_time_without_a_date_answers_when(tmp_path: Path) -> None:
    """The best sentence answers "when" with an event, not a date; a sentence with a date
    that scores far lower is no answer (rag.answer.TYPED_SHARE)."""
    text = (NONNEWS / "squad_warsaw_history.txt").read_text(encoding="utf-8")
    config = build_corpus(tmp_path, {"warsaw.txt": text}, embedder="minilm")
    answer = ask("When was Warsaw completely razed to the ground by bombing raids?", config=config)
    assert answer.citations[0].text.startswith("During the Second World War, Warsaw was razed")
    assert_verbatim(config.corpus_dir, answer.citations)


TOWN = (
    "Millbrook\n\n"
    "Millbrook is a market town on the river Lune. In 1900 the town had a population of 4,000 people, most of"
    " whom worked in its two cotton mills. The railway reached Millbrook in 1865, and a second station opened"
    " in 1911. The mills closed in 1968, and the population fell by a third over the next decade.\n"
)


def test_a_year_the_passages_never_name_is_refused(tmp_path: Path) -> None:
    """A question about 1950 is not answered by the passage about 1900, nor by a passage
    that only shares the year (rag.answer.in_asked_years); the same question about 1900 is."""
    club = "Millbrook Rovers\n\nThe football club was founded in 1950 and plays its home games in red shirts.\n"
    config = build_corpus(tmp_path, {"millbrook.txt": TOWN, "rovers.txt": club}, embedder="minilm")
    answer = ask("What was the population of Millbrook in 1900?", config=config)
    assert answer.answerable and "4,000 people" in answer.text
    assert_verbatim(config.corpus_dir, answer.citations)
    refused = ask("What was the population of Millbrook in 1950?", config=config)
    assert not refused.answerable and refused.citations == []
    assert refused.text.startswith(REFUSAL)


def test_a_refusal_names_the_year_no_passage_found_names(policy_folder: Config) -> None:
    """2022 is in the folder (an expenses policy), not in the leave passages found for the question."""
    answer = ask("How many days of annual leave did staff get in 2022?", config=policy_folder)
    assert not answer.answerable
    assert answer.text == f"{REFUSAL} None of the passages found for it mention 2022."


def test_the_questions_own_number_is_no_answer_to_it(tmp_path: Path) -> None:
    """A sentence whose only number is the year the question names does not hold the count
    asked for (rag.question.AnswerType.values): the articles give no number."""
    bridge = "The Lune Bridge\n\nThe Lune Bridge was rebuilt in 1932 after the great flood of that spring.\n"
    ferry = "The Lune Ferry\n\nBefore the bridge, a ferry carried people across the river from the market square.\n"
    config = build_corpus(tmp_path, {"bridge.txt": bridge, "ferry.txt": ferry}, embedder="minilm")
    refused = ask("How many people crossed the Lune Bridge in 1932?", config=config)
    assert not refused.answerable and refused.citations == []
    assert refused.text.endswith("give no number.")
    answered = ask("In what year was the Lune Bridge rebuilt?", config=config)
    assert answered.answerable and "rebuilt in 1932" in answered.text
