"""The llm answerer's check rejects a sentence that contradicts its citation: other
names (the first word too), numbers and dates, negation, antonyms, order words and
swapped roles. Measured on tests/data/grounding_contradictions.jsonl (also by
``python benchmarks/grounding_contradictions.py``)."""

from __future__ import annotations

import sys

import pytest

from rag import Passage
from rag.contradiction import contradiction
from rag.embedding import get_embedder
from rag.grounding import check

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from grounding_contradictions import figures, load_cases, run

CITED = "Pachocki was appointed as chief scientist upon Sutskever's resignation."
PASSAGE = Passage("003.txt", "T", 2240, 2240 + len(CITED), CITED, 1.0)


@pytest.mark.parametrize(
    "claim",
    [  # the rewrites of the issue, each kept and cited to this sentence before
        "Altman was appointed as chief scientist upon Sutskever's resignation.",
        "Leike was appointed as chief scientist upon Sutskever's resignation.",
        "Pachocki was never appointed as chief scientist upon Sutskever's resignation.",
        "Pachocki was fired as chief scientist upon Sutskever's resignation.",
        "Pachocki was appointed as chief scientist before Sutskever's resignation.",
        "Sutskever was appointed as chief scientist upon Pachocki's resignation.",
    ],
)
def test_contradictions_of_the_cited_sentence_are_removed(claim: str) -> None:
    [result] = check(f"{claim} [1]", [PASSAGE], get_embedder("minilm"), "Who replaced Sutskever as chief scientist?")
    assert not result.supported and result.reason


def test_supported_rewrites_are_kept_and_cite_the_article_span() -> None:
    for claim in [
        "After Sutskever resigned, Pachocki was appointed chief scientist.",
        "Sutskever resigned before Pachocki was appointed chief scientist.",
        "Pachocki became chief scientist upon Sutskever's resignation.",
    ]:
        [result] = check(f"{claim} [1]", [PASSAGE], get_embedder("minilm"), "Who replaced Sutskever?")
        assert result.support is not None, (claim, result.reason)
        cited = result.support
        assert (cited.source, cited.start, cited.end, cited.text) == (PASSAGE.source, PASSAGE.start, PASSAGE.end, CITED)
        assert cited.passage == PASSAGE


def test_the_contradiction_set_keeps_no_contradiction_and_few_supported_sentences_are_lost() -> None:
    results = run(load_cases())
    f = figures(results)
    kept = [r.case.claim for r in results if r.kept and r.case.kind != "supported"]
    assert f["contradictions"] >= 200 and f["supported"] >= 80
    per_kind = f["per_kind"]
    assert isinstance(per_kind, dict)
    assert all(sum(per_kind[k].values()) >= 20 for k in ("name", "number", "negation", "antonym", "order", "role"))
    assert kept == []
    assert f["supported_removed"] <= 0.10 * f["supported"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("claim", "why"),
    [
        ("Tom Baker was appointed chief engineer in 2019.", "makes Tom Baker the one"),
        ("Maria Lopez was never named chief engineer.", "negates"),
        ("Maria Lopez was dismissed as chief engineer after Tom Baker resigned.", "says “dismissed”"),
        ("Maria Lopez was appointed chief engineer before Tom Baker resigned.", "orders"),
        ("Maria Lopez was appointed chief engineer in 2021.", "states 2021"),
        ("Ana Silva was appointed chief engineer after Tom Baker resigned.", "names “Ana”"),
        ("Maria Lopez was appointed chief engineer three days after Tom Baker resigned.", "states three"),
    ],
)
def test_the_rules_hold_on_any_text(claim: str, why: str) -> None:
    sentence = "Maria Lopez was appointed chief engineer in 2019, two days after Tom Baker resigned."
    assert why in contradiction(claim, sentence)
    assert contradiction("Two days after Tom Baker resigned, Maria Lopez was appointed chief engineer.", sentence) == ""
    assert contradiction("Lopez became chief engineer in 2019 after Baker's resignation.", sentence) == ""


def test_a_sound_alike_name_and_an_ordinary_first_word_are_no_contradiction() -> None:
    assert contradiction("Mr. Saunders said he had no comment.", "Mr. Sanders said he had no comment.") == ""
    assert contradiction("Meanwhile, the board relented.", "Faced with that threat, the board relented.") == ""
    assert "Musk" in contradiction("Musk relented.", "Faced with that threat, the board relented.")
