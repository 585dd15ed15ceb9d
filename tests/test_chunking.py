from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.chunking import chunk_text, count_tokens, split_sentences

from .conftest import SEEDS

WORDS = st.sampled_from(
    [
        "Mr.",
        "Altman",
        "said",
        "the",
        "team",
        "was",
        "formed.",
        "“Quote”",
        "Dr.",
        "U.S.",
        "resigned!",
        "Why?",
        "\n",
        "\n\n",
        "  ",
        "•",
        "20%",
        "Leike’s",
        "é",
        "\r\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=200).map(" ".join), st.integers(16, 120), st.integers(0, 3))
def test_every_chunk_and_sentence_is_an_exact_substring(text: str, size: int, overlap: int) -> None:
    for c in chunk_text(text, size, overlap):
        assert text[c.start : c.end] == c.text
        assert c.text == c.text.strip()
    for a, b in split_sentences(text):
        assert 0 <= a < b <= len(text)


def test_chunks_of_the_seeds_respect_the_token_budget_and_sentences() -> None:
    for path in SEEDS.glob("*.txt"):
        text = path.read_text(encoding="utf-8")
        chunks = chunk_text(text, 96, 1)
        assert chunks
        sentence_starts = {a for a, _ in split_sentences(text)}
        for c in chunks:
            assert text[c.start : c.end] == c.text
            assert c.start in sentence_starts  # chunks begin on a sentence boundary
            assert c.tokens == count_tokens(c.text)
            assert c.tokens <= 96 or len(split_sentences(c.text)) == 1


def test_abbreviations_do_not_end_sentences() -> None:
    text = "At that time, Mr. Sutskever worked with the board. Then Mr. Altman returned."
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == ["At that time, Mr. Sutskever worked with the board.", "Then Mr. Altman returned."]


def test_consecutive_chunks_overlap_by_whole_sentences() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(40))
    chunks = chunk_text(text, 30, 1)
    assert len(chunks) > 3
    for left, right in itertools.pairwise(chunks):
        last = split_sentences(left.text)[-1]
        assert right.text.startswith(left.text[last[0] : last[1]])


def test_an_overlong_sentence_is_split_at_words() -> None:
    text = "word " * 2000
    chunks = chunk_text(text, 50, 0)
    assert len(chunks) > 10
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_state_abbreviations_do_not_end_sentences_but_lowercase_words_do() -> None:
    text = "She moved to Austin, Tex. He stayed. The child fell ill. A doctor came."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "She moved to Austin, Tex. He stayed.",
        "The child fell ill.",
        "A doctor came.",
    ]
