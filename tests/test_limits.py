"""Every input is bounded: the conversation history (count and size of each entry), the
question, the per-word sound-alike work, and the time one request may take."""

from __future__ import annotations

import dataclasses
import random
import time

import pytest

from rag import Config, ask
from rag.budget import check_budget, time_budget
from rag.errors import RequestTimeoutError
from rag.lexical import BM25, names
from rag.retrieval import Searcher, clean_history, searcher


def _random_names(n: int, seed: int = 0) -> str:
    """``n`` capitalised made-up words: the worst case for sound-alike matching."""
    rng = random.Random(seed)
    return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)).capitalize() for _ in range(n))


def test_a_one_megabyte_history_is_answered_in_under_two_seconds(built: Config) -> None:
    huge = _random_names(131_072)  # 1 MB of distinct capitalised words
    assert len(huge) >= 1_000_000
    ask("Who replaced Sutskever?", config=built)  # warm: index, BM25
    t = time.perf_counter()
    answer = ask("Who took his place?", history=["Why did Jan Leike resign?", huge], config=built)
    assert time.perf_counter() - t < 2.0
    assert answer.answerable or not answer.citations
    t = time.perf_counter()
    ask(_random_names(400)[:1990] + "?", history=[huge] * 50, config=built)  # a maximal question too
    assert time.perf_counter() - t < 2.0


def test_history_is_bounded_in_count_and_in_each_entry() -> None:
    config = Config(max_history=3, max_question_chars=50)
    history = ["first?", "", "   ", None, 42, "second " * 100, "third\x1b[2J?", "fourth?"]
    kept = clean_history(history, config)
    assert kept == [("second " * 100)[:50], "third [2J?", "fourth?"]
    assert all(len(h) <= 50 for h in kept)
    assert clean_history("not a list", config) == []
    assert clean_history(["a?"], dataclasses.replace(config, max_history=0)) == []
    assert Config.from_env({"RAG_MAX_HISTORY": "7", "RAG_REQUEST_TIMEOUT": "2.5"}).max_history == 7


def test_sound_alike_work_is_done_once_per_distinct_name(built: Config) -> None:
    assert names("Kokotajlo met Kokotajlo and Kokotajlo. " * 1000) == ["kokotajlo"]
    bm25: BM25 = searcher(built).bm25
    calls: list[str] = []
    real = BM25.sound_alikes

    def counting(self: BM25, term: str) -> list[tuple[str, float]]:
        calls.append(term)
        return real(self, term)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(BM25, "sound_alikes", counting)
        bm25.expand("Did Kokotajlo or Saunders or Kokotajlo leave? " * 500 + _random_names(500))
    assert calls.count("kokotajlo") == 1
    assert len(calls) <= 24  # only the first names of a text are expanded
    first = bm25.sound_alikes("kokotajlo")
    assert bm25.sound_alikes("kokotajlo") is first  # remembered


def test_a_request_over_its_time_budget_stops_with_a_clear_error(built: Config) -> None:
    slow = dataclasses.replace(built, request_timeout=0.3)
    searcher(slow)  # the index is loaded outside the budget
    real = BM25.sound_alikes

    def sluggish(self: BM25, term: str) -> list[tuple[str, float]]:
        time.sleep(0.1)  # a slow machine, or an expensive input
        return real(self, term)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(BM25, "sound_alikes", sluggish)
        t = time.perf_counter()
        with pytest.raises(RequestTimeoutError, match="RAG_REQUEST_TIMEOUT"):
            ask("Did " + _random_names(30) + " leave?", config=slow)
        assert time.perf_counter() - t < 1.5
    # A normal question fits in the budget: it gets its answer (or refusal), not the timeout.
    assert ask("Who replaced Sutskever?", config=slow).text


def test_budgets_nest_and_belong_to_their_own_block() -> None:
    check_budget()  # no budget: nothing to check
    with time_budget(0.05), time_budget(60):  # an inner budget never extends the outer one
        time.sleep(0.1)
        with pytest.raises(RequestTimeoutError):
            check_budget()
    check_budget()  # the block is over: its deadline is gone


def test_loading_the_index_is_not_counted_against_the_question(built: Config) -> None:
    from rag.retrieval import forget

    slow_load = 0.6
    real_init = Searcher.__init__

    def slow_init(self: Searcher, config: Config) -> None:  # an index that takes a while to load
        time.sleep(slow_load)
        real_init(self, config)

    hasty = dataclasses.replace(built, request_timeout=0.5)  # less than loading the index takes
    forget(built)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Searcher, "__init__", slow_init)
        t = time.perf_counter()
        answer = ask("Who replaced Sutskever as chief scientist?", config=hasty)
    assert time.perf_counter() - t > slow_load and answer.answerable
