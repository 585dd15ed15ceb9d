"""Out-of-domain answers and refusals: SQuAD dev articles as a corpus nobody tuned for.

    python benchmarks/open_corpus.py                 # the measuring split: 16 articles, 3 question sets
    python benchmarks/open_corpus.py --slice         # the CI gate: 3 small articles, ~100 questions
    python benchmarks/open_corpus.py --json out.json # also write the figures as JSON
    python benchmarks/open_corpus.py --fitting       # the same on the fitting split, to decide on
    python benchmarks/open_corpus.py --fitting --per-set 5000 --typed-shares 0,0.5,1  # rag.answer.TYPED_SHARE
    python benchmarks/open_corpus.py --fitting --per-set 5000 --adjacent-shares       # rag.answer.ADJACENT_SHARE
    python benchmarks/open_corpus.py --fusion        # rag.retrieval's fusion weights (fitting split)

SQuAD v1.1 dev is split by article index ``i`` (its position in the file):

* ``i % 3 == 1``: for fitting (``benchmarks/fit_answerer.py`` reads only these);
* ``i % 3 == 2``: for measuring (this script);
* ``i % 3 == 0``: reserved for an external check. Nothing here reads those articles.

The corpus is the measuring articles, one file each (title line, then the paragraphs).
With ``--fitting`` it is every other fitting article instead, the rest of the fitting split
giving the off-topic questions: a change of rules is decided there, then reported here.
Three question sets are asked of it:

* **answerable**: the articles' own questions;
* **off-topic**: questions of other (fitting-split) articles, whose topics are absent;
* **on-topic unanswerable**: questions whose gold sentence is deleted from a copy of the
  article (a second index of "holed" copies), so the topic is there but the answer isn't.
  A question is only used when no gold answer string survives anywhere in the copy.
* **grafted** (reported, not one of the issue's three sets): off-topic questions whose
  longest name is replaced by the title of an article of the corpus ("Who led the troops
  against the Normans?" -> "... against Warsaw?"): a topic the corpus covers, asked for what
  only another article says, like "What is <someone the articles cover>'s favourite
  programming language?". The questions of the other articles that name nothing are left out.

Reported: gold answer contained in the answer, gold paragraph cited, false refusals,
refusals on each unanswerable set (and, from ``Answer.confidence``, the refusal curve
against false refusals), spurious conflicts (SQuAD articles never disagree with each
other, so every "The articles disagree" is spurious), citations verbatim, median answer
length and warm ``ask`` latency. Indexes are cached under /tmp/citewise-bench.
With ``--gate FILE`` the figures are checked against the floors in FILE (exit 1 if any fails).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import re
import statistics
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common

import rag.answer
import rag.scoring as scoring
from rag import Answer, Config, ask
from rag.chunking import split_sentences
from rag.question import expected_type
from rag.retrieval import searcher

DATA = common.BENCH / "squad" / "dev-v1.1.json"
FIT, MEASURE, RESERVED = 1, 2, 0
"""``i % 3`` of an article's index: the fitting split, the measuring split, the reserved one."""
SLICE_ARTICLES = 3
_MARKER = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    answers: list[str]
    source: str
    """File name of the article that answers it ("" for an off-topic question)."""
    paragraph: tuple[int, int] = (0, 0)
    """``[start, end)`` of the gold paragraph in the article's file text."""
    answer_start: int = -1
    """Offset of the first gold answer in the article's file text."""

    def held_by(self, text: str) -> bool:
        """Does ``text`` hold a gold answer (ignoring case)?"""
        return any(a.lower() in text.lower() for a in self.answers)

    def in_paragraph(self, source: str, start: int, end: int) -> bool:
        """Does ``[start, end)`` of ``source`` overlap the gold paragraph?"""
        a, b = self.paragraph
        return source == self.source and start < b and a < end


@dataclass
class Article:
    index: int
    title: str
    name: str
    text: str
    paragraphs: list[tuple[int, int]]
    questions: list[Question] = field(default_factory=list)


def read_articles(split: int, path: Path = DATA) -> list[Article]:
    """The articles of one split (never the reserved one), each as one document."""
    if split == RESERVED:
        raise ValueError("the reserved split (i % 3 == 0) is never read")
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    out = []
    for i, raw in enumerate(data):
        if i % 3 != split:
            continue
        title = raw["title"].replace("_", " ")
        name = f"{i:02d}_{re.sub(r'[^A-Za-z0-9]+', '_', raw['title']).strip('_')}.txt"
        text, spans, questions = title + "\n\n", [], []
        for paragraph in raw["paragraphs"]:
            start = len(text)
            text += paragraph["context"].strip() + "\n\n"
            spans.append((start, start + len(paragraph["context"].strip())))
            for qa in paragraph["qas"]:
                first = qa["answers"][0]
                questions.append(
                    Question(
                        qa["id"],
                        qa["question"].strip(),
                        [a["text"] for a in qa["answers"]],
                        name,
                        spans[-1],
                        start + first["answer_start"],
                    )
                )
        out.append(Article(i, title, name, text, spans, questions))
    return out


def holed(article: Article, picks: int, rng: random.Random) -> tuple[str, list[Question]]:
    """A copy of the article with the gold sentences of up to ``picks`` questions deleted
    (one per paragraph), and those questions: none of their gold answers is left in it."""
    order = list(article.questions)
    rng.shuffle(order)
    cuts: list[tuple[int, int]] = []
    chosen: list[Question] = []
    used: set[tuple[int, int]] = set()
    for q in order:
        if len(chosen) >= picks or q.paragraph in used:
            continue
        a, b = q.paragraph
        sentence = next(((s, e) for s, e in split_sentences(article.text, a, b) if s <= q.answer_start < e), None)
        if sentence is None:
            continue
        trial = sorted([*cuts, sentence])
        text = _cut(article.text, trial)
        if q.held_by(text):
            continue  # the answer is stated elsewhere too: not unanswerable
        cuts, used = trial, used | {q.paragraph}
        chosen.append(q)
    return _cut(article.text, cuts), chosen


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    out, pos = [], 0
    for a, b in spans:
        out.append(text[pos:a])
        pos = b
    out.append(text[pos:])
    return re.sub(r"[ \t]{2,}", " ", "".join(out))


NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:of|the|de|and|for|in)?\s*[A-Z][\w'’.-]*)*")
"""A name: a run of capitalised words (small joining words allowed inside)."""


def grafted(questions: list[Question], titles: list[str], rng: random.Random) -> list[Question]:
    """``questions`` (off-topic) with their longest name after the first word replaced by
    one of ``titles``; those that name nothing are left out."""
    out = []
    for q in questions:
        spans = [m for m in NAME.finditer(q.text) if m.start() > 0]
        if not spans:
            continue
        m = max(spans, key=lambda m: len(m.group()))
        text = q.text[: m.start()] + rng.choice(titles) + q.text[m.end() :]
        out.append(dataclasses.replace(q, id=f"{q.id}-grafted", text=text, source=""))
    return out


@dataclass(frozen=True)
class QuestionSets:
    answerable: list[Question]
    off_topic: list[Question]
    unanswerable: list[Question]
    texts: dict[str, str]
    holed_texts: dict[str, str]
    grafted: list[Question] = field(default_factory=list)
    """Off-topic questions naming a corpus article's topic (``grafted``)."""


def question_sets(
    corpus: list[Article], others: list[Article], per_set: int, holes_per_article: int, seed: int = 0
) -> QuestionSets:
    """The three question sets over ``corpus``; off-topic questions come from ``others``."""
    rng = random.Random(seed)
    answerable = [q for a in corpus for q in a.questions]
    off_topic = [dataclasses.replace(q, source="") for a in others for q in a.questions]
    holes = [holed(a, holes_per_article, random.Random(seed + a.index)) for a in corpus]
    unanswerable = [q for _, qs in holes for q in qs]
    answerable = rng.sample(answerable, min(per_set, len(answerable)))
    off_topic = rng.sample(off_topic, min(per_set, len(off_topic)))
    return QuestionSets(
        answerable=answerable,
        off_topic=off_topic,
        unanswerable=rng.sample(unanswerable, min(per_set, len(unanswerable))),
        texts={a.name: a.text for a in corpus},
        holed_texts={a.name: text for a, (text, _) in zip(corpus, holes, strict=True)},
        grafted=grafted(off_topic, [a.title for a in corpus], random.Random(seed + 1)),
    )


def build(prefix: str, texts: dict[str, str], rebuild: bool) -> tuple[Config, common.Build]:
    workdir = common.cache_dir(prefix, DATA, [f"{n}:{hash_text(t)}" for n, t in texts.items()], full=False)
    return common.build_index(workdir, texts, sentences=True, rebuild=rebuild)


def hash_text(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:12]


# --- measuring ----------------------------------------------------------------------------


@dataclass
class Asked:
    question: Question
    answer: Answer
    ms: float

    @property
    def text(self) -> str:
        return _MARKER.sub("", self.answer.text).strip() if self.answer.answerable else ""

    @property
    def contained(self) -> bool:
        return self.answer.answerable and self.question.held_by(self.text)

    @property
    def gold_cited(self) -> bool:
        return any(self.question.in_paragraph(c.source, c.start, c.end) for c in self.answer.citations)


def ask_all(questions: list[Question], config: Config, desc: str) -> list[Asked]:
    from tqdm import tqdm

    out = []
    for q in tqdm(questions, desc=f"{desc:>12}", unit="q", file=sys.stderr):
        t = time.perf_counter()
        answer = ask(q.text, config=config)
        out.append(Asked(q, answer, (time.perf_counter() - t) * 1000))
    return out


def verbatim(asked: list[Asked], texts: dict[str, str]) -> float:
    cites = [c for a in asked for c in a.answer.citations]
    good = sum(texts[c.source][c.start : c.end] == c.text for c in cites)
    return round(good / len(cites), 4) if cites else 1.0


def refusal_curve(answerable: list[Asked], negatives: list[Asked]) -> list[dict[str, float]]:
    """Refusal share of ``negatives`` against false refusals, as the confidence bar moves."""
    pos = [a.answer.confidence for a in answerable]
    neg = [a.answer.confidence for a in negatives]
    out = []
    for bar in sorted({round(x, 2) for x in pos + neg}):
        out.append(
            {
                "bar": bar,
                "false_refusals": round(sum(p < bar for p in pos) / len(pos), 3),
                "refused": round(sum(n < bar for n in neg) / len(neg), 3),
            }
        )
    return out


def share(flags: list[bool]) -> float:
    return round(sum(flags) / len(flags), 4) if flags else 0.0


def figures(
    answerable: list[Asked], off: list[Asked], holes: list[Asked], sets: QuestionSets, grafts: list[Asked]
) -> dict[str, Any]:
    everything = answerable + off + holes + grafts
    lengths = [len(a.answer.text) for a in answerable if a.answer.answerable]
    latency = [a.ms for a in everything]
    p50, p95 = common.latency_p50_p95(latency)
    return {
        "questions": {
            "answerable": len(answerable),
            "off_topic": len(off),
            "unanswerable": len(holes),
            "grafted": len(grafts),
        },
        "answer_contains_gold": share([a.contained for a in answerable]),
        "gold_paragraph_cited": share([a.gold_cited for a in answerable]),
        "false_refusals": share([not a.answer.answerable for a in answerable]),
        "off_topic_refused": share([not a.answer.answerable for a in off]),
        "unanswerable_refused": share([not a.answer.answerable for a in holes]),
        "grafted_refused": share([not a.answer.answerable for a in grafts]),
        "spurious_conflicts": share([bool(a.answer.conflicts) for a in everything]),
        "citations_verbatim": min(
            verbatim(answerable + off + grafts, sets.texts), verbatim(holes, sets.holed_texts) if holes else 1.0
        ),
        "median_answer_chars": statistics.median(lengths) if lengths else 0,
        "ask_ms_p50": p50,
        "ask_ms_p95": p95,
    }


def print_figures(f: dict[str, Any], title: str) -> None:
    q = f["questions"]
    print()
    print(
        f"{title}: {q['answerable']} answerable, {q['off_topic']} off-topic, {q['unanswerable']} unanswerable"
        f" (and {q['grafted']} grafted)"
    )
    rows = [
        ("answer contains gold", "answer_contains_gold"),
        ("gold paragraph cited", "gold_paragraph_cited"),
        ("false refusals", "false_refusals"),
        ("off-topic refused", "off_topic_refused"),
        ("on-topic unanswerable refused", "unanswerable_refused"),
        ("grafted refused", "grafted_refused"),
        ("spurious conflicts", "spurious_conflicts"),
        ("citations verbatim", "citations_verbatim"),
        ("median answer length (chars)", "median_answer_chars"),
        ("warm ask p50 (ms)", "ask_ms_p50"),
        ("warm ask p95 (ms)", "ask_ms_p95"),
    ]
    for label, key in rows:
        value = f[key]
        print(
            f"  {label:<32} {value:>8.3f}" if isinstance(value, float) and value <= 1 else f"  {label:<32} {value:>8}"
        )


def gate(f: dict[str, Any], path: Path) -> list[str]:
    """Figures below a [min] floor or above a [max] ceiling of the TOML file at ``path``."""
    limits = tomllib.loads(path.read_text(encoding="utf-8"))
    failures = [f"{k} = {f[k]} < {v}" for k, v in limits.get("min", {}).items() if f[k] < v]
    failures += [f"{k} = {f[k]} > {v}" for k, v in limits.get("max", {}).items() if f[k] > v]
    return failures


def sweep_typed_shares(questions: list[Question], config: Config, shares: list[float]) -> None:
    """Answers to the questions asking for a date, number, age, sum or nationality, with
    each share: the best sentence holding such a value is quoted when its score is at
    least that share of the best sentence's (``rag.answer.TYPED_SHARE``). The share that
    puts the answer in the quote most often, the smallest on a tie, is the one to ship."""
    strict = [q for q in questions if (t := expected_type(q.text)) is not None and t.strict]
    print(f"{len(strict)} of {len(questions)} answerable questions ask for a strict answer type")
    shipped, best = rag.answer.TYPED_SHARE, (-1.0, 0.0)
    try:
        for value in sorted(shares):
            rag.answer.TYPED_SHARE = value
            asked = ask_all(strict, config, f"share {value}")
            contained, cited = share([a.contained for a in asked]), share([a.gold_cited for a in asked])
            refused = share([not a.answer.answerable for a in asked])
            print(f"  share {value:4.2f}: contains gold {contained:.3f}, cited {cited:.3f}, refused {refused:.3f}")
            best = max(best, (contained, -value))
    finally:
        rag.answer.TYPED_SHARE = shipped
    print(f"Best share: {-best[1]:.2f} (shipped: {shipped})")


MAX_SECOND = 0.45
"""More than one sentence may be quoted in at most this share of answers (keeps answers short)."""
MAX_PRECISION_LOSS = 0.05
"""Quoting a second sentence may lower the share of quoted sentences that hold the answer by
at most this much below quoting one: it is no excuse for citations that support nothing.
Both rules bound the runner-up bar (``fit_answerer.second_sentence_bar``) and the
neighbour's share (``sweep_adjacent_shares``)."""
ADJACENT_GRID = tuple(round(0.05 * n, 2) for n in range(1, 20))


def sweep_adjacent_shares(questions: list[Question], config: Config, shares: list[float]) -> None:
    """The quote of each answerable question with each share: the runner-up is quoted with
    the best sentence when it is its neighbour and scores at least that share of it
    (``rag.answer.ADJACENT_SHARE``; 2.0: never). Each question's candidates are ranked
    once and only the choice of sentences is made again, so "contains gold" here is that
    of the quoted sentences. The share to ship puts the answer in the quote most often
    within ``MAX_SECOND`` and ``MAX_PRECISION_LOSS`` (the largest on a tie)."""
    from tqdm import tqdm

    s = searcher(config)
    shipped, grid = rag.answer.ADJACENT_SHARE, [2.0, *sorted(shares, reverse=True)]
    tally = {v: {"contained": 0, "answered": 0, "extended": 0, "quoted": 0, "holding": 0} for v in grid}
    try:
        for q in tqdm(questions, desc="neighbours", unit="q", file=sys.stderr):
            ranked = rag.answer.candidates(q.text, [], config)
            sure = rag.answer.confidence(ranked)
            for value in grid:
                rag.answer.ADJACENT_SHARE = value
                chosen = rag.answer.select(q.text, ranked, s, sure)
                inside = [
                    c
                    for c in ranked
                    if any(
                        s.chunks[p.chunk].source == s.chunks[c.chunk].source and p.start <= c.start < c.end <= p.end
                        for p in chosen
                    )
                ]
                t = tally[value]
                t["contained"] += q.held_by(" ".join(p.text for p in chosen))
                t["answered"] += bool(chosen)
                t["extended"] += len(inside) > 1
                t["quoted"] += len(inside)
                t["holding"] += sum(q.held_by(c.text) for c in inside)
    finally:
        rag.answer.ADJACENT_SHARE = shipped
    base = tally[2.0]["holding"] / max(1, tally[2.0]["quoted"])
    best = (-1.0, 0.0)
    for value in grid:
        t = tally[value]
        contained, precision = t["contained"] / len(questions), t["holding"] / max(1, t["quoted"])
        extended = t["extended"] / max(1, t["answered"])
        allowed = extended <= MAX_SECOND and precision >= base - MAX_PRECISION_LOSS
        print(
            f"  share {value:4.2f}: contains gold {contained:.4f}, more than one sentence {extended:.3f},"
            f" quoted sentences holding the answer {precision:.4f}{'' if allowed else ' (outside the rules)'}"
        )
        if allowed:
            best = max(best, (contained, value))
    print(f"Best share: {best[1]:.2f} (shipped: {shipped})")


FUSION_GRID = {
    "sentence": (0.5, 1.0, 1.5, 2.0),
    "lexical": (0.5, 0.75, 1.0, 1.5, 2.0),
    "rrf_k": (10, 30, 60),
}
"""Fusion settings tried by ``sweep_fusion`` (the passage-vector ranking weighs 1.0)."""


def sweep_fusion(rebuild: bool, k: int = 5, depth: int = 40) -> None:
    """How often the gold paragraph is among the ``k`` fused passages, for each setting of
    ``FUSION_GRID``, on two corpora of the fitting split (every other article, and all 16),
    each answerable question asked as written and reworded (``paraphrase.py``, rate 0.5:
    users do not copy the article's words). The three rankings are made once per question
    and fused again per setting (without the demotion of reprinted passages, which SQuAD
    articles do not have). The setting to ship has the best mean recall over the four."""
    import itertools

    from paraphrase import Paraphraser
    from tqdm import tqdm

    from rag.retrieval import DENSE_WEIGHT, LEXICAL_WEIGHT, RRF_K, SENTENCE_WEIGHT, fuse, rankings

    fitting = read_articles(FIT)
    settings = list(itertools.product(FUSION_GRID["sentence"], FUSION_GRID["lexical"], FUSION_GRID["rrf_k"]))
    shipped, usual = (SENTENCE_WEIGHT, LEXICAL_WEIGHT, RRF_K), (1.0, 1.0, 60)  # usual: the common defaults
    settings += [x for x in (shipped, usual) if x not in settings]
    columns: dict[str, list[float]] = {}
    for label, corpus in (("half", fitting[0::2]), ("all 16", fitting)):
        sets = question_sets(corpus, fitting[:1], 100_000, 0)  # only the answerable questions are asked
        config, _ = build(f"open-fitting-{'measure' if label == 'half' else 'all'}", sets.texts, rebuild)
        s = searcher(config)
        reword = Paraphraser(0.5, seed=0)
        for worded in ("as written", "reworded"):
            runs = []
            for q in tqdm(sets.answerable, desc=f"{label}, {worded}", unit="q", file=sys.stderr):
                dense, sentences, lexical = rankings(q.text if worded == "as written" else reword(q.text), s, depth)
                found = {*dense, *sentences, *lexical}
                gold = {i for i in found if q.in_paragraph(s.chunks[i].source, s.chunks[i].start, s.chunks[i].end)}
                runs.append((dense, sentences, lexical, gold))
            recalls = []
            for sentence, lexical_weight, rrf_k in settings:
                hits = 0
                for dense, sentences, lexical, gold in runs:
                    fused = fuse([(DENSE_WEIGHT, dense), (sentence, sentences), (lexical_weight, lexical)], rrf_k)
                    hits += bool(gold & set(sorted(fused, key=lambda i: -fused[i])[:k]))
                recalls.append(hits / len(runs))
            columns[f"{label}, {worded} ({len(runs)})"] = recalls
    means = [sum(c[n] for c in columns.values()) / len(columns) for n in range(len(settings))]
    order = sorted(range(len(settings)), key=lambda n: -means[n])
    print(f"\nGold paragraph among the {k} fused passages (passage vectors weigh {DENSE_WEIGHT}):")
    print("  sentence lexical rrf_k | " + " | ".join(columns) + " | mean")
    for n in [*order[:10], settings.index(shipped), settings.index(usual)]:
        row = " | ".join(f"{c[n]:.4f}" for c in columns.values())
        mark = "  (shipped)" if settings[n] == shipped else "  (the usual defaults)" if settings[n] == usual else ""
        print(f"  {settings[n][0]:8.2f} {settings[n][1]:7.2f} {settings[n][2]:5d} | {row} | {means[n]:.4f}{mark}")
    best = settings[order[0]]
    print(f"Best: sentence {best[0]}, lexical {best[1]}, rrf_k {best[2]} (shipped: {shipped})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slice", action="store_true", help=f"the CI slice: the {SLICE_ARTICLES} smallest articles")
    parser.add_argument("--per-set", type=int, help="questions per set (default 300; 35 with --slice)")
    parser.add_argument("--gate", type=Path, metavar="TOML", help="check the figures against these floors")
    parser.add_argument("--curve", action="store_true", help="print the refusal curve")
    parser.add_argument("--models", type=Path, help="fitted models to measure (default: rag/data/answerer.json)")
    parser.add_argument(
        "--fitting", action="store_true", help="ask on the fitting split (half its articles), to decide a change on"
    )
    parser.add_argument(
        "--typed-shares",
        metavar="LIST",
        help="only ask the answerable questions of a strict answer type, once per rag.answer.TYPED_SHARE in LIST",
    )
    parser.add_argument(
        "--adjacent-shares",
        metavar="LIST",
        nargs="?",
        const=",".join(map(str, ADJACENT_GRID)),
        help="only choose the quotes of the answerable questions, once per rag.answer.ADJACENT_SHARE in LIST"
        " (default: 0.05 to 0.95 in steps of 0.05)",
    )
    parser.add_argument(
        "--fusion",
        action="store_true",
        help="sweep the retrieval fusion weights (rag.retrieval) on the fitting split, as written and reworded",
    )
    common.add_run_arguments(parser)
    args = parser.parse_args()
    common.limit_blas_threads(args.blas_threads)
    started = time.perf_counter()
    if args.fusion:
        sweep_fusion(args.rebuild)
        return

    corpus, others = read_articles(MEASURE), read_articles(FIT)
    if args.fitting:
        corpus, others = others[0::2], others[1::2]
    if args.slice:
        corpus = sorted(corpus, key=lambda a: len(a.text))[:SLICE_ARTICLES]
    per_set = args.per_set or (35 if args.slice else 300)
    sets = question_sets(corpus, others, per_set, holes_per_article=15 if args.slice else 20)
    prefix = "open-fitting" if args.fitting else "open"
    config, b1 = build(f"{prefix}-measure", sets.texts, args.rebuild)
    if args.models:
        scoring.use_model_file(args.models)
    common.print_build(b1, "articles")
    ask("warm-up question", config=config)
    if args.typed_shares:  # answerable questions only: no holed copies needed
        sweep_typed_shares(sets.answerable, config, [float(v) for v in args.typed_shares.split(",")])
        return
    if args.adjacent_shares:
        sweep_adjacent_shares(sets.answerable, config, [float(v) for v in args.adjacent_shares.split(",")])
        return
    holed_config, b2 = build(f"{prefix}-holed", sets.holed_texts, args.rebuild)
    common.print_build(b2, "holed copies")
    ask("warm-up question", config=holed_config)
    answerable = ask_all(sets.answerable, config, "answerable")
    off = ask_all(sets.off_topic, config, "off-topic")
    holes = ask_all(sets.unanswerable, holed_config, "unanswerable")
    grafts = ask_all(sets.grafted, config, "grafted")
    f = figures(answerable, off, holes, sets, grafts)
    where = ("fitting split" if args.fitting else "measuring split") + (", CI slice" if args.slice else "")
    models = f", {args.models}" if args.models else ""
    print_figures(f, f"Open corpus (SQuAD dev, {where}{models})")
    if args.curve:
        print("\nRefusal curve (confidence bar: false refusals -> off-topic / unanswerable / grafted refused):")
        c_off, c_holes = refusal_curve(answerable, off), refusal_curve(answerable, holes)
        for row in c_off[:: max(1, len(c_off) // 20)]:
            print(
                f"  bar {row['bar']:.2f}: false refusals {row['false_refusals']:.3f} -> off-topic {row['refused']:.3f}"
            )
        for row in c_holes[:: max(1, len(c_holes) // 20)]:
            print(f"  bar {row['bar']:.2f}: false refusals {row['false_refusals']:.3f} -> holed {row['refused']:.3f}")
        c_grafts = refusal_curve(answerable, grafts)
        for row in c_grafts[:: max(1, len(c_grafts) // 20)]:
            print(f"  bar {row['bar']:.2f}: false refusals {row['false_refusals']:.3f} -> grafted {row['refused']:.3f}")
    total = common.print_total(started)
    if args.json:
        common.write_json(
            args.json,
            {
                "benchmark": "open-corpus",
                "slice": args.slice,
                "split": "fitting" if args.fitting else "measuring",
                "models": str(args.models or scoring.MODEL_FILE),
                "run_s": round(total, 1),
            }
            | f,
        )
    if args.gate:
        failures = gate(f, args.gate)
        for failure in failures:
            print(f"GATE FAILED: {failure}", file=sys.stderr)
        if failures:
            sys.exit(1)
        print(f"Gate passed ({args.gate})")


if __name__ == "__main__":
    main()
