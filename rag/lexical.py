"""BM25 over chunk texts (Lucene's formula), with English stemming and stop words."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np

STOP_WORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves s t""".split()
)
_TOKEN = re.compile(r"[\w][\w'’\-]*")


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives dropped ("Leike’s" -> "leike")."""
    return [re.sub(r"['’]s$", "", w).strip("'’-") for w in _TOKEN.findall(text.lower())]


def terms(text: str) -> list[str]:
    """Index terms: stemmed words that are not stop words."""
    kept = [w for w in words(text) if w and w not in STOP_WORDS]
    return list(_stemmer().stemWords(kept))


class BM25:
    """An in-memory inverted index. ``scores(query)`` returns one score per document."""

    def __init__(self, texts: list[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.n = len(texts)
        self._lengths = np.zeros(self.n, dtype=np.float32)
        postings: dict[str, tuple[list[int], list[int]]] = {}
        for i, text in enumerate(texts):
            counts = Counter(terms(text))
            self._lengths[i] = sum(counts.values())
            for term, tf in counts.items():
                docs, tfs = postings.setdefault(term, ([], []))
                docs.append(i)
                tfs.append(tf)
        self._postings = {
            t: (np.array(d, dtype=np.int32), np.array(f, dtype=np.float32)) for t, (d, f) in postings.items()
        }
        self._avg = float(self._lengths.mean()) if self.n else 0.0

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ((), ()))[0])
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(terms(query)):
            if term not in self._postings:
                continue
            docs, tf = self._postings[term]
            norm = self.k1 * (1 - self.b + self.b * self._lengths[docs] / max(self._avg, 1e-9))
            out[docs] += self.idf(term) * tf * (self.k1 + 1) / (tf + norm)
        return out
