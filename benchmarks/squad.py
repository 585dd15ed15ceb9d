"""SQuAD v1.1 dev as a closed corpus: paragraph retrieval and cited answers.

    python benchmarks/squad.py                        # 1,243 paragraphs (reserved left out), 1,000 questions
    python benchmarks/squad.py --limit 20 --docs 200  # smoke run on a small sub-corpus
    python benchmarks/squad.py --json squad.json      # also write the figures as JSON

Articles with index ``i % 3 == 0`` are reserved for an external check and never read, so
the corpus is the other 32 articles' paragraphs (figures are not those of the full dev set).
Each paragraph is a document ``<article>_<paragraph>.txt``; a fixed
sample of 1,000 questions (``random.Random(0)``) is asked. Retrieval: Recall@1/5/10,
MRR@10 and nDCG@10 of the gold paragraph (chunk hits folded to documents by first
occurrence) for the hybrid, dense and lexical rankings. Answers (``ask``, hybrid): a gold
answer contained in the answer text (case-insensitive), SQuAD exact match and token F1
(official normalisation, max over the gold answers; a refusal scores 0), refusal rate,
gold paragraph cited, latency. The index is cached under /tmp keyed by a hash of the
data file, so a second run embeds nothing. Data and references: /work/shared/bench/README.md.
"""

from __future__ import annotations

import json
import math
import random
import re
import statistics
import string
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import common

from rag import Config, ask

DATA = common.BENCH / "squad" / "dev-v1.1.json"
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
class ParagraphsLoss(common.ChromeLoss):
    answers_lost: int
    """Sampled questions none of whose gold answers survives in the indexed text."""


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


def read_squad(path: Path) -> tuple[dict[str, str], list[Question]]:
    """Paragraphs by file name, and every question in file order."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    paragraphs: dict[str, str] = {}
    questions: list[Question] = []
    for a, article in enumerate(data):
        if a % 3 == 0:
            continue  # reserved for an external check: never read (see open_corpus.py)
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


def chrome_loss(paragraphs: dict[str, str], questions: list[Question]) -> ParagraphsLoss:
    """How much benchmark text (and how many gold answers) the site-chrome filter drops."""
    counts = common.chrome_counts(paragraphs)
    lost = sum(not any(a in counts.kept[q.source] for a in q.answers) for q in questions)
    return ParagraphsLoss(**counts.loss(), answers_lost=lost)


def evaluate_retrieval(mode: str, questions: list[Question], config: Config, depth: int) -> RetrievalResult:
    from tqdm import tqdm

    common.document_ranking("warm-up question", config, depth, mode)  # model, BM25, Chroma segments
    positions: list[int | None] = []
    latency: list[float] = []
    for q in tqdm(questions, desc=f"{mode:>7} retrieval", unit="q", file=sys.stderr):
        ranking = common.timed_ms(latency, common.document_ranking, q.text, config, depth, mode)
        positions.append(ranking.index(q.source) if q.source in ranking else None)
    n = len(positions)

    def recall(k: int) -> float:
        return round(sum(p is not None and p < k for p in positions) / n, 4)

    top10 = [p for p in positions if p is not None and p < 10]
    p50, p95 = common.latency_p50_p95(latency)
    return RetrievalResult(
        mode=mode,
        questions=n,
        recall_at_1=recall(1),
        recall_at_5=recall(5),
        recall_at_10=recall(10),
        mrr_at_10=round(sum(1 / (p + 1) for p in top10) / n, 4),
        ndcg_at_10=round(sum(1 / math.log2(p + 2) for p in top10) / n, 4),
        latency_ms_p50=p50,
        latency_ms_p95=p95,
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
        answer = common.timed_ms(latency, ask, q.text, config=config)
        text = _MARKER.sub("", answer.text).strip() if answer.answerable else ""
        refused.append(not answer.answerable)
        contained.append(any(a.lower() in text.lower() for a in q.answers))
        em.append(max(float(normalize(text) == normalize(a)) for a in q.answers))
        f1.append(max(token_f1(text, a) for a in q.answers))
        cited.append(any(c.source == q.source for c in answer.citations))
        if answer.answerable:
            words.append(len(text.split()))
    n, answered = len(questions), len(questions) - sum(refused)
    p50, p95 = common.latency_p50_p95(latency)
    return AnswerResult(
        questions=n,
        contained=round(sum(contained) / n, 4),
        exact_match=round(statistics.fmean(em), 4),
        f1=round(statistics.fmean(f1), 4),
        refusal_rate=round(sum(refused) / n, 4),
        gold_cited=round(sum(cited) / n, 4),
        contained_when_answered=round(sum(contained) / answered, 4) if answered else 0.0,
        mean_answer_words=round(statistics.fmean(words), 1) if words else 0.0,
        latency_ms_p50=p50,
        latency_ms_p95=p95,
    )


def print_report(
    build: common.Build,
    loss: ParagraphsLoss,
    retrieval: list[RetrievalResult],
    answers: AnswerResult | None,
    subset: bool,
) -> None:
    common.print_build(build, "paragraphs")
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
        print(common.SUBSET_NOTE)


def main() -> None:
    parser = common.benchmark_parser(
        __doc__,
        "only the first N sampled questions (smoke run)",
        "sub-corpus: the gold paragraphs plus others up to N (smoke run)",
    )
    parser.add_argument(
        "--sample", type=int, default=SAMPLE, help=f"questions sampled with Random(0) (default {SAMPLE})"
    )
    parser.add_argument(
        "--modes", nargs="*", choices=common.MODES, default=list(common.MODES), help="retrieval modes to rank"
    )
    parser.add_argument("--no-ask", action="store_true", help="skip the answer benchmark")
    parser.add_argument("--depth", type=int, default=40, help="chunks ranked per question (default 40, as retrieve)")
    common.add_run_arguments(parser)
    parser.add_argument("--data", type=Path, default=DATA, help=f"SQuAD v1.1 dev file (default {DATA})")
    args = parser.parse_args()
    common.limit_blas_threads(args.blas_threads)

    started = time.perf_counter()
    paragraphs, questions = read_squad(args.data)
    sample = random.Random(0).sample(questions, min(args.sample, len(questions)))
    if args.limit is not None:
        sample = sample[: args.limit]
    paragraphs = select_paragraphs(paragraphs, sample, args.docs)
    loss = chrome_loss(paragraphs, sample)
    workdir = common.cache_dir("squad", args.data, paragraphs, args.docs is None)
    config, build = common.build_index(workdir, paragraphs, sentences=True, rebuild=args.rebuild)
    retrieval = [evaluate_retrieval(mode, sample, config, args.depth) for mode in args.modes]
    answers = None if args.no_ask else evaluate_answers(sample, config)
    print_report(build, loss, retrieval, answers, args.docs is not None)
    total = common.print_total(started)
    if args.json:
        figures = common.figures_header("squad-v1.1-dev", args.depth, args.blas_threads, build, loss) | {
            "retrieval": [asdict(r) for r in retrieval],
            "ask": asdict(answers) if answers else None,
            "references": REFERENCES,
            "run_s": round(total, 1),
        }
        common.write_json(args.json, figures)


if __name__ == "__main__":
    main()
