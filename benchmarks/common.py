"""Shared plumbing of the corpus benchmarks (scifact.py, squad.py).

Index building and caching under /tmp/citewise-bench (re-chunk and vector checks
included), the site-chrome filter counts, BLAS thread limiting, latency percentiles,
the common command-line options and the report and JSON pieces both scripts print.
The scripts ``import common`` (``python benchmarks/x.py`` puts benchmarks/ on sys.path)
and call ``common.<name>``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import rag
from rag import Config, ingest
from rag.chrome import content_spans
from rag.chunking import Chunk, chunk_text
from rag.ingest import pooled_chunk_vectors
from rag.retrieval import rank, searcher

CACHE = Path("/tmp/citewise-bench")
BENCH = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "bench", Path("/work/shared/bench")) if p.is_dir()),
    Path("/work/shared/bench"),
)
"""The external benchmarks: ``shared/bench`` beside the checkout (as in CI), else /work/shared/bench."""
MODES = ("hybrid", "dense", "lexical")
SUBSET_NOTE = "NOTE: sub-corpus run (--docs): figures are not comparable with the published ones."

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Build:
    documents: int
    chunks: int
    embedded: int
    """Texts (chunks, and sentences when asked for) embedded when the index was built."""
    ingest_s: float
    """Wall time of this run's ingest call (near 0 when the cached index was reused)."""
    cold_ingest_s: float
    """Wall time of the ingest that embedded the corpus (remembered in the cache)."""
    cached: bool
    index_dir: str
    rechunked: int
    """Cached documents embedded again because the current chunker splits them differently."""
    vectors_current: bool
    """A sample of cached vectors matches the current embedder."""


@dataclass(frozen=True)
class ChromeLoss:
    """What the site-chrome filter leaves out of the index (each benchmark adds its own fields)."""

    documents: int
    affected: int
    """Documents with some non-blank text the corpus loader treats as site chrome."""
    emptied: int
    """Documents left with no text at all (skipped by ingest)."""
    chars_dropped: int
    chars_total: int


@dataclass(frozen=True)
class ChromeCounts:
    """The site-chrome filter run over a set of documents."""

    affected: list[str]
    """Names of the documents that lose some non-blank text, in order."""
    emptied: int
    chars_dropped: int
    chars_total: int
    kept: dict[str, str]
    """The text each document keeps, by file name."""

    def loss(self) -> dict[str, int]:
        """The fields of a ChromeLoss, as keyword arguments."""
        return {
            "documents": len(self.kept),
            "affected": len(self.affected),
            "emptied": self.emptied,
            "chars_dropped": self.chars_dropped,
            "chars_total": self.chars_total,
        }


# --- environment and provenance -------------------------------------------------------


def limit_blas_threads(threads: int) -> None:
    """Cap OpenBLAS threads (0 = library default). On a shared 2-core machine the default
    (one thread per core) slows the NumPy embedder ~10x as soon as another process is busy."""
    if threads <= 0:
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed: BLAS threads left at the default", file=sys.stderr)
        return
    threadpool_limits(limits=threads, user_api="blas")


def code_fingerprint() -> str:
    """Short hash of the rag sources: which code was measured."""
    folder = Path(rag.__file__).parent
    files = sorted(folder.glob("*.py"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()[:12]


# --- latency ----------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The value at quantile ``q`` (0..1) of ``values``, nearest rank, no interpolation."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_ms(latency: list[float], call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Return ``call(*args, **kwargs)``, appending its wall time in milliseconds to ``latency``."""
    t = time.perf_counter()
    result = call(*args, **kwargs)
    latency.append((time.perf_counter() - t) * 1000)
    return result


def latency_p50_p95(latency: list[float]) -> tuple[float, float]:
    """Median and 95th percentile of latencies in ms, rounded to 0.1 ms."""
    return round(statistics.median(latency), 1), round(percentile(latency, 0.95), 1)


# --- site-chrome filter -----------------------------------------------------------------


def kept_text(text: str) -> str:
    """The parts of ``text`` the corpus loader keeps (site chrome left out), one per line."""
    return "\n".join(text[a:b] for a, b in content_spans(text))


def _nonblank(text: str) -> int:
    return len(re.sub(r"\s", "", text))


def chrome_counts(texts: dict[str, str]) -> ChromeCounts:
    """How many documents and non-blank characters the site-chrome filter drops."""
    emptied = dropped = total = 0
    affected: list[str] = []
    kept: dict[str, str] = {}
    for name, text in texts.items():
        kept[name] = kept_text(text)
        size, left = _nonblank(text), _nonblank(kept[name])
        total += size
        if left < size:
            affected.append(name)
            dropped += size - left
            emptied += left == 0
    return ChromeCounts(affected, emptied, dropped, total, kept)


# --- index building and caching ---------------------------------------------------------


def cache_dir(prefix: str, data_file: Path, names: Iterable[str], full: bool) -> Path:
    """Index folder under CACHE keyed by a hash of the data file (and, for a sub-corpus,
    of the sorted document names): ``<prefix>-<16 hex digits>``."""
    digest = hashlib.sha256(data_file.read_bytes())
    if not full:  # a sub-corpus gets its own index
        digest.update("\n".join(sorted(names)).encode())
    return CACHE / f"{prefix}-{digest.hexdigest()[:16]}"


def write_documents(folder: Path, texts: dict[str, str]) -> None:
    """One file per document; files already holding the same text are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def stale_documents(config: Config, texts: dict[str, str]) -> list[str]:
    """Documents whose cached chunks differ from what the current chunker makes of them.
    The incremental ingest only re-chunks a file when its text or the chunk size changes,
    so a cached index would otherwise outlive edits to the chunker or the chrome filter."""
    stored: dict[str, list[tuple[int, int]]] = {}
    for c in searcher(config).chunks:
        stored.setdefault(c.source, []).append((c.start, c.end))
    return [
        name
        for name, text in texts.items()
        if sorted(stored.get(name, []))
        != sorted((c.start, c.end) for c in chunk_text(text, config.chunk_tokens, config.chunk_overlap))
    ]


def vectors_current(config: Config, sample: int = 20) -> bool:
    """Do cached chunk vectors match what the current ingest computes (a sample of them)?
    A chunk of a document with sentence vectors is pooled from its sentences' token states
    (``rag.ingest.pooled_chunk_vectors``); one without is embedded directly."""
    s = searcher(config)
    picks = random.Random(0).sample(s.chunks, min(sample, len(s.chunks)))
    for c in picks:
        _, metas = s.store.sentence_rows(c.source, c.sha256)
        spans = sorted((int(m["start"]), int(m["end"])) for m in metas)
        spans = [(a, b) for a, b in spans if c.start <= a and b <= c.end]
        sums = getattr(s.embedder, "sums", None)
        if spans and sums is not None:
            text = s.store.document_text(c.source)
            vector = pooled_chunk_vectors(
                [Chunk(c.start, c.end, c.text, 0)], spans, *sums([text[a:b] for a, b in spans])
            )[0]
        else:
            vector = s.embedder.embed([c.text])[0]
        nearest = s.store.nearest(vector, 1)
        if not nearest or nearest[0][1] < 0.999:
            return False
    return True


def _rechunk_stale(config: Config, texts: dict[str, str], sentences: bool) -> int:
    """Embed again the cached documents the current chunker splits differently; how many."""
    stale = stale_documents(config, texts)
    if stale:
        print(f"{len(stale)} cached documents were chunked by older code: embedding them again", file=sys.stderr)
        store = searcher(config).store
        for name in stale:
            store.delete_document(name)
        ingest([config.corpus_dir], config, progress=True, sentences=sentences)
    return len(stale)


def build_index(workdir: Path, texts: dict[str, str], sentences: bool, rebuild: bool) -> tuple[Config, Build]:
    """Write ``texts`` to ``workdir/docs`` and ingest them into ``workdir/index``, reusing
    what is cached there; the cold ingest time is remembered in ``workdir/build.json``."""
    corpus_dir, meta_file = workdir / "docs", workdir / "build.json"
    if rebuild:
        shutil.rmtree(workdir, ignore_errors=True)
    write_documents(corpus_dir, texts)
    config = Config(corpus_dir=corpus_dir, index_dir=workdir / "index")
    print(f"Index: {config.index_dir} ({len(texts)} documents)", file=sys.stderr)
    t = time.perf_counter()
    report = ingest([corpus_dir], config, progress=True, sentences=sentences)
    seconds = time.perf_counter() - t
    if len(report.added) == len(texts) - len(report.skipped) or not meta_file.exists():
        meta_file.write_text(json.dumps({"cold_ingest_s": round(seconds, 1), "embedded": report.embedded}))
    rechunked = _rechunk_stale(config, texts, sentences) if report.unchanged else 0
    current = vectors_current(config)
    if not current:
        print("WARNING: cached vectors differ from the current embedder's: run with --rebuild", file=sys.stderr)
    remembered = json.loads(meta_file.read_text())
    build = Build(
        documents=len(texts) - len(report.skipped),
        chunks=len(searcher(config).chunks),
        embedded=int(remembered["embedded"]),
        ingest_s=round(seconds, 2),
        cold_ingest_s=float(remembered["cold_ingest_s"]),
        cached=report.embedded == 0,
        rechunked=rechunked,
        vectors_current=current,
        index_dir=str(config.index_dir),
    )
    return config, build


# --- ranking ----------------------------------------------------------------------------


def document_ranking(
    query: str, config: Config, depth: int, mode: str, key: Callable[[str], str] | None = None
) -> list[str]:
    """Documents, best first: each at the rank of its best chunk. A document is named by
    its file name, or by ``key(file name)`` when a key is given."""
    chunks = searcher(config).chunks
    seen: dict[str, None] = {}
    for hit in rank(query, config, depth=depth, mode=mode):
        source = chunks[hit.index].source
        seen.setdefault(key(source) if key else source, None)
    return list(seen)


# --- command line, report and JSON --------------------------------------------------------


def benchmark_parser(doc: str | None, limit_help: str, docs_help: str) -> argparse.ArgumentParser:
    """A parser showing the script's docstring, with the --limit and --docs smoke-run options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help=limit_help)
    parser.add_argument("--docs", type=int, help=docs_help)
    return parser


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """The --rebuild, --blas-threads and --json options."""
    parser.add_argument("--rebuild", action="store_true", help="delete the cached index and embed again")
    parser.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads, 0 = default (default 1)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures to this JSON file")


def print_build(build: Build, noun: str) -> None:
    """The Corpus, Ingest and Cache lines of a report (after a blank line); ``noun``
    names the documents ("documents", "paragraphs")."""
    print()
    state = "reused cached index" if build.cached else "built now"
    print(f"Corpus: {build.documents} {noun}, {build.chunks} chunks ({state}, {build.embedded} texts embedded)")
    print(f"Ingest: {build.cold_ingest_s:.1f} s cold; {build.ingest_s:.2f} s this run")
    print(f"Cache: {build.rechunked} documents re-chunked, vectors current: {build.vectors_current}")


def figures_header(benchmark: str, depth: int, blas_threads: int, build: Build, loss: ChromeLoss) -> dict[str, Any]:
    """The leading keys of a benchmark's JSON figures."""
    return {
        "benchmark": benchmark,
        "date": time.strftime("%Y-%m-%d"),
        "depth": depth,
        "blas_threads": blas_threads,
        "rag_code": code_fingerprint(),
        "build": asdict(build),
        "chrome_loss": asdict(loss),
    }


def print_total(started: float) -> float:
    """Print the run time since ``started`` (a ``time.perf_counter()`` reading) and return it."""
    total = time.perf_counter() - started
    print(f"Total run time: {total:.0f} s")
    return total


def write_json(out: Path, figures: dict[str, Any]) -> None:
    """Write the figures as indented JSON."""
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
