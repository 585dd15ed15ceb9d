"""SciFact (BEIR test split): retrieval quality of the hybrid, dense and lexical rankings.

    python benchmarks/scifact.py                        # full run: 5,183 abstracts, 300 test queries
    python benchmarks/scifact.py --limit 20 --docs 500  # smoke run on a small sub-corpus
    python benchmarks/scifact.py --json scifact.json    # also write the figures as JSON

Each abstract is written to a folder as ``<_id>.txt`` (title, blank line, text) and
ingested without sentence vectors. Chunk hits are folded to documents by first occurrence
(max), then nDCG@10 (trec_eval: linear gain from the qrels, log2 discount, ideal DCG from
the judged relevant documents) and Recall@100 are averaged over the queries. The index
is cached under /tmp keyed by a hash of the corpus file, so a second run embeds nothing.
Data and reference numbers: /work/shared/bench/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import shutil
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import rag
from rag import Config, ingest
from rag.chrome import content_spans
from rag.chunking import chunk_text
from rag.retrieval import rank, searcher

DATA = Path("/work/shared/bench/scifact")
CACHE = Path("/tmp/citewise-bench")
MODES = ("hybrid", "dense", "lexical")
REFERENCES = {"BM25 (BEIR paper)": 0.665, "all-MiniLM-L6-v2 dense (MTEB)": 0.645, "BGE-base-en-v1.5": 0.741}


@dataclass(frozen=True)
class ChromeLoss:
    documents: int
    affected: int
    """Documents with some non-blank text the corpus loader treats as site chrome."""
    emptied: int
    """Documents left with no text at all (skipped by ingest)."""
    chars_dropped: int
    chars_total: int
    examples: list[str]


@dataclass(frozen=True)
class Build:
    documents: int
    chunks: int
    embedded: int
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
class ModeResult:
    mode: str
    queries: int
    ndcg_at_10: float
    recall_at_100: float
    short_rankings: int
    """Queries whose ranking held fewer than 100 distinct documents."""
    latency_ms_p50: float
    latency_ms_p95: float


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


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def read_jsonl(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {document id: relevance}, header line skipped."""
    qrels: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8") as f:
        next(f)
        for line in f:
            qid, did, score = line.split("\t")
            qrels.setdefault(qid, {})[did] = int(score)
    return qrels


def document_text(doc: dict[str, str]) -> str:
    return f"{doc['title']}\n\n{doc['text']}"


def select_documents(
    corpus: list[dict[str, str]], qrels: dict[str, dict[str, int]], limit: int | None
) -> list[dict[str, str]]:
    """The whole corpus, or (for smoke runs) the judged documents plus the first others up to ``limit``."""
    if limit is None:
        return corpus
    judged = {d for rels in qrels.values() for d in rels}
    keep = [d for d in corpus if d["_id"] in judged]
    others = [d for d in corpus if d["_id"] not in judged]
    return keep + others[: max(0, limit - len(keep))]


def cache_dir(corpus_file: Path, docs: list[dict[str, str]], full: bool) -> Path:
    digest = hashlib.sha256(corpus_file.read_bytes())
    if not full:  # a sub-corpus gets its own index
        digest.update("\n".join(sorted(d["_id"] for d in docs)).encode())
    return CACHE / f"scifact-{digest.hexdigest()[:16]}"


def write_documents(folder: Path, texts: dict[str, str]) -> None:
    """One file per abstract; files already holding the same text are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def chrome_loss(texts: dict[str, str]) -> ChromeLoss:
    """How much of the benchmark text the site-chrome filter leaves out of the index."""
    affected = emptied = dropped = total = 0
    examples: list[str] = []
    for name, text in texts.items():
        size = len(re.sub(r"\s", "", text))
        kept = sum(len(re.sub(r"\s", "", text[a:b])) for a, b in content_spans(text))
        total += size
        if kept < size:
            affected += 1
            dropped += size - kept
            emptied += kept == 0
            lost = [line for line in text.splitlines() if line.strip() and line.strip() not in _kept_text(text)]
            if len(examples) < 5 and lost:
                examples.append(f"{name}: {lost[0][:90]!r}")
    return ChromeLoss(len(texts), affected, emptied, dropped, total, examples)


def _kept_text(text: str) -> str:
    return "\n".join(text[a:b] for a, b in content_spans(text))


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
    """Do cached chunk vectors match what the current embedder computes (a sample of them)?"""
    s = searcher(config)
    picks = random.Random(0).sample(s.chunks, min(sample, len(s.chunks)))
    for vector in s.embedder.embed([c.text for c in picks]):
        nearest = s.store.nearest(vector, 1)
        if not nearest or nearest[0][1] < 0.999:
            return False
    return True


def build_index(workdir: Path, texts: dict[str, str], sentences: bool, rebuild: bool) -> tuple[Config, Build]:
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
    stale = stale_documents(config, texts) if report.unchanged else []
    if stale:
        print(f"{len(stale)} cached documents were chunked by older code: embedding them again", file=sys.stderr)
        store = searcher(config).store
        for name in stale:
            store.delete_document(name)
        ingest([corpus_dir], config, progress=True, sentences=sentences)
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
        rechunked=len(stale),
        vectors_current=current,
        index_dir=str(config.index_dir),
    )
    return config, build


def document_ranking(query: str, config: Config, depth: int, mode: str) -> list[str]:
    """Document ids, best first: each document at the rank of its best chunk."""
    chunks = searcher(config).chunks
    seen: dict[str, None] = {}
    for hit in rank(query, config, depth=depth, mode=mode):
        seen.setdefault(Path(chunks[hit.index].source).stem, None)
    return list(seen)


def ndcg_at(ranking: list[str], rels: dict[str, int], k: int) -> float:
    dcg = sum(rels.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranking[:k]))
    ideal = sorted((r for r in rels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranking: list[str], rels: dict[str, int], k: int) -> float:
    relevant = {d for d, r in rels.items() if r > 0}
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


def evaluate(
    mode: str, queries: dict[str, str], qrels: dict[str, dict[str, int]], config: Config, depth: int
) -> ModeResult:
    from tqdm import tqdm

    document_ranking("warm-up query", config, depth, mode)  # model, BM25, Chroma segments
    ndcg, recall, latency = [], [], []
    short = 0
    for qid in tqdm(list(qrels), desc=f"{mode:>7} queries", unit="q", file=sys.stderr):
        t = time.perf_counter()
        ranking = document_ranking(queries[qid], config, depth, mode)
        latency.append((time.perf_counter() - t) * 1000)
        short += len(ranking) < 100
        ndcg.append(ndcg_at(ranking, qrels[qid], 10))
        recall.append(recall_at(ranking, qrels[qid], 100))
    return ModeResult(
        mode=mode,
        queries=len(ndcg),
        ndcg_at_10=round(statistics.fmean(ndcg), 4),
        recall_at_100=round(statistics.fmean(recall), 4),
        short_rankings=short,
        latency_ms_p50=round(statistics.median(latency), 1),
        latency_ms_p95=round(percentile(latency, 0.95), 1),
    )


def print_report(build: Build, loss: ChromeLoss, results: list[ModeResult], subset: bool) -> None:
    print()
    state = "reused cached index" if build.cached else "built now"
    print(f"Corpus: {build.documents} documents, {build.chunks} chunks ({state}, {build.embedded} texts embedded)")
    print(f"Ingest: {build.cold_ingest_s:.1f} s cold; {build.ingest_s:.2f} s this run")
    print(f"Cache: {build.rechunked} documents re-chunked, vectors current: {build.vectors_current}")
    print(
        f"Site-chrome filter: {loss.affected} of {loss.documents} documents lose text "
        f"({loss.chars_dropped} of {loss.chars_total} non-blank characters), {loss.emptied} emptied"
    )
    for example in loss.examples:
        print(f"  dropped: {example}")
    print()
    print(f"{'mode':<8} {'queries':>7} {'nDCG@10':>8} {'R@100':>7} {'<100 docs':>9} {'p50 ms':>7} {'p95 ms':>7}")
    for r in results:
        print(
            f"{r.mode:<8} {r.queries:>7} {r.ndcg_at_10:>8.3f} {r.recall_at_100:>7.3f} {r.short_rankings:>9} "
            f"{r.latency_ms_p50:>7.1f} {r.latency_ms_p95:>7.1f}"
        )
    print()
    print("Published nDCG@10 (full corpus): " + ", ".join(f"{k} {v:.3f}" for k, v in REFERENCES.items()))
    if subset:
        print("NOTE: sub-corpus run (--docs): figures are not comparable with the published ones.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N test queries (smoke run)")
    parser.add_argument("--docs", type=int, help="sub-corpus: the judged abstracts plus others up to N (smoke run)")
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--depth", type=int, default=300, help="chunks ranked per query (default 300)")
    parser.add_argument("--rebuild", action="store_true", help="delete the cached index and embed again")
    parser.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads, 0 = default (default 1)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures to this JSON file")
    parser.add_argument("--data", type=Path, default=DATA, help=f"SciFact in BEIR layout (default {DATA})")
    args = parser.parse_args()
    limit_blas_threads(args.blas_threads)

    started = time.perf_counter()
    corpus = read_jsonl(args.data / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(args.data / "queries.jsonl")}
    qrels = read_qrels(args.data / "qrels" / "test.tsv")
    if args.limit is not None:
        qrels = dict(list(qrels.items())[: args.limit])
    docs = select_documents(corpus, qrels, args.docs)
    workdir = cache_dir(args.data / "corpus.jsonl", docs, args.docs is None)
    texts = {f"{d['_id']}.txt": document_text(d) for d in docs}
    loss = chrome_loss(texts)
    config, build = build_index(workdir, texts, sentences=False, rebuild=args.rebuild)
    results = [evaluate(mode, queries, qrels, config, args.depth) for mode in args.modes]
    print_report(build, loss, results, args.docs is not None)
    total = time.perf_counter() - started
    print(f"Total run time: {total:.0f} s")
    if args.json:
        figures = {
            "benchmark": "scifact",
            "date": time.strftime("%Y-%m-%d"),
            "depth": args.depth,
            "blas_threads": args.blas_threads,
            "rag_code": code_fingerprint(),
            "build": asdict(build),
            "chrome_loss": asdict(loss),
            "results": [asdict(r) for r in results],
            "references_ndcg_at_10": REFERENCES,
            "run_s": round(total, 1),
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
