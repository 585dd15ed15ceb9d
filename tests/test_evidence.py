from __future__ import annotations

from pathlib import Path

from rag import Config, ask, ingest
from rag.evidence import answer_kind, independent, relative_dates, restates, same_original, values, versions

from .conftest import assert_verbatim

QUOTE_A = "However, I have been disagreeing with OpenAI leadership about the company's core priorities for a long time."
QUOTE_B = (
    '"I have been disagreeing with OpenAI leadership about the company\'s core priorities for a long time," he wrote.'
)


def test_values_by_kind() -> None:
    assert values("Jan Leike resigns from OpenAI on May 14, 2024.", "date") == {"May 14"}
    assert values("On Tuesday, Sutskever announced his resignation.", "weekday") == {"Tuesday"}
    assert values("OpenAI CTO Greg Brockman", "title", ["Brockman"]) == {"CTO"}
    assert values("OpenAI's president Greg Brockman took to social media", "title", ["Brockman"]) == {"president"}
    assert values("Sam Altman, CEO of Open AI, said", "title", ["Brockman"]) == set()  # someone else's title
    both = "Co-founder Ilya Sutskever and senior researcher Jan Leike were appointed as co-leads."
    assert values(both, "title", ["Ilya", "Sutskever"]) == set()  # "senior researcher" is Leike's
    assert values(both, "title", ["Jan", "Leike"]) == {"senior researcher"}
    # a misspelled name behind an honorific is still the person asked about
    assert values("I guess former chief scientist Mr. Satskever quit", "title", ["Sutskever"]) == {"chief scientist"}
    # "head scientist" is the same job as "chief scientist", not a second version
    assert values("co-founder and head scientist Ilya Sutskever", "title", ["Sutskever"]) == {"chief scientist"}
    # the title belongs to Pachocki; Sutskever's name only qualifies "resignation"
    upon = "Pachocki was appointed as chief scientist upon Sutskever's resignation."
    assert values(upon, "title", ["Sutskever"]) == set()
    assert values("Leike's role as head of alignment", "title", ["Leike"]) == {"head of alignment"}
    assert values("Like the CEO said", "title", ["Leike"]) == set()  # "Like" is no misspelled "Leike"
    assert answer_kind("On what date did Leike resign?") == "date"
    assert answer_kind("What is Greg Brockman's title?") == "title"
    assert answer_kind("Who replaced Sutskever?") is None
    assert answer_kind("What was the mayor charged with when she was arrested?") is None  # "when" opens a clause
    assert answer_kind("Which post did Leike hold?") == "title"
    assert answer_kind("How did Altman describe Sutskever in his farewell post?") is None  # a post on X
    assert answer_kind("What two words did Jan Leike post on X?") is None


def test_disagreeing_values_become_versions_with_their_sources() -> None:
    found = [
        ("a.txt", "resigned on May 17", {"May 17"}),
        ("b.txt", "resigns on May 14", {"May 14"}),
        ("c.txt", "left on May 17", {"May 17"}),
    ]
    got = {v.value: v.sources for v in versions("date", found)}
    assert got == {"May 17": ["a.txt", "c.txt"], "May 14": ["b.txt"]}
    assert versions("date", found[:1] + found[2:]) == []  # agreement is no conflict


def test_reprinted_copies_count_once() -> None:
    assert same_original(QUOTE_A, QUOTE_B) and restates(QUOTE_A, QUOTE_B)
    assert not same_original(QUOTE_A, "Pachocki was appointed as chief scientist.")
    pairs = [("001.txt", QUOTE_A), ("003.txt", QUOTE_B), ("002.txt", "Pachocki was appointed chief scientist.")]
    assert independent(pairs) == 2


def test_a_disputed_date_shows_each_version_with_its_source(real_config: Config) -> None:
    answer = ask("On what date did Jan Leike resign from OpenAI?", config=real_config)
    by_value = {v.value: v.sources for v in answer.conflicts}
    assert "003_75fce2261b805b1d.txt" in by_value["May 14"] and "000_338d512e274bc2d7.txt" in by_value["May 17"]
    assert answer.text.startswith("The articles disagree.") and "May 14" in answer.text and "May 17" in answer.text
    assert {"000_338d512e274bc2d7.txt", "003_75fce2261b805b1d.txt"} <= set(answer.supported_by)
    assert_verbatim(real_config.corpus_dir, answer.citations)


def test_disputed_titles_and_weekdays_are_read_beyond_the_top_passages(real_config: Config) -> None:
    brockman = ask("What is Greg Brockman's title at OpenAI?", config=real_config)
    by_value = {v.value: v.sources for v in brockman.conflicts}
    assert "003_75fce2261b805b1d.txt" in by_value["CTO"] and "004_490dfad3ab3b0151.txt" in by_value["president"]
    # each version is quoted from up to two articles, so its sources are visible in the answer
    assert {c.source for c in brockman.citations} >= {"003_75fce2261b805b1d.txt", "004_490dfad3ab3b0151.txt"}
    assert "president (3 articles):" in brockman.text
    sutskever = ask("What was Ilya Sutskever's position at OpenAI?", config=real_config)
    assert {v.value for v in sutskever.conflicts} >= {"research director", "chief scientist"}
    weekday = ask("On which day of the week did Jan Leike leave OpenAI?", config=real_config)
    assert {v.value for v in weekday.conflicts} >= {"Tuesday", "Thursday"}
    for answer in (brockman, sutskever, weekday):
        assert_verbatim(real_config.corpus_dir, answer.citations)


def test_an_agreed_answer_lists_its_supporting_articles(real_config: Config) -> None:
    answer = ask("Who replaced Sutskever as chief scientist?", config=real_config)
    assert answer.conflicts == []
    assert "003_75fce2261b805b1d.txt" in answer.supported_by
    assert set(answer.supported_by) <= {p.name for p in real_config.corpus_dir.glob("*.txt")}
    assert answer.support_line().startswith(f"Reported by {len(answer.supported_by)} of 5 articles")


def test_relative_dates_are_found() -> None:
    assert relative_dates("The team was formed last July at OpenAI.") == ["last July"]
    assert relative_dates("On Tuesday, Sutskever announced his resignation.") == ["On Tuesday"]
    assert relative_dates("Pachocki was appointed as chief scientist.") == []


def test_a_relative_date_is_placed_by_the_article_date(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "date 2024-05-17\n\nThe Quorble team was formed last July by OpenAI.\n", encoding="utf-8"
    )
    (corpus / "b.txt").write_text("Zyx quux were written last week about other things entirely.\n", encoding="utf-8")
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "i", embedder="hashing")
    ingest(config=config, progress=False)
    answer = ask("When was the Quorble team formed?", config=config)
    assert "last July" in answer.citations[0].text
    assert answer.text.endswith("(“last July” [1]: per an article dated 2024-05-17.)")


def test_several_values_in_one_sentence_are_no_conflict(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The Quorble team scored 13, 154 and 18 points in three games.\n", encoding="utf-8")
    (corpus / "b.txt").write_text("Unrelated zyx text about nothing in particular.\n", encoding="utf-8")
    config = Config(corpus_dir=corpus, index_dir=tmp_path / "i", embedder="hashing")
    ingest(config=config, progress=False)
    answer = ask("How many points did the Quorble team score?", config=config)
    assert answer.answerable and answer.conflicts == []
    assert not answer.text.startswith("The articles disagree")
