"""Evaluation on a known Q&A set (format: eval/README.md), ours beside a baseline.

For every question it calls the same ``ask``/``retrieve`` path users call and scores
retrieval (hit@1, hit@5, MRR@10, gold-source recall at k), answers (accuracy, SQuAD token
F1), citations (verbatim validity, precision), refusals and latency. Two llama-index
baselines over the same articles and embedder answer with their top passage: the
ten-minute one (dense ``VectorStoreIndex``, default chunking) and what a competent user
builds (Citewise's chunk size, vector + BM25 fused by reciprocal rank); see
``baseline_runners``.
"""

from __future__ import annotations

import dataclasses
import json
import re
import statistics
import string
import time
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .answer import retrieval_query
from .api import ask
from .config import Config
from .corpus import read_document
from .errors import ConfigError
from .retrieval import retrieve
from .spans import Citation, Passage

KEYS = {"id", "category", "question", "answers", "sources", "quote", "history", "answerable"}
# Metric name -> (label, higher is better)
METRICS: dict[str, tuple[str, bool]] = {
    "hit_at_1": ("retrieval hit@1", True),
    "hit_at_5": ("retrieval hit@5", True),
    "mrr_at_10": ("retrieval MRR@10", True),
    "source_recall_at_k": ("gold-source recall@k", True),
    "answer_accuracy": ("answer accuracy", True),
    "answer_f1": ("answer token F1 (SQuAD)", True),
    "citation_validity": ("citation validity", True),
    "citation_precision": ("citation precision", True),
    "unanswerable_refused": ("unanswerable refused", True),
    "answerable_refused": ("answerable wrongly refused", False),
    "latency_p50_ms": ("latency p50 (ms)", False),
    "latency_p95_ms": ("latency p95 (ms)", False),
}


@dataclass(frozen=True)
class Item:
    id: str
    category: str
    question: str
    answers: list[str]
    sources: list[str]
    quote: str
    history: list[str]
    answerable: bool


@dataclass(frozen=True)
class Result:
    """What one system did with one question."""

    passages: list[Passage]
    answer_text: str
    answerable: bool
    citations: list[Citation]
    seconds: float


@dataclass
class Report:
    overall: dict[str, dict[str, float | None]] = field(default_factory=dict)
    categories: dict[str, dict[str, dict[str, float | None]]] = field(default_factory=dict)
    failures: list[dict[str, Any]] = field(default_factory=list)
    gate: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall,
            "categories": self.categories,
            "gate_failures": self.gate,
            "failures": self.failures,
        }


def sample(items: list[Item], per_category: int) -> list[Item]:
    """The first ``per_category`` items of each category (a quick look at a slow answerer)."""
    taken: dict[str, int] = {}
    out = []
    for item in items:
        if taken.get(item.category, 0) < per_category:
            taken[item.category] = taken.get(item.category, 0) + 1
            out.append(item)
    return out


def load_qa(path: Path) -> list[Item]:
    """Read and validate a Q&A file; errors name the line and the problem."""
    items: list[Item] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}:{n}: not JSON ({exc.msg}).") from None
        if not isinstance(raw, dict) or set(raw) != KEYS:
            raise ConfigError(f"{path}:{n}: expected exactly the keys {sorted(KEYS)}.")
        items.append(Item(**raw))
    if not items:
        raise ConfigError(f"{path} holds no question.")
    return items


# -- scoring helpers -----------------------------------------------------------------
_MARKER = re.compile(r"\s*\[\d+\]")


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation or articles, single spaces."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation) | {"“", "”", "’", "‘"})
    return " ".join(re.sub(r"\b(a|an|the)\b", " ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref or common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def is_correct(item: Item, text: str, cited: list[str] | None = None) -> bool:
    """An acceptable answer is in the text; for lists every item; for conflicts at least
    two versions, cited from at least two of the gold articles."""
    lowered = text.lower()
    found = [a.lower() in lowered for a in item.answers]
    if item.category == "list":
        return all(found)
    if item.category == "conflict" and len(item.answers) > 1:
        return sum(found) >= 2 and len(set(cited or []) & set(item.sources)) >= 2
    return any(found)


class _Corpus:
    """The articles' texts, to check citations and locate quotes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._texts: dict[str, str] = {}

    def text(self, source: str) -> str:
        if source not in self._texts:
            path = self.root / source
            self._texts[source] = read_document(path, source).text if path.exists() else ""
        return self._texts[source]

    def quote_span(self, item: Item) -> tuple[int, int] | None:
        if not item.quote or not item.sources:
            return None
        start = self.text(item.sources[0]).find(item.quote)
        return None if start < 0 else (start, start + len(item.quote))


def _supports(item: Item, p: Passage | Citation, corpus: _Corpus) -> bool:
    """A passage from a gold source that holds an acceptable answer or overlaps the quote."""
    if p.source not in item.sources:
        return False
    if any(a.lower() in p.text.lower() for a in item.answers):
        return True
    span = corpus.quote_span(item)
    return span is not None and p.source == item.sources[0] and p.start < span[1] and span[0] < p.end


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


def score(items: list[Item], results: list[Result], corpus: _Corpus, k: int) -> dict[str, float | None]:
    answerable = [(i, r) for i, r in zip(items, results, strict=True) if i.answerable]
    unanswerable = [(i, r) for i, r in zip(items, results, strict=True) if not i.answerable]
    ranks = []
    for item, r in answerable:
        good = [n for n, p in enumerate(r.passages[:10]) if _supports(item, p, corpus)]
        ranks.append(good[0] if good else None)
    citations = [(i, c) for i, r in answerable for c in r.citations]
    all_citations = [c for r in results for c in r.citations]
    seconds = [r.seconds * 1000 for r in results]
    return {
        "questions": len(items),
        "hit_at_1": _mean([float(x == 0) for x in ranks]),
        "hit_at_5": _mean([float(x is not None and x < 5) for x in ranks]),
        "mrr_at_10": _mean([1 / (x + 1) if x is not None else 0.0 for x in ranks]),
        "source_recall_at_k": _mean(
            [len(set(i.sources) & {p.source for p in r.passages[:k]}) / len(set(i.sources)) for i, r in answerable]
        ),
        "answer_accuracy": _mean(
            [
                float(r.answerable and is_correct(i, r.answer_text, [c.source for c in r.citations]))
                for i, r in answerable
            ]
        ),
        "answer_f1": _mean(
            [
                max(token_f1(_MARKER.sub("", r.answer_text), a) for a in i.answers) if r.answerable else 0.0
                for i, r in answerable
            ]
        ),
        "citation_validity": _mean([float(corpus.text(c.source)[c.start : c.end] == c.text) for c in all_citations]),
        "citation_precision": _mean([float(_supports(i, c, corpus)) for i, c in citations]),
        "unanswerable_refused": _mean([float(not r.answerable) for _, r in unanswerable]),
        "answerable_refused": _mean([float(not r.answerable) for _, r in answerable]),
        "latency_p50_ms": round(statistics.median(seconds), 1) if seconds else None,
        "latency_p95_ms": round(_percentile(seconds, 0.95), 1) if seconds else None,
    }


# -- the two systems -----------------------------------------------------------------
def run_ours(item: Item, config: Config, k: int) -> Result:
    t = time.perf_counter()
    answer = ask(item.question, history=item.history, config=config)
    seconds = time.perf_counter() - t
    passages = retrieve(retrieval_query(item.question, item.history, config), k=max(10, k), config=config)
    return Result(passages, answer.text, answer.answerable, answer.citations, seconds)


BASELINE_TOP_K = 10
"""Passages each baseline retrieves (hit@5 and MRR@10 read the first 10)."""
FUSION_OVERLAP = 16
"""Tokens shared by consecutive chunks of the fusion baseline (Citewise shares one sentence)."""


def baseline_runners(config: Config) -> dict[str, Callable[[Item], Result]]:
    """What a llama-index user builds over the same articles with the same embedder; each
    answers with its top passage and never refuses.

    - ``dense``: a ``VectorStoreIndex`` with llama-index's default chunking (1,024-token
      chunks), top 10 by cosine: what ten minutes with the tutorial give.
    - ``fusion``: what a competent user builds: chunks of Citewise's size
      (``config.chunk_tokens``) and ``QueryFusionRetriever`` over the vector retriever and
      ``BM25Retriever`` (bm25s, English stemming and stop words) with reciprocal rank
      fusion (no LLM rewriting the query).
    """
    import Stemmer
    from llama_index.core import Document, VectorStoreIndex
    from llama_index.core.embeddings import BaseEmbedding
    from llama_index.core.llms import MockLLM
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.retrievers import QueryFusionRetriever
    from llama_index.core.retrievers.fusion_retriever import FUSION_MODES
    from llama_index.retrievers.bm25 import BM25Retriever

    from .corpus import load_corpus
    from .embedding import get_embedder

    embedder = get_embedder(config.embedder)

    class _Embedding(BaseEmbedding):
        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in embedder.embed([query])[0]]

        def _get_text_embedding(self, text: str) -> list[float]:
            return self._get_query_embedding(text)

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in embedder.embed(texts)]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

    embed_model = _Embedding(model_name=embedder.name)
    _, docs, _ = load_corpus([config.corpus_dir])
    documents = [Document(text=d.text, metadata={"source": d.source, "title": d.title}) for d in docs]
    dense = VectorStoreIndex.from_documents(documents, embed_model=embed_model).as_retriever(
        similarity_top_k=BASELINE_TOP_K
    )
    splitter = SentenceSplitter(chunk_size=config.chunk_tokens, chunk_overlap=FUSION_OVERLAP)
    nodes = splitter.get_nodes_from_documents(documents)
    vector = VectorStoreIndex(nodes, embed_model=embed_model).as_retriever(similarity_top_k=BASELINE_TOP_K)
    bm25 = BM25Retriever.from_defaults(
        nodes=nodes, similarity_top_k=BASELINE_TOP_K, stemmer=Stemmer.Stemmer("english"), language="english"
    )
    fusion = QueryFusionRetriever(
        [vector, bm25],
        llm=MockLLM(),  # never called: num_queries=1 generates no extra queries
        mode=FUSION_MODES.RECIPROCAL_RANK,
        similarity_top_k=BASELINE_TOP_K,
        num_queries=1,
        use_async=False,
    )

    def runner(retriever: Any) -> Callable[[Item], Result]:
        def run(item: Item) -> Result:
            t = time.perf_counter()
            found = retriever.retrieve(item.question)
            seconds = time.perf_counter() - t
            passages = [_as_passage(n.node, float(n.score or 0.0)) for n in found]
            top = passages[:1]
            cited = [Citation.of(p, p.start, p.end) for p in top]
            return Result(passages, top[0].text if top else "", bool(top), cited, seconds)

        return run

    return {"dense": runner(dense), "fusion": runner(fusion)}


def _as_passage(node: Any, score: float) -> Passage:
    """A llama-index text node as a Passage (its character offsets are into the document)."""
    return Passage(
        node.metadata["source"],
        node.metadata["title"],
        node.start_char_idx or 0,
        node.end_char_idx or 0,
        node.get_content(),
        score,
    )


def evaluate(items: list[Item], config: Config, k: int = 5, baseline: bool = True, progress: bool = True) -> Report:
    """Run the systems on every item and score them, overall and per category: ours
    (extractive), the llm answerer when ``config.answerer`` is "llm", and the two
    llama-index baselines ("dense baseline", "fusion baseline")."""
    corpus = _Corpus(config.corpus_dir)
    extractive = dataclasses.replace(config, answerer="extractive")
    ask("warm-up", config=extractive)  # load the model and the index outside the timings
    runners: dict[str, Callable[[Item], Result]] = {"ours": lambda item: run_ours(item, extractive, k)}
    if config.answerer == "llm":  # the generative answerer, beside the default one
        runners["llm"] = lambda item: run_ours(item, config, k)
    if baseline:
        runners |= {f"{name} baseline": run for name, run in baseline_runners(config).items()}
    results: dict[str, list[Result]] = {}
    for name, run in runners.items():
        iterator: Any = items
        if progress:
            from tqdm import tqdm

            iterator = tqdm(items, desc=f"Evaluating {name}", unit="question")
        results[name] = [run(item) for item in iterator]
    report = Report()
    for name in runners:
        report.overall[name] = score(items, results[name], corpus, k)
    for category in sorted({i.category for i in items}):
        idx = [n for n, i in enumerate(items) if i.category == category]
        report.categories[category] = {
            name: score([items[n] for n in idx], [results[name][n] for n in idx], corpus, k) for name in runners
        }
    for n, item in enumerate(items):
        r = results["ours"][n]
        cited = [c.source for c in r.citations]
        wrong = (item.answerable and not (r.answerable and is_correct(item, r.answer_text, cited))) or (
            not item.answerable and r.answerable
        )
        if wrong:
            report.failures.append(
                {
                    "id": item.id,
                    "question": item.question,
                    "expected": item.answers,
                    "answerable": r.answerable,
                    "answer": r.answer_text[:300],
                }
            )
    return report


# -- the gate and the outputs --------------------------------------------------------
def check_thresholds(report: Report, path: Path) -> list[str]:
    """Metrics of ours below their minimum (or above their maximum) in ``path``."""
    limits = tomllib.loads(path.read_text(encoding="utf-8"))
    ours = report.overall["ours"]
    failures = []
    for name, floor in limits.get("min", {}).items():
        value = ours.get(name)
        if value is None or value < floor:
            failures.append(f"{name} = {value} is below its threshold {floor}")
    for name, ceiling in limits.get("max", {}).items():
        value = ours.get(name)
        if value is None or value > ceiling:
            failures.append(f"{name} = {value} is above its threshold {ceiling}")
    for category, floor in limits.get("category_accuracy_min", {}).items():
        value = report.categories.get(category, {}).get("ours", {}).get("answer_accuracy")
        if value is None or value < floor:
            failures.append(f"answer_accuracy of category {category} = {value} is below its threshold {floor}")
    report.gate = failures
    return failures


def _fmt(value: float | None) -> str:
    return "–" if value is None else (f"{value:.0f}" if value >= 10 else f"{value:.3f}")


def _category_metric(category: str) -> str:
    """What a category is scored by: its refusal rate for unanswerable questions, else accuracy."""
    return "unanswerable_refused" if category == "unanswerable" else "answer_accuracy"


def table(report: Report, markdown: bool = False) -> str:
    systems = list(report.overall)
    rows = [["metric", *systems]] + [
        [label, *(_fmt(report.overall[s].get(key)) for s in systems)] for key, (label, _) in METRICS.items()
    ]
    cats = [["category", "n", *(f"{s} accuracy" for s in systems), *(f"{s} hit@5" for s in systems)]]
    for category, by_system in report.categories.items():
        ours = by_system["ours"]
        metric = _category_metric(category)
        cats.append(
            [
                category,
                str(ours["questions"]),
                *(_fmt(by_system[s].get(metric)) for s in systems),
                *(_fmt(by_system[s].get("hit_at_5")) for s in systems),
            ]
        )
    return _render(rows, markdown) + "\n\n" + _render(cats, markdown)


def _render(rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        head, *body = rows
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in body])
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows)


def chart(report: Report, path: Path) -> None:
    """A PNG bar chart of per-category accuracy (refusal rate for unanswerable), ours vs baseline."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    categories = list(report.categories)
    systems = list(report.overall)
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(systems)
    for n, system in enumerate(systems):
        values = [report.categories[c][system].get(_category_metric(c)) or 0 for c in categories]
        ax.bar([x + n * width for x in range(len(categories))], values, width, label=system)
    ax.set_xticks(
        [x + width * (len(systems) - 1) / 2 for x in range(len(categories))], categories, rotation=30, ha="right"
    )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("accuracy (refused share for unanswerable)")
    ax.set_title("Citewise eval: accuracy per category")
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
