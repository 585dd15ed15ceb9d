from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rag import Config, ingest, retrieve
from rag.errors import InvalidQuestionError

from .conftest import assert_verbatim, file_text
from .test_corpus import CHROME


def test_passages_are_verbatim_with_metadata(built: Config) -> None:
    passages = retrieve("Who replaced Sutskever as chief scientist?", k=5, config=built)
    assert len(passages) == 5
    for p in passages:
        assert file_text(built.corpus_dir, p.source)[p.start : p.end] == p.text
        assert p.title and p.chunk_id and p.score > 0
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=80).filter(lambda s: any(c.isalnum() for c in s)))
def test_any_question_returns_only_verbatim_passages(built: Config, question: str) -> None:
    assert_verbatim(built.corpus_dir, retrieve(question, k=8, config=built))


def test_site_chrome_never_comes_back_as_a_passage(built: Config) -> None:
    for phrase in CHROME:
        for p in retrieve(phrase, k=50, config=built):
            assert phrase not in p.text, phrase


def test_near_duplicates_do_not_crowd_out_distinct_evidence(tmp_path: Path) -> None:
    corpus = tmp_path / "dupes"
    corpus.mkdir()
    quote = "Safety culture and processes have taken a backseat to shiny products, the researcher wrote on Friday."
    for i in range(4):
        (corpus / f"copy{i}.txt").write_text(f"Report number {i}.\n{quote}\n", encoding="utf-8")
    (corpus / "other.txt").write_text("Another researcher wrote that safety products matter.\n", encoding="utf-8")
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hashing")
    ingest(config=config, progress=False)
    top = retrieve("What did the researcher write about safety culture and shiny products?", k=2, config=config)
    assert {p.source for p in top} != {p.source for p in top if p.source.startswith("copy")}
    assert "other.txt" in {p.source for p in top}


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "?!"])
def test_an_empty_question_is_a_value_error(built: Config, question: str) -> None:
    with pytest.raises(InvalidQuestionError) as info:
        retrieve(question, config=built)
    assert isinstance(info.value, ValueError)


def test_a_huge_question_is_truncated_not_fatal(built: Config, caplog: pytest.LogCaptureFixture) -> None:
    passages = retrieve("Who replaced Sutskever? " * 5000, config=built)
    assert passages
    assert "only the first" in caplog.text


def test_attribution_lines_are_quotable_passages(built: Config) -> None:
    found = retrieve("Who was the story reporting by?", k=10, config=built)
    assert any("Cryptopolitan reporting by Aamir Sheikh" in p.text for p in found)
    assert any(p.author == "Aamir Sheikh" for p in found if p.source.startswith("001"))
    assert_verbatim(built.corpus_dir, found)


def test_fusion_sums_weighted_reciprocal_ranks() -> None:
    from rag.retrieval import fuse

    fused = fuse([(1.0, [3, 1]), (2.0, [1]), (1.5, [])], rrf_k=10)
    assert fused == pytest.approx({3: 1 / 11, 1: 1 / 12 + 2 / 11})
    assert sorted(fused, key=lambda i: -fused[i]) == [1, 3]  # first by the heavier ranking, second by the other
