"""Scale: ingest throughput, retrieval and ask latency, HNSW recall, cold start and peak
memory at three sizes, with the embedded index and with a Chroma server.

Sizes: the 5 seed articles (default settings, 61 chunks), then SciFact abstracts and
SQuAD dev paragraphs from /work/shared/bench chunked at 32 tokens: ~10,000 chunks (the
first 750 documents) and ~100,000 chunks (all 7,250). Chunk vectors only at the two
larger sizes (``sentences=False``; the seeds get their sentence vectors as usual).

Each (size, mode) runs in its own process, so that its peak memory is its own:

    python benchmarks/scale.py                      # everything (about an hour on 2 cores)
    python benchmarks/scale.py --sizes seeds 10k    # a quicker look
    python benchmarks/scale.py --modes embedded --json scale.json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path("/work/shared/bench")
WORK = Path("/tmp/citewise-bench/scale")
SIZES = {"seeds": None, "10k": 750, "100k": 100_000}


def corpus(size: str) -> Path:
    """The corpus folder of a size (written once)."""
    if size == "seeds":
        return ROOT / "seeds"
    target = WORK / f"corpus-{size}"
    if target.is_dir():
        return target
    texts: list[tuple[str, str]] = []
    for line in (BENCH / "scifact" / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        texts.append((f"scifact-{d['_id']}", f"{d.get('title', '')}\n\n{d['text']}\n"))
    squad = json.loads((BENCH / "squad" / "dev-v1.1.json").read_text(encoding="utf-8"))
    for a in squad["data"]:
        for n, p in enumerate(a["paragraphs"]):
            texts.append((f"squad-{a['title'][:40]}-{n}", f"{a['title'].replace('_', ' ')}\n\n{p['context']}\n"))
    limit = SIZES[size] or len(texts)
    tmp = target.with_suffix(".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, text in texts[:limit]:
        (tmp / f"{''.join(c if c.isalnum() or c in '-_' else '_' for c in name)}.txt").write_text(text, "utf-8")
    tmp.rename(target)
    return target


def queries(n: int) -> list[str]:
    qs = [json.loads(x)["text"] for x in (BENCH / "scifact" / "queries.jsonl").read_text("utf-8").splitlines()]
    squad = json.loads((BENCH / "squad" / "dev-v1.1.json").read_text(encoding="utf-8"))
    qs += [q["question"] for a in squad["data"] for p in a["paragraphs"] for q in p["qas"]][::50]
    return qs[:n]


def percentiles(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    return {"p50": round(statistics.median(s), 1), "p95": round(s[int(0.95 * (len(s) - 1))], 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(path: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2)
            return proc, url
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("chroma run did not start")


def config_for(size: str, mode: str, url: str = "") -> Any:
    from rag import Config

    index = WORK / f"index-{size}-{mode}"
    extra: dict[str, Any] = {} if size == "seeds" else {"chunk_tokens": 32, "chunk_overlap": 0}
    return Config(corpus_dir=corpus(size), index_dir=index, chroma_url=url, collection=f"scale{size}", **extra)


def one(size: str, mode: str, url: str) -> dict[str, Any]:
    """Measure one size in one mode (run in a child process)."""
    import rag
    from rag import ingest
    from rag.chunking import chunk_text
    from rag.corpus import load_corpus
    from rag.embedding import get_embedder
    from rag.retrieval import forget, searcher
    from rag.store import Store

    config = config_for(size, mode, url)
    shutil.rmtree(config.index_dir, ignore_errors=True)
    if url:
        Store.drop(config)
    out: dict[str, Any] = {"size": size, "mode": mode}
    _, docs, _ = load_corpus([config.corpus_dir])
    chunks = [c for d in docs for c in chunk_text(d.text, config.chunk_tokens, config.chunk_overlap)]
    embedder = get_embedder(config.embedder)
    sample = [c.text for c in chunks[:: max(1, len(chunks) // 2000)]][:2000]
    embedder.embed(sample[:64])  # load the model outside the timing
    t = time.perf_counter()
    for i in range(0, len(sample), 64):  # the batch size ingest uses
        embedder.embed(sample[i : i + 64])
    out["embed_texts_per_s"] = round(len(sample) / (time.perf_counter() - t), 1)

    t = time.perf_counter()
    report = ingest(config=config, progress=False, sentences=size == "seeds")
    seconds = time.perf_counter() - t
    s = searcher(config)
    out["documents"], out["chunks"] = len(report.added), len(s.chunks)
    texts = len(s.chunks) + (s.store._sentences.count() if size == "seeds" else 0)
    out["ingest_s"] = round(seconds, 1)
    out["ingest_texts_per_s"] = round(texts / seconds, 1)
    out["pipeline_overhead"] = round(out["embed_texts_per_s"] / out["ingest_texts_per_s"] - 1, 3)

    qs = queries(100)
    rag.retrieve("warm up", config=config)
    ms = []
    for q in qs:
        t = time.perf_counter()
        rag.retrieve(q, config=config)
        ms.append(1000 * (time.perf_counter() - t))
    out["retrieve_ms"] = percentiles(ms)
    ms = []
    for q in qs[:50]:
        t = time.perf_counter()
        rag.ask(q, config=config)
        ms.append(1000 * (time.perf_counter() - t))
    out["ask_ms"] = percentiles(ms)

    # HNSW recall@10 of the dense chunk search against exact search over every stored vector
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    total = s.store._chunks.count()
    for offset in range(0, total, 5000):
        got = s.store._chunks.get(include=["embeddings"], limit=5000, offset=offset)
        ids += got["ids"]
        vectors.append(np.asarray(got["embeddings"], dtype=np.float32))
    matrix = np.vstack(vectors)
    qv = embedder.embed(qs)
    recalls, exact_ms = [], []
    for v in qv:
        t = time.perf_counter()
        exact = {ids[i] for i in np.argsort(-(matrix @ v))[:10]}
        exact_ms.append(1000 * (time.perf_counter() - t))
        approx = {cid for cid, _ in s.store.nearest(v, 10)}
        recalls.append(len(exact & approx) / min(10, len(ids)))
    out["hnsw_recall_at_10"] = round(float(np.mean(recalls)), 4)
    out["exact_search_ms_p50"] = round(statistics.median(exact_ms), 1)
    forget(config)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    return out


def cold_start(size: str, mode: str, url: str) -> dict[str, Any]:
    """`rag ask` in a new process against the built index: wall time and peak memory."""
    config = config_for(size, mode, url)
    env = dict(os.environ, RAG_INDEX_DIR=str(config.index_dir), RAG_CORPUS_DIR=str(config.corpus_dir))
    env |= {"RAG_COLLECTION": config.collection, "RAG_CHROMA_URL": url}
    env |= {"RAG_CHUNK_TOKENS": str(config.chunk_tokens), "RAG_CHUNK_OVERLAP": str(config.chunk_overlap)}
    # `rag ask` as the console script runs it, then its own peak memory
    code = (
        "import resource, sys; from rag.cli import main; main(['ask', 'What causes cancer?', '--json']); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)"
    )
    runs, rss = [], 0
    for _ in range(3):
        t = time.perf_counter()
        child = subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True)
        runs.append(time.perf_counter() - t)
        rss = max(rss, int(child.stderr.strip().splitlines()[-1]) // 1024)
    return {"cold_ask_s": round(min(runs), 2), "cold_ask_runs": [round(r, 2) for r in runs], "cold_rss_mb": rss}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="*", default=list(SIZES), choices=list(SIZES))
    parser.add_argument("--modes", nargs="*", default=["embedded", "server"], choices=["embedded", "server"])
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--one", nargs=3, metavar=("SIZE", "MODE", "URL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        size, mode, url = args.one
        result = one(size, mode, "" if url == "-" else url)
        print(json.dumps(result), flush=True)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    results = []
    for mode in args.modes:
        server, url = start_server(WORK / "chroma-server") if mode == "server" else (None, "")
        try:
            for size in args.sizes:
                corpus(size)
                child = subprocess.run(
                    [sys.executable, __file__, "--one", size, mode, url or "-"], capture_output=True, text=True
                )
                if child.returncode:
                    print(child.stderr[-3000:], file=sys.stderr)
                    return 1
                result = json.loads(child.stdout.strip().splitlines()[-1])
                result |= cold_start(size, mode, url)
                results.append(result)
                print(json.dumps(result), flush=True)
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
    print()
    print("size   mode      chunks  ingest/s  embed/s  overhead  retrieve p50/p95  ask p50/p95  recall@10", end="")
    print("  cold ask  peak RSS")
    for r in results:
        print(
            f"{r['size']:6} {r['mode']:9} {r['chunks']:6}  {r['ingest_texts_per_s']:8}  {r['embed_texts_per_s']:7}  "
            f"{100 * r['pipeline_overhead']:7.1f}%  {r['retrieve_ms']['p50']:7} / {r['retrieve_ms']['p95']:<7} "
            f"{r['ask_ms']['p50']:5} / {r['ask_ms']['p95']:<5}  {r['hnsw_recall_at_10']:9}  {r['cold_ask_s']:6} s  "
            f"{r['peak_rss_mb']} MB"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
