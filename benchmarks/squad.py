"""SQuAD v1.1 dev as a closed corpus: paragraph retrieval and cited answers.

    python benchmarks/squad.py                        # full run: 2,067 paragraphs, 1,000 questions
    python benchmarks/squad.py --limit 20 --docs 200  # smoke run on a small sub-corpus
    python benchmarks/squad.py --json squad.json      # also write the figures as JSON

Each of the 2,067 dev paragraphs is a document ``<article>_<paragraph>.txt``; a fixed
sample of 1,000 questions (``random.Random(0)``) is asked. Retrieval: Recall@1/5/10,
MRR@10 and nDCG@10 of the gold paragraph (chunk hits folded to documents by first
occurrence) for the hybrid, dense and lexical rankings. Answers (``ask``, hybrid): a gold
answer contained in the answer text (case-insensitive), SQuAD exact match and token F1
(official normalisation, max over the gold answers; a refusal scores 0), refusal rate,
gold paragraph cited, latency. The index is cached under /tmp keyed by a hash of the
data file, so a second run embeds nothing. Data and references: /work/shared/bench/README.md.
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
import string
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import rag
from rag import Config, ask, ingest
from rag.chrome import content_spans
from rag.chunking import chunk_text
from rag.retrieval import rank, searcher

DATA = Path("/work/shared/bench/squad/dev-v1.1.json")
CACHE = Path("/tmp/citewise-bench")
MODES = ("hybrid", "dense", "lexical")
SAMPLE = 1000
REFERENCES = {"BM25 (bm25s) MRR@10": 0.845, "BM25 (bm25s) Recall@10": 0.959, "BM25 (bm25s) nDCG@10": 0.873}
_MARKER = re.compile(r"\s*\[\d+\]")
_PUNCTUATION = frozenset(string.punctuation)


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: list[str]
    source: str
    """File name of the gold paragraph."""


@dataclass(frozen=True)
class ChromeLoss:
    documents: int
    affected: int
    """Documents with some non-blank text the corpus loader treats as site chrome."""
    emptied: int
    chars_dropped: int
    chars_total: int
    answers_lost: int
    """Sampled questions none of whose gold answers survives in the indexed text."""


@dataclass(frozen=True)
class Build:
    documents: int
    chunks: int
    embedded: int
    """Chunks and sentences embedded when the index was built."""
    ingest_s: float
    cold_ingest_s: float
    cached: bool
    index_dir: str
    rechunked: int
    """Cached documents embedded again because the current chunker splits them differently."""
    vectors_current: bool
    """A sample of cached vectors matches the current embedder."""


@dataclass(frozen=True)
class RetrievalResult:
    mode: str
    questions: int
    recall_at_1: float
    recall_at_5: float
    recall_at_10: float
    mrr_at_10: float
    ndcg_at_10: float
    latency_ms_p50: float
    latency_ms_p95: float


@dataclass(frozen=True)
class AnswerResult:
    questions: int
    contained: float
    exact_match: float
    f1: float
    refusal_rate: float
    gold_cited: float
    """Share of questions whose answer cites the gold paragraph."""
    contained_when_answered: float
    mean_answer_words: float
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


def read_squad(path: Path) -> tuple[dict[str, str], list[Question]]:
    """Paragraphs by file name, and every question in file order."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs: dict[str, str] = {}
    questions: list[Question] = []
    for a, article in enumerate(data):
        for p, paragraph in enumerate(article["paragraphs"]):
            name = f"{a:02d}_{p:03d}.txt"
            paragraphs[name] = paragraph["context"]
            for qa in paragraph["qas"]:
                answers = [x["text"] for x in qa["answers"]]
                questions.append(Question(qa["id"], qa["question"], answers, name))
    return paragraphs, questions


def select_paragraphs(paragraphs: dict[str, str], questions: list[Question], limit: int | None) -> dict[str, str]:
    """All paragraphs, or (for smoke runs) the gold ones plus the first others up to ``limit``."""
    if limit is None:
        return paragraphs
    gold = {q.source for q in questions}
    others = [name for name in paragraphs if name not in gold]
    keep = gold | set(others[: max(0, limit - len(gold))])
    return {name: text for name, text in paragraphs.items() if name in keep}


def cache_dir(data_file: Path, paragraphs: dict[str, str], full: bool) -> Path:
    digest = hashlib.sha256(data_file.read_bytes())
    if not full:  # a sub-corpus gets its own index
        digest.update("\n".join(sorted(paragraphs)).encode())
    return CACHE / f"squad-{digest.hexdigest()[:16]}"


def write_documents(folder: Path, paragraphs: dict[str, str]) -> None:
    """One file per paragraph; files already holding the same text are left alone."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in paragraphs.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


def _kept(text: str) -> str:
    return "\n".join(text[a:b] for a, b in content_spans(text))


def chrome_loss(paragraphs: dict[str, str], questions: list[Question]) -> ChromeLoss:
    """How much benchmark text (and how many gold answers) the site-chrome filter drops."""
    affected = emptied = dropped = total = 0
    kept: dict[str, str] = {}
    for name, text in paragraphs.items():
        kept[name] = _kept(text)
        size, left = len(re.sub(r"\s", "", text)), len(re.sub(r"\s", "", kept[name]))
        total += size
        if left < size:
            affected += 1
            dropped += size - left
            emptied += left == 0
    lost = sum(not any(a in kept[q.source] for a in q.answers) for q in questions)
    return ChromeLoss(len(paragraphs), affected, emptied, dropped, total, lost)


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


def document_ranking(question: str, config: Config, depth: int, mode: str) -> list[str]:
    """Paragraph file names, best first: each at the rank of its best chunk."""
    chunks = searcher(config).chunks
    seen: dict[str, None] = {}
    for hit in rank(question, config, depth=depth, mode=mode):
        seen.setdefault(chunks[hit.index].source, None)
    return list(seen)


def evaluate_retrieval(mode: str, questions: list[Question], config: Config, depth: int) -> RetrievalResult:
    from tqdm import tqdm

    document_ranking("warm-up question", config, depth, mode)  # model, BM25, Chroma segments
    positions: list[int | None] = []
    latency: list[float] = []
    for q in tqdm(questions, desc=f"{mode:>7} retrieval", unit="q", file=sys.stderr):
        t = time.perf_counter()
        ranking = document_ranking(q.text, config, depth, mode)
        latency.append((time.perf_counter() - t) * 1000)
        positions.append(ranking.index(q.source) if q.source in ranking else None)
    n = len(positions)

    def recall(k: int) -> float:
        return round(sum(p is not None and p < k for p in positions) / n, 4)

    top10 = [p for p in positions if p is not None and p < 10]
    return RetrievalResult(
        mode=mode,
        questions=n,
        recall_at_1=recall(1),
        recall_at_5=recall(5),
        recall_at_10=recall(10),
        mrr_at_10=round(sum(1 / (p + 1) for p in top10) / n, 4),
        ndcg_at_10=round(sum(1 / math.log2(p + 2) for p in top10) / n, 4),
        latency_ms_p50=round(statistics.median(latency), 1),
        latency_ms_p95=round(percentile(latency, 0.95), 1),
    )


def normalize(text: str) -> str:
    """The official SQuAD v1.1 normalisation."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    same = sum((Counter(pred) & Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


def evaluate_answers(questions: list[Question], config: Config) -> AnswerResult:
    from tqdm import tqdm

    ask("warm-up question", config=config)
    contained, em, f1, refused, cited, words, latency = [], [], [], [], [], [], []
    for q in tqdm(questions, desc="    ask", unit="q", file=sys.stderr):
        t = time.perf_counter()
        answer = ask(q.text, config=config)
        latency.append((time.perf_counter() - t) * 1000)
        text = _MARKER.sub("", answer.text).strip() if answer.answerable else ""
        refused.append(not answer.answerable)
        contained.append(any(a.lower() in text.lower() for a in q.answers))
        em.append(max(float(normalize(text) == normalize(a)) for a in q.answers))
        f1.append(max(token_f1(text, a) for a in q.answers))
        cited.append(any(c.source == q.source for c in answer.citations))
        if answer.answerable:
            words.append(len(text.split()))
    n, answered = len(questions), len(questions) - sum(refused)
    return AnswerResult(
        questions=n,
        contained=round(sum(contained) / n, 4),
        exact_match=round(statistics.fmean(em), 4),
        f1=round(statistics.fmean(f1), 4),
        refusal_rate=round(sum(refused) / n, 4),
        gold_cited=round(sum(cited) / n, 4),
        contained_when_answered=round(sum(contained) / answered, 4) if answered else 0.0,
        mean_answer_words=round(statistics.fmean(words), 1) if words else 0.0,
        latency_ms_p50=round(statistics.median(latency), 1),
        latency_ms_p95=round(percentile(latency, 0.95), 1),
    )


def print_report(
    build: Build, loss: ChromeLoss, retrieval: list[RetrievalResult], answers: AnswerResult | None, subset: bool
) -> None:
    print()
    state = "reused cached index" if build.cached else "built now"
    print(f"Corpus: {build.documents} paragraphs, {build.chunks} chunks ({state}, {build.embedded} texts embedded)")
    print(f"Ingest: {build.cold_ingest_s:.1f} s cold; {build.ingest_s:.2f} s this run")
    print(f"Cache: {build.rechunked} documents re-chunked, vectors current: {build.vectors_current}")
    print(
        f"Site-chrome filter: {loss.affected} of {loss.documents} paragraphs lose text "
        f"({loss.chars_dropped} of {loss.chars_total} non-blank characters), {loss.emptied} emptied; "
        f"{loss.answers_lost} questions lose every gold answer"
    )
    print()
    print(f"{'mode':<8} {'questions':>9} {'R@1':>6} {'R@5':>6} {'R@10':>6} {'MRR@10':>7} {'nDCG@10':>8} {'p50 ms':>7}")
    for r in retrieval:
        print(
            f"{r.mode:<8} {r.questions:>9} {r.recall_at_1:>6.3f} {r.recall_at_5:>6.3f} {r.recall_at_10:>6.3f} "
            f"{r.mrr_at_10:>7.3f} {r.ndcg_at_10:>8.3f} {r.latency_ms_p50:>7.1f}"
        )
    print("Published (full corpus): " + ", ".join(f"{k} {v:.3f}" for k, v in REFERENCES.items()))
    if answers:
        a = answers
        print()
        print(f"ask (hybrid), {a.questions} questions:")
        print(f"  gold answer contained   {a.contained:.3f}  ({a.contained_when_answered:.3f} of answered)")
        print(f"  exact match             {a.exact_match:.3f}")
        print(f"  token F1                {a.f1:.3f}  (answers average {a.mean_answer_words:.0f} words)")
        print(f"  refusal rate            {a.refusal_rate:.3f}")
        print(f"  gold paragraph cited    {a.gold_cited:.3f}")
        print(f"  latency p50 / p95       {a.latency_ms_p50:.0f} ms / {a.latency_ms_p95:.0f} ms")
    if subset:
        print("NOTE: sub-corpus run (--docs): figures are not comparable with the published ones.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, help="only the first N sampled questions (smoke run)")
    parser.add_argument("--docs", type=int, help="sub-corpus: the gold paragraphs plus others up to N (smoke run)")
    parser.add_argument(
        "--sample", type=int, default=SAMPLE, help=f"questions sampled with Random(0) (default {SAMPLE})"
    )
    parser.add_argument("--modes", nargs="*", choices=MODES, default=list(MODES), help="retrieval modes to rank")
    parser.add_argument("--no-ask", action="store_true", help="skip the answer benchmark")
    parser.add_argument("--depth", type=int, default=40, help="chunks ranked per question (default 40, as retrieve)")
    parser.add_argument("--rebuild", action="store_true", help="delete the cached index and embed again")
    parser.add_argument("--blas-threads", type=int, default=1, help="OpenBLAS threads, 0 = default (default 1)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures to this JSON file")
    parser.add_argument("--data", type=Path, default=DATA, help=f"SQuAD v1.1 dev file (default {DATA})")
    args = parser.parse_args()
    limit_blas_threads(args.blas_threads)

    started = time.perf_counter()
    paragraphs, questions = read_squad(args.data)
    sample = random.Random(0).sample(questions, min(args.sample, len(questions)))
    if args.limit is not None:
        sample = sample[: args.limit]
    paragraphs = select_paragraphs(paragraphs, sample, args.docs)
    loss = chrome_loss(paragraphs, sample)
    workdir = cache_dir(args.data, paragraphs, args.docs is None)
    config, build = build_index(workdir, paragraphs, sentences=True, rebuild=args.rebuild)
    retrieval = [evaluate_retrieval(mode, sample, config, args.depth) for mode in args.modes]
    answers = None if args.no_ask else evaluate_answers(sample, config)
    print_report(build, loss, retrieval, answers, args.docs is not None)
    total = time.perf_counter() - started
    print(f"Total run time: {total:.0f} s")
    if args.json:
        figures = {
            "benchmark": "squad-v1.1-dev",
            "date": time.strftime("%Y-%m-%d"),
            "depth": args.depth,
            "blas_threads": args.blas_threads,
            "rag_code": code_fingerprint(),
            "build": asdict(build),
            "chrome_loss": asdict(loss),
            "retrieval": [asdict(r) for r in retrieval],
            "ask": asdict(answers) if answers else None,
            "references": REFERENCES,
            "run_s": round(total, 1),
        }
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
