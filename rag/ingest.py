"""Adding documents to the index, updating them, and taking out those that are gone.

``ingest(paths)`` adds or updates the files under ``paths`` and touches no other document,
except that files deleted from a folder ingested before are removed when that folder is
ingested again, and a document whose file moved (its old path is gone, its content is
found at a new one) follows it. A document's identity is its absolute path, however it
was typed; its name in the index (``source``) is its path under the folder given, kept
for as long as it is indexed.

Unchanged content is never embedded twice: a document whose text is already indexed under
another name (a copy, a rename, a moved folder) gets the stored vectors of that text.

For each document to (re)index, its chunks and sentence vectors are written under ids
derived from its content hash, then chunks of older versions are deleted, then its
document record is written. The record is the commit marker: retrieval only trusts chunks
whose hash matches it, so an ingest stopped at any point leaves an index that answers as
before, and the next ingest finishes the job. Documents leave only after every other
update succeeded.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .chunking import Chunk, chunk_text, chunker_id, split_sentences
from .config import Config
from .corpus import Document, Found, Skipped, read_files, unique_name
from .embedding import get_embedder
from .errors import RagError
from .minilm import normalise
from .store import DocRecord, Store, sentence_id

log = logging.getLogger("rag")

LARGE_INGEST = 2000
"""An ingest embedding more texts than this says how long it will take (measured on its
first batch): on a laptop CPU the bundled model embeds some 20-60 texts a second."""
LONG_SENTENCE = 5000
"""A "sentence" longer than this (characters; a file without sentence ends, a dump on one
line) is reported: the chunker cuts it into pieces of about ``chunk_tokens`` tokens."""

WRITE_LOCK = threading.RLock()
"""One change to an index at a time in this process (the web chat's uploads and removals
run in worker threads); other processes must not write the same embedded index at once."""

Progress = Callable[[int, int], None]
"""Called with (texts embedded so far, texts to embed) as an ingest goes."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    """Documents whose files were deleted from a folder ingested again."""
    moved: list[tuple[str, str]] = field(default_factory=list)
    """(old name, new name) of documents whose file moved or was renamed."""
    skipped: list[Skipped] = field(default_factory=list)
    embedded: int = 0
    """Chunks and sentences embedded (0 when nothing changed)."""
    reused: int = 0
    """Chunk and sentence vectors copied from identical text already indexed."""

    def summary(self) -> str:
        reused = f" ({self.reused} reused)" if self.reused else ""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.moved)} moved, {len(self.removed)} removed, {len(self.skipped)} skipped; "
            f"{self.embedded} texts embedded{reused}"
        )


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


def _as_paths(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None) -> list[Path]:
    if paths is None:
        return []
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    return [Path(os.path.expanduser(p)) for p in paths]


def ingest(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    config: Config | None = None,
    *,
    rebuild: bool = False,
    progress: bool = True,
    sentences: bool = True,
    on_progress: Progress | None = None,
) -> IngestReport:
    """Add or update the files under ``paths`` (folders or files; default: the configured
    corpus folder). Other documents stay, except those whose files were deleted from a
    folder in ``paths`` (removed) or moved (they follow their file). Returns what changed.
    Raises ``CorpusError`` before touching the index when a path is missing or holds no
    usable document.

    ``rebuild`` drops the whole index first and builds it again from ``paths`` and every
    file it held that still exists (under the same names). ``progress`` shows a progress
    bar; ``on_progress(done, total)`` is called as texts are embedded.

    ``sentences=False`` skips the per-sentence vectors. The answerer then embeds the
    sentences it needs at question time, and hybrid retrieval loses its sentence-level
    dense ranking (chunk-level dense and BM25 remain): a cheaper ingest for big corpora."""
    config = config or Config.from_env()
    given = _as_paths(paths) or [config.corpus_dir]
    with WRITE_LOCK:
        return _Ingest(config, given, sentences, progress, on_progress).run(rebuild)


def _under(path: str, folder: Path) -> bool:
    return Path(path).is_relative_to(folder)


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")  # noqa: UP017


def _record(doc: Document, chunker: str, chunks: int, ingested: str) -> DocRecord:
    """The record of ``doc`` (its commit marker), as stored with its ``chunks``."""
    return DocRecord(
        doc.source,
        doc.sha256,
        chunker,
        doc.title,
        doc.outlet,
        doc.date,
        doc.author,
        path=doc.path,
        kind=doc.kind,
        pages=doc.pages,
        ingested=ingested,
        chunks=chunks,
    )


class _Ingest:
    """One ingest: plan what each file needs, then embed, copy, commit and remove."""

    def __init__(
        self, config: Config, given: list[Path], sentences: bool, progress: bool, on_progress: Progress | None
    ) -> None:
        self.config, self.given, self.sentences = config, given, sentences
        self.progress, self.on_progress = progress, on_progress
        self.embedder = get_embedder(config.embedder)
        self.chunker = chunker_id(config)
        self.report = IngestReport()

    def run(self, rebuild: bool) -> IngestReport:
        preserved: dict[str, str] = {}
        paths = list(self.given)
        if rebuild:
            preserved = self._known_files()
            folders = [p.resolve() for p in self.given if p.is_dir()]
            paths += [Path(p) for p in preserved if os.path.isfile(p) and not any(_under(p, f) for f in folders)]
        _, read, skipped = read_files(paths)
        self.report.skipped = skipped
        if rebuild:
            Store.drop(self.config)  # a Searcher holding the old collections notices (Store.dropped)
        store = Store.open(self.config, self.embedder.name, create=True)
        store.mark_ingest(" ".join(str(p) for p in self.given))
        existing = store.documents()
        docs, retiring, kinds = self._plan(read, existing, preserved)
        self._index(store, docs, existing, kinds)
        for source, why in sorted(retiring.items()):
            store.delete_document(source)
            if why == "removed":
                self.report.removed.append(source)
        store.mark_ingest("")
        if self.report.added or self.report.updated or self.report.removed or self.report.moved:
            store.bump_version()
        log.info("ingest: %s", self.report.summary())
        return self.report

    def _known_files(self) -> dict[str, str]:
        """The files a rebuild reads again, and their names: {path: source} of the index
        as it is (nothing when it cannot be read)."""
        try:
            records = Store.open(self.config, self.embedder.name, any_embedder=True).documents()
        except RagError:
            return {}
        return {r.path: r.source for r in records.values() if r.path}

    def _plan(
        self, read: list[tuple[Found, Document]], existing: dict[str, DocRecord], preserved: dict[str, str]
    ) -> tuple[list[Document], dict[str, str], dict[str, str]]:
        """Name each document read, and find which indexed documents leave: (the documents
        named, {source: "removed" or "moved"} of those leaving, {source: "moved"} of
        documents that continue a moved one under its name)."""
        by_path = {r.path: r for r in existing.values() if r.path}
        found_paths = {doc.path for _, doc in read}
        retiring: dict[str, str] = {}
        for folder in (p.resolve() for p in self.given if p.is_dir()):
            for r in existing.values():
                if r.path and _under(r.path, folder) and r.path not in found_paths:
                    retiring[r.source] = "removed"
        names: dict[str, str] = {}  # path -> source
        unknown: list[tuple[Found, Document]] = []
        for found, doc in read:
            known = by_path.get(doc.path)
            legacy = existing.get(found.name)
            if known is not None:
                names[doc.path] = known.source
            elif doc.path in preserved:
                names[doc.path] = preserved[doc.path]
            elif legacy is not None and not legacy.path and legacy.source not in names.values():
                names[doc.path] = legacy.source  # an index from before paths were recorded
            else:
                unknown.append((found, doc))
        # A file whose content is that of a document whose own file is gone: it moved.
        gone = [r for r in existing.values() if r.path and r.path not in found_paths and not os.path.exists(r.path)]
        self.moved_from: dict[str, DocRecord] = {}
        for _, doc in unknown:
            origin = next((r for r in gone if r.sha256 == doc.sha256 and r.source not in self._claimed()), None)
            if origin is not None:
                self.moved_from[doc.path] = origin
                retiring[origin.source] = "moved"
        held = {s for s in existing if s not in retiring} | set(names.values())
        kinds: dict[str, str] = {}
        for found, doc in unknown:
            name = found.name
            if name in held:
                name = unique_name(found, held | set(retiring))
            elif name in retiring:  # the new file takes over the name of the one that left
                kinds[name] = "moved" if retiring.pop(name) == "moved" else "updated"
            names[doc.path] = name
            held.add(name)
        docs = [replace(doc, source=names[doc.path]) for _, doc in read]
        return docs, retiring, kinds

    def _claimed(self) -> set[str]:
        return {r.source for r in self.moved_from.values()}

    def _index(self, store: Store, docs: list[Document], existing: dict[str, DocRecord], kinds: dict[str, str]) -> None:
        donors = {(r.sha256, r.chunker): r for r in existing.values() if r.chunks or not r.ingested}
        to_embed: list[Document] = []
        to_copy: list[tuple[Document, DocRecord | None]] = []
        first: set[str] = set()
        for doc in docs:
            old = existing.get(doc.source)
            if old is not None and (old.sha256, old.chunker) == (doc.sha256, self.chunker):
                self._relabel(store, doc, old, kinds)
                continue
            moved = self.moved_from.get(doc.path)
            donor = (
                moved if moved is not None and moved.chunker == self.chunker else donors.get((doc.sha256, self.chunker))
            )
            if donor is not None:
                to_copy.append((doc, donor))
            elif doc.sha256 in first:  # identical to a document embedded in this ingest
                to_copy.append((doc, None))
            else:
                first.add(doc.sha256)
                to_embed.append(doc)
        for doc, donor in to_copy:
            if donor is not None and not self._copy(store, doc, donor, existing, kinds):
                to_embed.append(doc)
        self._embed(store, to_embed, existing, kinds)
        committed = {d.sha256: d for d in to_embed}
        for doc, donor in to_copy:
            if donor is None and not self._copy(store, doc, self._record(committed[doc.sha256], 0), existing, kinds):
                self._embed(store, [doc], existing, kinds)

    def _relabel(self, store: Store, doc: Document, old: DocRecord, kinds: dict[str, str]) -> None:
        """An unchanged text: rewrite its record if its path or metadata changed."""
        record = replace(self._record(doc, old.chunks), ingested=old.ingested or _now())
        if record != old:
            store.put_documents([record], [doc.text])
        if old.path and old.path != doc.path:
            self.report.moved.append((old.source, doc.source))
            kinds.pop(doc.source, None)
        elif kinds.pop(doc.source, None) == "moved":
            self.report.moved.append((doc.source, doc.source))
        else:
            self.report.unchanged.append(doc.source)

    def _record(self, doc: Document, chunks: int) -> DocRecord:
        return _record(doc, self.chunker, chunks, _now())

    def _copy(
        self, store: Store, doc: Document, donor: DocRecord, existing: dict[str, DocRecord], kinds: dict[str, str]
    ) -> bool:
        """Index ``doc`` with the stored vectors of ``donor``, which has the same text.
        False when the donor's vectors are not there (then it is embedded)."""
        ids, vectors, texts, metas = store.chunk_rows(donor.source, donor.sha256)
        if not ids:
            return False
        rows = sorted(zip(metas, vectors, texts, strict=True), key=lambda r: int(r[0]["chunk_index"]))
        store.add_chunks(
            ids=[chunk_id(doc, int(m["chunk_index"])) for m, _, _ in rows],
            vectors=np.asarray([v for _, v, _ in rows], dtype=np.float32),
            texts=[t for _, _, t in rows],
            metas=[_chunk_metadata(doc, int(m["start"]), int(m["end"]), int(m["chunk_index"])) for m, _, _ in rows],
        )
        copied = len(rows)
        if self.sentences:
            vectors, metas = store.sentence_rows(donor.source, donor.sha256)
            if metas:
                spans = [(int(m["start"]), int(m["end"])) for m in metas]
                store.add_sentences(
                    ids=[sentence_id(doc.source, doc.sha256, a, b) for a, b in spans],
                    vectors=np.asarray(vectors, dtype=np.float32),
                    metas=[{"source": doc.source, "sha256": doc.sha256, "start": a, "end": b} for a, b in spans],
                )
                copied += len(spans)
        self.report.reused += copied
        if donor.source != doc.source and self.moved_from.get(doc.path) == donor:
            kinds[doc.source] = f"moved:{donor.source}"
        _commit(store, [(doc, len(rows))], self.chunker, existing, self.report, kinds)
        return True

    def _embed(self, store: Store, todo: list[Document], existing: dict[str, DocRecord], kinds: dict[str, str]) -> None:
        if not todo:
            return
        config = self.config
        pieces = {d.source: chunk_text(d.text, config.chunk_tokens, config.chunk_overlap) for d in todo}
        spans = {d.source: _sentence_spans(pieces[d.source]) if self.sentences else [] for d in todo}
        for d in todo:
            longest = max((b - a for a, b in split_sentences(d.text)), default=0)
            if longest > LONG_SENTENCE:
                log.warning(
                    "%s has a sentence of %d characters (no sentence ends): it is cut into %d pieces of about "
                    "%d tokens.",
                    d.source,
                    longest,
                    len(pieces[d.source]),
                    config.chunk_tokens,
                )
        total = sum(len(pieces[d.source]) + len(spans[d.source]) for d in todo)
        writer = _Writer(store, self.chunker, existing, self.report, kinds)
        batcher = _Batcher(self.embedder, writer, _progress(total, self.progress), total, self.on_progress)
        try:
            for doc in todo:
                batcher.add(doc, pieces[doc.source], spans[doc.source])
            batcher.flush()
            writer.finish()
        finally:
            writer.close()
            batcher.bar.close()


def _commit(
    store: Store,
    docs: list[tuple[Document, int]],
    chunker: str,
    existing: dict[str, DocRecord],
    report: IngestReport,
    kinds: dict[str, str],
) -> None:
    """Make documents whose pieces are all stored visible: their records are the commit
    markers, written in one call, then the index version moves on."""
    for doc, _ in docs:
        if doc.source in existing:  # a new document has no chunks of an older version
            store.delete_stale_chunks(doc.source, doc.sha256)
    now = _now()
    records = [_record(d, chunker, n, now) for d, n in docs]
    store.put_documents(records, [d.text for d, _ in docs])
    store.bump_version()
    for doc, _ in docs:
        kind = kinds.pop(doc.source, "")
        if kind.startswith("moved"):  # "moved" (same name) or "moved:<old name>"
            report.moved.append((kind.partition(":")[2] or doc.source, doc.source))
        elif doc.source in existing:
            report.updated.append(doc.source)
        else:
            report.added.append(doc.source)


@dataclass
class _Piece:
    """One document's pieces to embed: its chunks and its sentences (offsets)."""

    doc: Document
    chunks: list[Chunk]
    sentences: list[tuple[int, int]]

    def texts(self) -> int:
        return len(self.chunks) + len(self.sentences)


@dataclass
class _Vectors:
    """What the writer stores for one document: its chunk and sentence vectors."""

    doc: Document
    chunks: list[Chunk]
    chunk_vectors: np.ndarray
    sentences: list[tuple[int, int]]
    sentence_vectors: np.ndarray


def pooled_chunk_vectors(
    chunks: list[Chunk], sentences: list[tuple[int, int]], sums: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Each chunk's vector, mean-pooled over the token states of the sentences it covers:
    the sum of their token-state sums over the sum of their token counts, normalised.
    ``sentences`` are sorted ``(start, end)`` offsets, ``sums`` and ``counts`` theirs. A
    chunk that covers no whole sentence gets a zero row."""
    starts = [a for a, _ in sentences]
    out = np.zeros((len(chunks), sums.shape[1]), dtype=np.float32)
    for row, c in enumerate(chunks):
        lo, hi = bisect_left(starts, c.start), bisect_left(starts, c.end)
        covered = [i for i in range(lo, hi) if sentences[i][1] <= c.end]
        if covered:
            out[row] = sums[covered].sum(0) / max(float(counts[covered].sum()), 1e-9)
    return normalise(out)


class _Batcher:
    """Embeds whole documents in groups of about ``SIZE`` texts (small batches waste the
    CPU; the embedder buckets each group by length) and hands their vectors to the writer.

    With sentence vectors and an embedder that gives token-state sums, each sentence is
    embedded once and each chunk's vector is pooled from its sentences' token states
    (``pooled_chunk_vectors``): every token is run through the model once, not twice."""

    SIZE = 1024
    """Texts (chunks and sentences) embedded together."""

    def __init__(self, embedder: Any, writer: _Writer, bar: Any, total: int, on_progress: Progress | None) -> None:
        self.embedder, self.writer, self.bar = embedder, writer, bar
        self.total, self.on_progress = total, on_progress
        self.waiting: list[_Piece] = []
        self.done = 0
        self._started = time.perf_counter()

    def add(self, doc: Document, chunks: list[Chunk], sentences: list[tuple[int, int]]) -> None:
        self.waiting.append(_Piece(doc, chunks, sentences))
        if sum(p.texts() for p in self.waiting) >= self.SIZE:
            self.flush()

    def flush(self) -> None:
        waiting, self.waiting = self.waiting, []
        if not waiting:
            return
        self.writer.put(self._vectors(waiting))
        texts = sum(p.texts() for p in waiting)
        first = self.done == 0
        self.done += texts
        self.bar.update(texts)
        if self.on_progress is not None:
            self.on_progress(self.done, self.total)
        if first and self.total > LARGE_INGEST:
            self._estimate(texts)

    def _vectors(self, waiting: list[_Piece]) -> list[_Vectors]:
        dim = int(self.embedder.dim)
        out: list[_Vectors] = []
        if hasattr(self.embedder, "sums") and all(p.sentences for p in waiting if p.chunks):
            texts = [p.doc.text[a:b] for p in waiting for a, b in p.sentences]
            sums, counts = self.embedder.sums(texts) if texts else (np.zeros((0, dim)), np.zeros(0))
            at = 0
            for p in waiting:
                n = len(p.sentences)
                s, c = sums[at : at + n], counts[at : at + n]
                at += n
                pooled = pooled_chunk_vectors(p.chunks, p.sentences, s, c)
                alone = [i for i, v in enumerate(pooled) if not v.any()]  # no whole sentence inside: embed it
                if alone:
                    pooled[alone] = self.embedder.embed([p.chunks[i].text for i in alone])
                out.append(_Vectors(p.doc, p.chunks, pooled, p.sentences, normalise(s)))
            return out
        texts = [p.doc.text[c.start : c.end] for p in waiting for c in p.chunks]
        texts += [p.doc.text[a:b] for p in waiting for a, b in p.sentences]
        vectors = self.embedder.embed(texts) if texts else np.zeros((0, dim), dtype=np.float32)
        chunks_at, sentences_at = 0, sum(len(p.chunks) for p in waiting)
        for p in waiting:
            c, n = len(p.chunks), len(p.sentences)
            out.append(
                _Vectors(
                    p.doc,
                    p.chunks,
                    vectors[chunks_at : chunks_at + c],
                    p.sentences,
                    vectors[sentences_at : sentences_at + n],
                )
            )
            chunks_at, sentences_at = chunks_at + c, sentences_at + n
        return out

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


class _Writer:
    """Writes embedded documents to Chroma and commits them, on a thread of its own so the
    writes overlap with embedding the next group. Groups are written in order; an error
    is raised again in the ingest's thread (at its next ``put`` or at ``finish``)."""

    def __init__(
        self, store: Store, chunker: str, existing: dict[str, DocRecord], report: IngestReport, kinds: dict[str, str]
    ) -> None:
        self.store, self.chunker, self.existing, self.report, self.kinds = store, chunker, existing, report, kinds
        self.queue: queue.Queue[list[_Vectors] | None] = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="rag-ingest-writer", daemon=True)
        self.thread.start()

    def put(self, group: list[_Vectors]) -> None:
        self._raise()
        self.queue.put(group)

    def finish(self) -> None:
        self.close()
        self._raise()

    def close(self) -> None:
        """Wait for the groups handed over so far to be written (or to fail)."""
        if self.thread.is_alive():
            self.queue.put(None)
            self.thread.join()

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise error

    def _run(self) -> None:
        while (group := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self._write(group)
                except BaseException as exc:  # handed to the ingest's thread
                    self.error = exc

    def _write(self, group: list[_Vectors]) -> None:
        chunks = [(v.doc, n, c, v.chunk_vectors[n]) for v in group for n, c in enumerate(v.chunks)]
        sentences = [(v.doc, a, b, v.sentence_vectors[i]) for v in group for i, (a, b) in enumerate(v.sentences)]
        if chunks:
            self.store.add_chunks(
                ids=[chunk_id(d, n) for d, n, _, _ in chunks],
                vectors=np.stack([x for _, _, _, x in chunks]),
                texts=[c.text for _, _, c, _ in chunks],
                metas=[_chunk_metadata(d, c.start, c.end, n) for d, n, c, _ in chunks],
            )
        if sentences:
            self.store.add_sentences(
                ids=[sentence_id(d.source, d.sha256, a, b) for d, a, b, _ in sentences],
                vectors=np.stack([x for _, _, _, x in sentences]),
                metas=[{"source": d.source, "sha256": d.sha256, "start": a, "end": b} for d, a, b, _ in sentences],
            )
        self.report.embedded += len(chunks) + len(sentences)
        _commit(
            self.store, [(v.doc, len(v.chunks)) for v in group], self.chunker, self.existing, self.report, self.kinds
        )


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

    # tqdm shows texts/s and the time left ([elapsed<remaining, rate]).
    return tqdm(total=total, desc="Embedding chunks and sentences", unit=" texts", mininterval=1.0)
