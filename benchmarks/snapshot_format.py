"""The start-up snapshot's format: plain data (NumPy arrays + JSON, ``rag/snapshot.py``)
against the pickle it replaced, on the same chunks and BM25 index.

The chunks are the SciFact abstracts (5,183 documents) cut by Citewise's chunker at
``--tokens`` tokens (32 gives about 84,000 chunks, the scale benchmark's largest index);
without SciFact, the seed articles repeated. For each format it prints the file size and
the median time to save and to load it (cold ``rag ask`` pays the load).

    python benchmarks/snapshot_format.py [--tokens 32]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import statistics
import tempfile
import time
from pathlib import Path

from rag import Config
from rag.chunking import chunk_text
from rag.lexical import BM25
from rag.snapshot import load_snapshot, save_snapshot
from rag.store import DocRecord, StoredChunk

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = next(
    (p for p in (ROOT.parent / "shared" / "bench" / "scifact", Path("/work/shared/bench/scifact")) if p.is_dir()),
    None,
)


def corpus() -> dict[str, str]:
    if SCIFACT is not None:
        rows = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").open(encoding="utf-8")]
        return {f"{r['_id']}.txt": f"{r['title']}\n\n{r['text']}" for r in rows}
    seeds = {p.name: p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))}
    return {f"{n}-{name}": text for n in range(200) for name, text in seeds.items()}


def timed(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=32, help="chunk size (default 32: about 84k chunks)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    texts = corpus()
    docs: dict[str, DocRecord] = {}
    chunks: list[StoredChunk] = []
    for name, text in texts.items():
        sha = hashlib.sha256(text.encode()).hexdigest()
        docs[name] = DocRecord(name, sha, "bench", text.split("\n", 1)[0], None, None)
        for n, c in enumerate(chunk_text(text, args.tokens, 0)):
            chunks.append(StoredChunk(f"{name}#{sha[:16]}:{n}", c.text, name, c.start, c.end, sha))
    bm25 = BM25([c.text for c in chunks])
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(index_dir=Path(tmp) / "index", corpus_dir=Path(tmp))
        pickled = Path(tmp) / "snapshot.pickle"

        def save_pickle() -> None:
            with pickled.open("wb") as f:
                pickle.dump((3, 1, (docs, chunks, bm25)), f, protocol=pickle.HIGHEST_PROTOCOL)

        def load_pickle() -> None:
            with pickled.open("rb") as f:
                pickle.load(f)

        report = {"documents": len(docs), "chunks": len(chunks), "terms": len(bm25.to_arrays()[0])}
        report["pickle save s"] = round(timed(save_pickle, args.repeat), 3)
        report["pickle load s"] = round(timed(load_pickle, args.repeat), 3)
        report["pickle MB"] = round(pickled.stat().st_size / 1e6, 1)
        report["plain data save s"] = round(timed(lambda: save_snapshot(config, 1, docs, chunks, bm25), args.repeat), 3)
        loaded = load_snapshot(config, 1)
        assert loaded is not None and loaded[1] == chunks
        report["plain data load s"] = round(timed(lambda: load_snapshot(config, 1), args.repeat), 3)
        [npz] = (config.index_dir / "snapshots").glob("*.npz")
        report["plain data MB"] = round(npz.stat().st_size / 1e6, 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
