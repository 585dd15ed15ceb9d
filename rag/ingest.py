"""Building and updating the index from a corpus folder: incremental and idempotent.

For each document whose content (or chunking settings) changed: its new chunks are
embedded and upserted under ids derived from the content hash, then chunks of older
versions are deleted, then its document record is written. The record is the commit
marker: retrieval only trusts chunks whose hash matches it, so an ingest stopped at any
point leaves an index that answers as before, and the next ingest finishes the job.
Documents that left the corpus are removed only after every other update succeeded.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import CHUNKING_VERSION, Chunk, chunk_text, split_sentences
from .config import Config
from .corpus import Document, Skipped, load_corpus
from .embedding import get_embedder
from .store import DocRecord, Store

log = logging.getLogger("rag")

LARGE_INGEST = 2000
"""An ingest embedding more texts than this says how long it will take (measured on its
first batch): on a laptop CPU the bundled model embeds some 20-60 texts a second."""
LONG_SENTENCE = 5000
"""A "sentence" longer than this (characters; a file without sentence ends, a dump on one
line) is reported: the chunker cuts it into pieces of about ``chunk_tokens`` tokens."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    embedded: int = 0
    """Chunks and sentences embedded (0 when nothing changed)."""

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped; {self.embedded} texts embedded"
        )


def chunker_id(config: Config) -> str:
    """Identifies how documents were cut into chunks: a change re-chunks them on ingest."""
    return f"sent-tok{config.chunk_tokens}-ov{config.chunk_overlap}-v{CHUNKING_VERSION}"


def _chunk_metadata(doc: Document, start: int, end: int, index: int) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "source": doc.source,
        "start": start,
        "end": end,
        "sha256": doc.sha256,
        "chunk_index": index,
        "title": doc.title,
    }
    if doc.outlet:
        meta["outlet"] = doc.outlet
    if doc.date:
        meta["date"] = doc.date
    if doc.author:
        meta["author"] = doc.author
    return meta


def ingest(
    paths: list[Path] | None = None,
    config: Config | None = None,
    *,
    rebuild: bool = False,
    progress: bool = True,
    sentences: bool = True,
) -> IngestReport:
    """Bring the index in line with the corpus at ``paths`` (default: the configured
    corpus folder). Returns what changed. Raises ``CorpusError`` before touching the
    index when the corpus is missing or holds no usable document.

    ``sentences=False`` skips the per-sentence vectors. The answerer then embeds the
    sentences it needs at question time, and hybrid retrieval loses its sentence-level
    dense ranking (chunk-level dense and BM25 remain): a cheaper ingest for big corpora."""
    config = config or Config.from_env()
    _, docs, skipped = load_corpus(paths or [config.corpus_dir])
    if rebuild:
        from .retrieval import forget

        forget(config)
        Store.drop(config)
    embedder = get_embedder(config.embedder)
    store = Store.open(config, embedder.name, create=True)
    chunker = chunker_id(config)
    existing = store.documents()
    report = IngestReport(skipped=skipped)
    todo = [
        d
        for d in docs
        if d.source not in existing or (existing[d.source].sha256, existing[d.source].chunker) != (d.sha256, chunker)
    ]
    changed = {d.source for d in todo}
    report.unchanged = [d.source for d in docs if d.source not in changed]
    pieces = {d.source: chunk_text(d.text, config.chunk_tokens, config.chunk_overlap) for d in todo}
    spans = {d.source: _sentence_spans(pieces[d.source]) if sentences else [] for d in todo}
    for d in todo:
        longest = max((b - a for a, b in split_sentences(d.text)), default=0)
        if longest > LONG_SENTENCE:
            log.warning(
                "%s has a sentence of %d characters (no sentence ends): it is cut into %d pieces of about %d tokens.",
                d.source,
                longest,
                len(pieces[d.source]),
                config.chunk_tokens,
            )
    total = sum(len(pieces[d.source]) + len(spans[d.source]) for d in todo)
    batcher = _Batcher(store, embedder, chunker, existing, report, _progress(total, progress))
    batcher.total = total
    try:
        for doc in todo:
            batcher.expect(doc, len(pieces[doc.source]) + len(spans[doc.source]))
            for n, c in enumerate(pieces[doc.source]):
                batcher.add(_Item(doc, "chunk", n, c.start, c.end))
            for a, b in spans[doc.source]:
                batcher.add(_Item(doc, "sentence", 0, a, b))
        batcher.flush(final=True)
    finally:
        batcher.bar.close()
    current = {d.source for d in docs}
    for source in sorted(set(existing) - current):
        store.delete_document(source)
        report.removed.append(source)
    if report.added or report.updated or report.removed:
        store.bump_version()
    log.info("ingest: %s", report.summary())
    return report


def sentence_id(source: str, sha256: str, start: int, end: int) -> str:
    return f"{source}#{sha256[:16]}@{start}-{end}"


@dataclass(frozen=True)
class _Item:
    doc: Document
    kind: str  # "chunk" or "sentence"
    index: int
    start: int
    end: int


class _Batcher:
    """Embeds chunks and sentences in batches that span documents (small batches waste the
    CPU), and commits each document once all of its pieces are stored."""

    SIZE = 64
    """Texts embedded together."""
    WRITE = 512
    """Embedded pieces written to Chroma together."""

    def __init__(
        self, store: Store, embedder: Any, chunker: str, existing: dict[str, DocRecord], report: IngestReport, bar: Any
    ) -> None:
        self.store, self.embedder, self.chunker = store, embedder, chunker
        self.existing, self.report, self.bar = existing, report, bar
        self.items: list[_Item] = []
        self.pending: list[tuple[_Item, np.ndarray]] = []
        self.remaining: dict[str, int] = {}
        self.total = 0
        """Texts this ingest embeds (for the time estimate of a large one)."""
        self._started = time.perf_counter()

    def expect(self, doc: Document, pieces: int) -> None:
        self.remaining[doc.source] = pieces

    def add(self, item: _Item) -> None:
        self.items.append(item)
        if len(self.items) >= self.SIZE:
            self.flush()

    def flush(self, final: bool = False) -> None:
        """Embed the waiting pieces; write them (and commit the documents they complete)
        once enough are waiting, or at the end: Chroma pays a fixed cost per write."""
        items, self.items = self.items, []
        if items:
            vectors = self.embedder.embed([it.doc.text[it.start : it.end] for it in items])
            self.pending += list(zip(items, vectors, strict=True))
            first = self.report.embedded == 0
            self.report.embedded += len(items)
            self.bar.update(len(items))
            if first and self.total > LARGE_INGEST:
                self._estimate(len(items))
        if self.pending and (final or len(self.pending) >= self.WRITE):
            self._write()

    def _estimate(self, done: int) -> None:
        rate = done / max(time.perf_counter() - self._started, 1e-6)
        seconds = self.total / rate
        took = f"{seconds / 60:.0f} min" if seconds >= 60 else "less than a minute"
        if seconds >= 3600:
            took = f"{seconds / 3600:.1f} h"
        log.warning(
            "This ingest embeds %d texts (chunks and sentences): about %s at this machine's %.0f texts/s. "
            "It can be stopped at any time (Ctrl+C): the next `rag ingest` goes on from the documents committed.",
            self.total,
            took,
            rate,
        )

    def _write(self) -> None:
        pending, self.pending = self.pending, []
        chunks = [(it, v) for it, v in pending if it.kind == "chunk"]
        sentences = [(it, v) for it, v in pending if it.kind == "sentence"]
        if chunks:
            self.store.add_chunks(
                ids=[chunk_id(it.doc, it.index) for it, _ in chunks],
                vectors=np.stack([v for _, v in chunks]),
                texts=[it.doc.text[it.start : it.end] for it, _ in chunks],
                metas=[_chunk_metadata(it.doc, it.start, it.end, it.index) for it, _ in chunks],
            )
        if sentences:
            self.store.add_sentences(
                ids=[sentence_id(it.doc.source, it.doc.sha256, it.start, it.end) for it, _ in sentences],
                vectors=np.stack([v for _, v in sentences]),
                metas=[
                    {"source": it.doc.source, "sha256": it.doc.sha256, "start": it.start, "end": it.end}
                    for it, _ in sentences
                ],
            )
        complete = []
        for it, _ in pending:
            self.remaining[it.doc.source] -= 1
            if self.remaining[it.doc.source] == 0:
                complete.append(it.doc)
        if complete:
            self._commit(complete)

    def _commit(self, docs: list[Document]) -> None:
        """Make the documents whose pieces are all stored visible: their records are the
        commit markers, written in one call, then the index version moves on."""
        for doc in docs:
            if doc.source in self.existing:  # a new document has no chunks of an older version
                self.store.delete_stale_chunks(doc.source, doc.sha256)
        records = [DocRecord(d.source, d.sha256, self.chunker, d.title, d.outlet, d.date, d.author) for d in docs]
        self.store.put_documents(records, [d.text for d in docs])
        self.store.bump_version()
        for doc in docs:
            (self.report.updated if doc.source in self.existing else self.report.added).append(doc.source)


def chunk_id(doc: Document, index: int) -> str:
    return f"{doc.source}#{doc.sha256[:16]}:{index}"


def _sentence_spans(chunks: list[Chunk]) -> list[tuple[int, int]]:
    """Every sentence of the chunks, once. The answerer compares each with the question;
    embedding them at ingest keeps that off the query path."""
    return sorted({(c.start + a, c.start + b) for c in chunks for a, b in split_sentences(c.text)})


class _NoBar:
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


def _progress(total: int, enabled: bool) -> Any:
    if not enabled or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, desc="Embedding chunks and sentences", unit="text")
