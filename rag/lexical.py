"""BM25 over chunk texts (Lucene's formula), with English stemming and stop words."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache

import numpy as np

from .budget import check_budget

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
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w'’\-]{3,}")
FUZZY_MIN = 0.75
"""Similarity (on phonetic keys) above which a corpus term stands in for a name."""
MAX_EXPANDED_NAMES = 24
"""Names of one text whose sound-alikes are looked up (the first ones): a question names a
few people; a text naming hundreds is no question, and each lookup costs CPU."""
ALIKE_CACHE = 50_000
"""Sound-alike lookups remembered per index (names recur in every follow-up)."""


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens, possessives dropped ("Doe’s" -> "doe"); a hyphenated
    word also yields its parts ("san francisco-based" -> francisco-based, francisco, based)."""
    out = []
    for w in _TOKEN.findall(text.lower()):
        w = re.sub(r"['’]s$", "", w).strip("'’-")
        out.append(w)
        if "-" in w:
            out += [part for part in w.split("-") if part]
    return out


def phonetic(term: str) -> str:
    """A rough sound-alike key: c/k/q -> k, y -> i, ph -> f, doubled letters once."""
    key = term.replace("ph", "f").replace("q", "k").replace("c", "k").replace("y", "i")
    return re.sub(r"(.)\1+", r"\1", key)


def names(text: str) -> list[str]:
    """Stemmed terms of the capitalised words of a question (the likely names), each once."""
    found = dict.fromkeys(w for m in _NAME.findall(text) for w in words(m) if w not in STOP_WORDS)
    return list(dict.fromkeys(_stemmer().stemWords(list(found))))


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
        self._by_gram: dict[str, set[str]] | None = None
        self._keys: dict[str, str] = {}
        self._alikes: dict[str, list[tuple[str, float]]] = {}

    def to_arrays(self) -> tuple[list[str], dict[str, np.ndarray]]:
        """The index as plain data: its terms, and arrays holding each term's postings
        (``docs``/``tfs`` from ``offsets[i]`` to ``offsets[i + 1]``), the texts' lengths
        and the parameters. ``BM25.from_arrays`` reads them back."""
        vocabulary = list(self._postings)
        sizes = [len(self._postings[t][0]) for t in vocabulary]
        offsets = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(sizes, dtype=np.int64)
        empty = np.zeros(0, dtype=np.int32)
        return vocabulary, {
            "docs": np.concatenate([self._postings[t][0] for t in vocabulary]) if vocabulary else empty,
            "tfs": np.concatenate([self._postings[t][1] for t in vocabulary])
            if vocabulary
            else empty.astype(np.float32),
            "offsets": offsets,
            "lengths": self._lengths,
            "params": np.array([self.k1, self.b], dtype=np.float64),
        }

    @classmethod
    def from_arrays(cls, vocabulary: list[str], arrays: dict[str, np.ndarray]) -> BM25:
        """The index ``to_arrays`` described."""
        bm25 = cls([])
        bm25.k1, bm25.b = (float(x) for x in arrays["params"])
        bm25._lengths = arrays["lengths"].astype(np.float32, copy=False)
        bm25.n = len(bm25._lengths)
        docs, tfs, offsets = arrays["docs"], arrays["tfs"], arrays["offsets"]
        if len(offsets) != len(vocabulary) + 1 or offsets[-1] != len(docs) or len(docs) != len(tfs):
            raise ValueError("the arrays do not describe a BM25 index")
        bm25._postings = {
            t: (docs[offsets[i] : offsets[i + 1]], tfs[offsets[i] : offsets[i + 1]]) for i, t in enumerate(vocabulary)
        }
        bm25._avg = float(bm25._lengths.mean()) if bm25.n else 0.0
        return bm25

    def knows(self, term: str) -> bool:
        """Does any indexed text hold ``term``?"""
        return term in self._postings

    def idf(self, term: str) -> float:
        df = len(self._postings.get(term, ((), ()))[0])
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def sound_alikes(self, term: str) -> list[tuple[str, float]]:
        """Corpus terms spelled differently but sounding alike ("tchaikovsky" ->
        "chaikovsky"), with their similarity; the term itself excluded. Remembered per
        term: follow-ups and refusals ask again for the same names."""
        cached = self._alikes.get(term)
        if cached is not None:
            return cached
        from rapidfuzz import fuzz, process

        if self._by_gram is None:
            self._keys = {t: phonetic(t) for t in self._postings if len(t) >= 3}
            by_gram: dict[str, set[str]] = {}
            for t, k in self._keys.items():
                for g in _grams(k):
                    by_gram.setdefault(g, set()).add(t)
            self._by_gram = by_gram
        key = phonetic(term)
        candidates = list(set().union(*(self._by_gram.get(g, set()) for g in _grams(key))) - {term})
        # rapidfuzz's ratio (normalised InDel similarity; difflib's ratio approximates it): the same
        # matches as difflib on the seed and SciFact vocabularies, 5x faster (benchmarks/name_matching.py)
        scored = process.extract(
            key, [self._keys[t] for t in candidates], scorer=fuzz.ratio, score_cutoff=100 * FUZZY_MIN, limit=None
        )
        found = sorted(((candidates[i], score / 100) for _, score, i in scored), key=lambda x: (-x[1], x[0]))[:3]
        if len(self._alikes) >= ALIKE_CACHE:
            self._alikes.clear()
        self._alikes[term] = found
        return found

    def expand(self, query: str) -> dict[str, float]:
        """Query terms with weights: each term 1.0, plus sound-alikes of its first
        ``MAX_EXPANDED_NAMES`` names."""
        weights = dict.fromkeys(terms(query), 1.0)
        for name in names(query)[:MAX_EXPANDED_NAMES]:
            check_budget()
            for alike, similarity in self.sound_alikes(name):
                weights[alike] = max(weights.get(alike, 0.0), similarity)
        return weights

    def scores(self, query: str) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term, weight in self.expand(query).items():
            if term not in self._postings:
                continue
            docs, tf = self._postings[term]
            norm = self.k1 * (1 - self.b + self.b * self._lengths[docs] / max(self._avg, 1e-9))
            out[docs] += weight * self.idf(term) * tf * (self.k1 + 1) / (tf + norm)
        return out


def _grams(key: str) -> set[str]:
    padded = f"^{key}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}
