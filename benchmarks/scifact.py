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

import json
import math
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import common

from rag import Config

DATA = common.BENCH / "scifact"
REFERENCES = {"BM25 (BEIR paper)": 0.665, "all-MiniLM-L6-v2 dense (MTEB)": 0.645, "BGE-base-en-v1.5": 0.741}


@dataclass(frozen=True)
class AbstractsLoss(common.ChromeLoss):
    examples: list[str]
    """Up to 5 dropped lines, as ``<file>: <line>``."""


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


def chrome_loss(texts: dict[str, str]) -> AbstractsLoss:
    """How much of the benchmark text the site-chrome filter leaves out of the index."""
    counts = common.chrome_counts(texts)
    examples: list[str] = []
    for name in counts.affected:
        kept = counts.kept[name]
        lost = [line for line in texts[name].splitlines() if line.strip() and line.strip() not in kept]
        if len(examples) < 5 and lost:
            examples.append(f"{name}: {lost[0][:90]!r}")
    return AbstractsLoss(**counts.loss(), examples=examples)


def _stem(source: str) -> str:
    """Document id of a corpus file ``<_id>.txt``."""
    return Path(source).stem


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

    common.document_ranking("warm-up query", config, depth, mode, key=_stem)  # model, BM25, Chroma segments
    ndcg: list[float] = []
    recall: list[float] = []
    latency: list[float] = []
    short = 0
    for qid in tqdm(list(qrels), desc=f"{mode:>7} queries", unit="q", file=sys.stderr):
        ranking = common.timed_ms(latency, common.document_ranking, queries[qid], config, depth, mode, key=_stem)
        short += len(ranking) < 100
        ndcg.append(ndcg_at(ranking, qrels[qid], 10))
        recall.append(recall_at(ranking, qrels[qid], 100))
    p50, p95 = common.latency_p50_p95(latency)
    return ModeResult(
        mode=mode,
        queries=len(ndcg),
        ndcg_at_10=round(statistics.fmean(ndcg), 4),
        recall_at_100=round(statistics.fmean(recall), 4),
        short_rankings=short,
        latency_ms_p50=p50,
        latency_ms_p95=p95,
    )


def print_report(build: common.Build, loss: AbstractsLoss, results: list[ModeResult], subset: bool) -> None:
    common.print_build(build, "documents")
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
        print(common.SUBSET_NOTE)


def main() -> None:
    parser = common.benchmark_parser(
        __doc__,
        "only the first N test queries (smoke run)",
        "sub-corpus: the judged abstracts plus others up to N (smoke run)",
    )
    parser.add_argument("--modes", nargs="+", choices=common.MODES, default=list(common.MODES))
    parser.add_argument("--depth", type=int, default=300, help="chunks ranked per query (default 300)")
    common.add_run_arguments(parser)
    parser.add_argument("--data", type=Path, default=DATA, help=f"SciFact in BEIR layout (default {DATA})")
    args = parser.parse_args()
    common.limit_blas_threads(args.blas_threads)

    started = time.perf_counter()
    corpus = read_jsonl(args.data / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(args.data / "queries.jsonl")}
    qrels = read_qrels(args.data / "qrels" / "test.tsv")
    if args.limit is not None:
        qrels = dict(list(qrels.items())[: args.limit])
    docs = select_documents(corpus, qrels, args.docs)
    workdir = common.cache_dir("scifact", args.data / "corpus.jsonl", (d["_id"] for d in docs), args.docs is None)
    texts = {f"{d['_id']}.txt": document_text(d) for d in docs}
    loss = chrome_loss(texts)
    config, build = common.build_index(workdir, texts, sentences=False, rebuild=args.rebuild)
    results = [evaluate(mode, queries, qrels, config, args.depth) for mode in args.modes]
    print_report(build, loss, results, args.docs is not None)
    total = common.print_total(started)
    if args.json:
        figures = common.figures_header("scifact", args.depth, args.blas_threads, build, loss) | {
            "results": [asdict(r) for r in results],
            "references_ndcg_at_10": REFERENCES,
            "run_s": round(total, 1),
        }
        common.write_json(args.json, figures)


if __name__ == "__main__":
    main()
