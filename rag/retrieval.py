"""Hybrid retrieval: dense (Chroma) and BM25 rankings fused by reciprocal rank fusion,
with near-duplicate passages pushed below distinct evidence."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass

import numpy as np

from .budget import check_budget, paused
from .chunking import chunker_id
from .config import Config
from .embedding import Embedder, get_embedder
from .errors import IndexEmptyError, InvalidQuestionError
from .lexical import BM25, words
from .snapshot import load_snapshot, save_snapshot
from .spans import Passage
from .store import DocRecord, Store, StoredChunk

log = logging.getLogger("rag")

RRF_K = 10
"""Reciprocal-rank fusion: a passage at rank r of a ranking (1 for the first) gets weight / (RRF_K + r)."""
DENSE_WEIGHT = 1.0
"""Weight of the ranking by passage vectors."""
SENTENCE_WEIGHT = 1.5
"""Weight of the ranking by each passage's best sentence vector."""
LEXICAL_WEIGHT = 2.0
"""Weight of the BM25 ranking. These four put the gold paragraph among the ``k`` passages
most often on the SQuAD fitting split, its questions as written and reworded alike (equal
weights and 60, the usual defaults, before): ``python benchmarks/open_corpus.py --fusion``."""
DUPLICATE_CONTAINMENT = 0.5  # share of a passage's word 5-grams found in a higher-ranked one
DUPLICATE_WINDOW = 50  # only the head of a ranking is de-duplicated (pairwise checks are quadratic)


class Searcher:
    """What one process keeps in memory for an index: the store, the embedder, the
    committed chunks and their BM25 index. Refreshed when an ingest commits."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.embedder: Embedder = get_embedder(config.embedder)
        self.store = Store.open(config, self.embedder.name)
        self._lock = threading.Lock()
        self._version: int | None = None
        self.refresh()

    def refresh(self) -> None:
        with self._lock:
            version = self.store.version()
            if version == self._version:
                return
            cached = load_snapshot(self.config, version)
            if cached is None:
                docs = self.store.documents()
                committed = [
                    c for c in self.store.all_chunks() if c.source in docs and docs[c.source].sha256 == c.sha256
                ]
                bm25 = BM25([c.text for c in committed])
                save_snapshot(self.config, version, docs, committed, bm25)
            else:
                docs, committed, bm25 = cached
            if any(d.chunker != chunker_id(self.config) for d in docs.values()):
                log.warning("The index was built with other chunk settings: run `rag ingest` to apply them.")
            self.docs: dict[str, DocRecord] = docs
            self.chunks: list[StoredChunk] = committed
            self.by_id = {c.id: i for i, c in enumerate(committed)}
            self.by_source: dict[str, list[int]] = {}
            for i, c in sorted(enumerate(committed), key=lambda x: x[1].start):
                self.by_source.setdefault(c.source, []).append(i)
            self.bm25 = bm25
            self._shingles: dict[int, set[tuple[str, ...]]] = {}
            self._version = version
            _warn_if_incomplete(self.config, self.store)

    def shingles(self, index: int) -> set[tuple[str, ...]]:
        """Word 5-grams of a chunk (cached: duplicate checks run on every query)."""
        if index not in self._shingles:
            w = words(self.chunks[index].text)
            self._shingles[index] = {tuple(w[i : i + 5]) for i in range(max(1, len(w) - 4))}
        return self._shingles[index]

    def chunk_of(self, source: str, start: int, end: int) -> int | None:
        """The first chunk of ``source`` that contains ``[start, end)``."""
        for i in self.by_source.get(source, []):
            if self.chunks[i].start <= start and end <= self.chunks[i].end:
                return i
        return None

    def passage(self, index: int, score: float) -> Passage:
        c = self.chunks[index]
        d = self.docs[c.source]
        return Passage(
            c.source, d.title, c.start, c.end, c.text, score, d.outlet, d.date, c.id, d.author, page_starts=d.pages
        )


def _warn_if_incomplete(config: Config, store: Store) -> None:
    """Say so when an ingest did not finish (stopped halfway, or still running): answers
    come from the documents it committed."""
    unfinished = store.unfinished_ingest()
    if unfinished:
        log.warning(
            "An ingest of %s into %s did not finish (it was stopped, or is still running): answers come from the "
            "documents it committed. Run `rag ingest %s` to add the rest.",
            unfinished,
            config.chroma_url or config.index_dir,
            unfinished,
        )


_searchers: dict[tuple[object, ...], Searcher] = {}
_searchers_lock = threading.Lock()


def _key(config: Config) -> tuple[object, ...]:
    # Settings that only change how results are used (k, question length) share a Searcher.
    return (
        config.index_dir,
        config.chroma_url,
        config.collection,
        config.embedder,
        config.corpus_dir,
        config.chunk_tokens,
        config.chunk_overlap,
    )


def searcher(config: Config) -> Searcher:
    """The process-wide ``Searcher`` for ``config``. Reading only: it never builds an
    index (``rag.open_index`` does, at start-up). Raises ``IndexNotFoundError`` when there
    is no index and ``IndexEmptyError`` when it holds no document."""
    with paused():  # loading the index is not the question's own work
        s = _searcher(config)
    if not s.docs:
        where = config.chroma_url or config.index_dir
        raise IndexEmptyError(
            f"The index at {where} holds no documents: its first ingest was interrupted (or is still running). "
            f"Run `rag ingest` to build it (or `rag ingest --rebuild` to start afresh)."
        )
    return s


def _searcher(config: Config) -> Searcher:
    key = _key(config)
    with _searchers_lock:
        cached = _searchers.get(key)
        if cached is None or cached.store.dropped():  # a rebuild in this process replaced the collections
            _searchers[key] = Searcher(config)
        s = _searchers[key]
    s.refresh()
    return s


def forget(config: Config) -> None:
    """Drop the cached ``Searcher`` (after the index was deleted)."""
    with _searchers_lock:
        _searchers.pop(_key(config), None)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_question(question: str, config: Config) -> str:
    """Validate and normalise a question; raises ``InvalidQuestionError`` when empty."""
    if not isinstance(question, str):
        raise InvalidQuestionError(f"The question must be text, got {type(question).__name__}.")
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", question)).strip()
    if not text or not any(ch.isalnum() for ch in text):
        raise InvalidQuestionError("The question is empty: type a question about the articles.")
    if len(text) > config.max_question_chars:
        log.warning("The question has %d characters; only the first %d are used.", len(text), config.max_question_chars)
        text = text[: config.max_question_chars]
    return text


def clean_history(history: object, config: Config) -> list[str]:
    """The earlier questions a request may use: text entries only, blank ones dropped,
    the newest ``config.max_history`` kept, each normalised like a question and
    shortened to ``config.max_question_chars``. Whatever a caller sends, the work a
    request does stays bounded."""
    if not isinstance(history, list | tuple) or config.max_history == 0:
        return []
    out: list[str] = []
    for entry in reversed(history[-4 * config.max_history :]):  # newest first; blanks may be among them
        if len(out) == config.max_history:
            break
        if isinstance(entry, str):
            text = _CONTROL.sub(" ", unicodedata.normalize("NFC", entry[: 4 * config.max_question_chars])).strip()
            if any(ch.isalnum() for ch in text):
                out.append(text[: config.max_question_chars])
    return out[::-1]


def _demote_duplicates(ranked: list[int], s: Searcher) -> list[int]:
    """Keep the order, but move passages that mostly repeat a higher-ranked one (the
    same quote reprinted in several articles) behind the distinct ones."""
    kept: list[int] = []
    kept_shingles: list[set[tuple[str, ...]]] = []
    dupes: list[int] = []
    for i in ranked:
        sh = s.shingles(i)
        if any(len(sh & other) / max(1, min(len(sh), len(other))) >= DUPLICATE_CONTAINMENT for other in kept_shingles):
            dupes.append(i)
        else:
            kept.append(i)
            kept_shingles.append(sh)
    return kept + dupes


@dataclass(frozen=True)
class Hit:
    index: int
    """Position in ``Searcher.chunks``."""
    score: float
    """Reciprocal-rank-fusion score."""


def rank(
    question: str, config: Config, depth: int, mode: str = "hybrid", vector: np.ndarray | None = None
) -> list[Hit]:
    """Chunks ranked for ``question``, best first (fused, near-duplicates demoted).
    ``mode`` "dense" or "lexical" uses one ranking alone (for benchmarks); ``vector`` is
    the question's embedding when the caller already has it."""
    check_budget()
    s = searcher(config)
    if not s.chunks:
        return []
    dense, sentences, lexical = rankings(question, s, depth, mode, vector)
    fused = fuse([(DENSE_WEIGHT, dense), (SENTENCE_WEIGHT, sentences), (LEXICAL_WEIGHT, lexical)])
    ordered = sorted(fused, key=lambda i: -fused[i])
    ordered = _demote_duplicates(ordered[:DUPLICATE_WINDOW], s) + ordered[DUPLICATE_WINDOW:]
    return [Hit(i, fused[i]) for i in ordered]


def rankings(
    question: str, s: Searcher, depth: int, mode: str = "hybrid", vector: np.ndarray | None = None
) -> tuple[list[int], list[int], list[int]]:
    """The ``depth`` best chunks (positions in ``s.chunks``) by the passage vectors, by
    their best sentence vector and by BM25 (a ranking ``mode`` leaves out is empty)."""
    dense: list[int] = []
    sentences: list[int] = []
    if mode in ("hybrid", "dense"):
        vector = s.embedder.embed([question])[0] if vector is None else vector
        dense = [s.by_id[cid] for cid, _ in s.store.nearest(vector, depth + 10) if cid in s.by_id][:depth]
    if mode == "hybrid" and vector is not None:
        sentences = _sentence_ranking(s, vector, depth)
    lexical: list[int] = []
    if mode in ("hybrid", "lexical"):
        lexical_scores = s.bm25.scores(question)
        top = np.argpartition(-lexical_scores, min(depth, len(lexical_scores) - 1))[:depth]
        top = top[np.argsort(-lexical_scores[top], kind="stable")]
        lexical = [int(i) for i in top if lexical_scores[i] > 0]
    return dense, sentences, lexical


def fuse(weighted: list[tuple[float, list[int]]], rrf_k: int = RRF_K) -> dict[int, float]:
    """Weighted reciprocal-rank fusion of (weight, ranking) pairs: each chunk's score."""
    fused: dict[int, float] = {}
    for weight, ranking in weighted:
        for r, i in enumerate(ranking):
            fused[i] = fused.get(i, 0.0) + weight / (rrf_k + r + 1)
    return fused


def _sentence_ranking(s: Searcher, vector: np.ndarray, depth: int) -> list[int]:
    """Chunks ranked by their best-matching sentence: finer-grained dense evidence, which
    a chunk's single vector dilutes (paraphrased questions gain most)."""
    ranking: list[int] = []
    for source, start, end, sha, _ in s.store.nearest_sentences(vector, 2 * depth):
        doc = s.docs.get(source)
        index = s.chunk_of(source, start, end) if doc and doc.sha256 == sha else None
        if index is not None and index not in ranking:
            ranking.append(index)
    return ranking[:depth]


def retrieve(question: str, k: int | None = None, config: Config | None = None) -> list[Passage]:
    """The ``k`` passages that best match ``question``, best first, each a verbatim span
    of its article. Raises ``IndexNotFoundError`` when there is no index yet (``rag
    ingest``, or ``rag.open_index``, builds it)."""
    config = config or Config.from_env()
    k = k or config.k
    if k < 1:
        raise InvalidQuestionError(f"k must be at least 1, got {k}.")
    text = clean_question(question, config)
    s = searcher(config)
    return [s.passage(h.index, h.score) for h in rank(text, config, depth=max(4 * k, 40))[:k]]
