"""Questions reworded the way users reword them, for fitting the answerer (fitting split only).

SQuAD's questions were written by people reading the paragraph, and they copy its words;
people asking about news they have not read word their questions differently ("bankroll"
for "fund", "let go" for "fired"). A model fitted on copied wording learns to refuse
any question that does not repeat the article. ``Paraphraser`` makes reworded copies of
the fitting questions: each content word that is not a name is, with probability
``rate``, replaced by its nearest neighbour of another stem in the word-piece embedding
space of the bundled all-MiniLM-L6-v2 ("fired" -> "terminated", "employees" -> "workers",
"venture" -> "endeavor"). The neighbours are noisy, as users' words are: the point is
that a reworded question keeps its meaning for the embedding model but loses its word
overlap with the article.

Deterministic for a given seed; no data outside the fitting split and the bundled model.
"""

from __future__ import annotations

import random
import re
from functools import cached_property

import numpy as np

from rag.embedding import model_path
from rag.lexical import STOP_WORDS, terms

_WORD = re.compile(r"[A-Za-z]+")
NEIGHBOURS = 8
KEPT = frozenset("many much year years month day date time long old first last number percent percentage".split())
"""Words that say what kind of answer is asked for ("how many", "what year"): a user keeps them."""


class Paraphraser:
    def __init__(self, rate: float = 0.5, seed: int = 0) -> None:
        self.rate = rate
        self.rng = random.Random(seed)
        self._memo: dict[str, str | None] = {}

    @cached_property
    def _space(self) -> tuple[np.ndarray, list[str], dict[str, int]]:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = model_path()
        vectors = load_file(str(root / "model.safetensors"))["embeddings.word_embeddings.weight"]
        vocab = Tokenizer.from_file(str(root / "tokenizer.json")).get_vocab()
        words = sorted(t for t in vocab if t.isalpha() and t.islower() and len(t) > 2 and t not in STOP_WORDS)
        matrix = vectors[[vocab[w] for w in words]]
        matrix = matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix, words, {w: i for i, w in enumerate(words)}

    def neighbour(self, word: str) -> str | None:
        """The nearest word of another stem (not a prefix variant), or None."""
        if word not in self._memo:
            matrix, words, index = self._space
            found = None
            if word in index:
                scores = matrix @ matrix[index[word]]
                stem = terms(word)
                for i in np.argsort(-scores)[1 : NEIGHBOURS + 1]:
                    other = words[int(i)]
                    if terms(other) != stem and other[:4] != word[:4] and word not in other and other not in word:
                        found = other
                        break
            self._memo[word] = found
        return self._memo[word]

    def __call__(self, question: str) -> str:
        def swap(match: re.Match[str]) -> str:
            word = match.group(0)
            if not word.islower() or len(word) <= 3 or word in STOP_WORDS | KEPT or self.rng.random() >= self.rate:
                return word
            return self.neighbour(word) or word

        return _WORD.sub(swap, question)
