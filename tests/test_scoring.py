"""The fitted answerer models: plain-data parameters, deterministic fitting, and answers
and refusals on a corpus that is not news (the real bundled model)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rag import Config, ask
from rag.answer import REFUSAL, SPREAD_NONE, _spread, candidates
from rag.scoring import (
    ANSWERABILITY_FEATURES,
    MODEL_FILE,
    RERANK_FEATURES,
    SENTENCE_FEATURES,
    fit_logistic,
    load_models,
)

from .conftest import assert_verbatim, build_corpus

POLICIES = {
    "leave.md": (
        "# Annual leave policy\n\n"
        "Full-time employees receive 25 days of paid annual leave per calendar year.\n"
        "Leave accrues monthly at a rate of 2.08 days per month of service.\n"
        "Unused leave of up to five days may be carried over into the following year.\n"
        "Requests for leave longer than two weeks must be approved by a line manager.\n"
    ),
    "expenses.txt": (
        "Expense policy\n\n"
        "Employees are reimbursed for travel booked through the company portal.\n"
        "Credit card statements must be submitted within 30 days of the purchase.\n"
        "Meals during business travel are reimbursed up to 60 euros per day.\n"
    ),
    "security.txt": (
        "Information security policy\n\n"
        "Laptops must use full-disk encryption and lock after ten minutes of inactivity.\n"
        "Passwords are rotated every 90 days and must be at least 14 characters long.\n"
        "Security incidents are reported to the IT help desk within one hour.\n"
    ),
}


def test_parameters_are_plain_data_for_the_current_features() -> None:
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    assert MODEL_FILE.stat().st_size < 25_000_000
    assert data["sentence"]["features"] == list(SENTENCE_FEATURES)
    assert data["answerable"]["features"] == list(ANSWERABILITY_FEATURES)
    assert data["rerank"]["features"] == list(RERANK_FEATURES)
    assert data["rerank"]["weights"][1] > 0  # the reader's logit counts for the answering sentence
    assert "i % 3 == 1" in data["about"]["data"]  # fitted on the fitting split, not the seeds
    models = load_models()
    assert 0 < models.refuse_below < 1
    # a conflict's witness may rank further below the best sentence than a quoted runner-up
    assert 0 < models.plausible_above < models.second_above <= 1
    assert all(np.isfinite(models.sentence.weights)) and all(np.isfinite(models.answerable.weights))


def test_logistic_fit_is_deterministic_and_finds_the_signal() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    y = (x[:, 0] - 0.5 * x[:, 2] > 0).astype(float)
    a = fit_logistic(x, y, ("a", "b", "c"))
    b = fit_logistic(x, y, ("a", "b", "c"))
    assert np.array_equal(a.weights, b.weights)
    assert a.weights[0] > 1 and a.weights[2] < -0.5 and abs(a.weights[1]) < 0.5
    assert ((a.logits(x) > 0) == (y > 0)).mean() > 0.95


def test_conditional_logit_ranks_the_labelled_row_first() -> None:
    rng = np.random.default_rng(1)
    rows, labels, groups = [], [], []
    for g in range(60):
        x = rng.normal(size=(8, 2))
        best = int(np.argmax(x[:, 1]))  # the answer is the row with the largest second feature
        rows.append(x)
        labels.append(np.eye(8)[best])
        groups.append(np.full(8, g))
    model = fit_logistic(np.vstack(rows), np.concatenate(labels), ("noise", "signal"), groups=np.concatenate(groups))
    assert model.weights[1] > 3 * abs(model.weights[0])


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> tuple[Config, Path]:
    """Three company policies (no news at all), indexed with the real model."""
    cfg = build_corpus(tmp_path_factory.mktemp("policies"), POLICIES, embedder="minilm")
    corpus = cfg.corpus_dir
    return cfg, corpus


def test_answers_from_a_non_news_corpus_with_a_verbatim_citation(policies: tuple[Config, Path]) -> None:
    cfg, corpus = policies
    answer = ask("How long must passwords be?", config=cfg)
    assert answer.answerable and "14 characters" in answer.text
    assert answer.confidence >= load_models().refuse_below
    assert_verbatim(corpus, answer.citations)


@pytest.mark.parametrize(
    "question",
    [
        "What year was the decision made to cancel Apollo missions 18 and 19?",
        "Who painted the ceiling of the Sistine Chapel?",
        "What is the boiling point of ethanol?",
    ],
)
def test_refuses_questions_whose_topic_is_absent(policies: tuple[Config, Path], question: str) -> None:
    answer = ask(question, config=policies[0])
    assert not answer.answerable and answer.citations == []
    assert answer.text.startswith(REFUSAL)


def test_a_refusal_says_what_is_missing(policies: tuple[Config, Path]) -> None:
    answer = ask("Who painted the ceiling of the Sistine Chapel?", config=policies[0])
    assert not answer.answerable
    assert "never mention" in answer.text and ("Sistine" in answer.text or "Chapel" in answer.text)


def test_a_refusal_names_what_was_asked_about_not_how(policies: tuple[Config, Path]) -> None:
    answer = ask("How much does a submarine cost?", config=policies[0])
    assert answer.text.startswith(f"{REFUSAL} They never mention “submarine”")
    assert "“much”" not in answer.text  # "how much" frames the question; it is not what was asked about


STAFF = {
    "people.txt": (
        "Staff directory\n\n"
        "Ingrid Vasquez leads the security team and approves every new laptop.\n"
        "Tomas Lindqvist runs the finance office and signs off on expense claims.\n"
        "The finance office is on the third floor, next to the security team.\n"
    ),
}


@pytest.fixture(scope="module")
def staff(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return build_corpus(tmp_path_factory.mktemp("staff"), STAFF)


def test_a_misspelled_name_counts_as_the_name(staff: Config) -> None:
    """The features read a sound-alike of a question's name as that name: a misspelling
    in the question scores the right sentence as well as the right spelling does."""
    right = candidates("What does Tomas Lindqvist sign off on?", [], staff)
    typo = candidates("What does Tomas Lindkvist sign off on?", [], staff)
    best = {c.text: c.features for c in right}
    top = max(typo, key=lambda c: c.logit)
    assert top.text.startswith("Tomas Lindqvist runs")
    assert top.features["matched"] == best[top.text]["matched"] > 0.5
    assert top.features["local"] == pytest.approx(best[top.text]["local"])


def test_features_compare_a_sentence_with_the_others(staff: Config) -> None:
    found = candidates("Who signs off on expense claims in the finance office?", [], staff)
    top = max(found, key=lambda c: c.logit)
    assert top.text.startswith("Tomas Lindqvist")
    assert top.features["coverage_gap"] == 0.0 and top.features["coverage_rank"] == 1.0
    others = [c for c in found if c is not top]
    assert all(c.features["coverage_gap"] < 0 for c in others if c.features["coverage"] < top.features["coverage"])
    # "finance office" is in two sentences, "expense claims" in one: the rarer terms weigh more locally
    floor = next(c for c in found if c.text.startswith("The finance office"))
    assert floor.features["local"] < top.features["local"]


def test_spread_measures_how_close_the_question_terms_stand() -> None:
    own = {"leave", "approv"}
    assert _spread(["leave", "approv", "manag"], own) == 1.0
    assert _spread(["leave", "x", "y", "z", "approv"], own) == 2.5
    assert _spread(["leave"], own) == SPREAD_NONE
