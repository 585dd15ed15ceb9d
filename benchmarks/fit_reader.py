"""Fit the reader (``rag/reader.py``) on the SQuAD fitting split.

    python benchmarks/fit_reader.py             # writes rag/data/reader.safetensors (~30 min on 2 cores)
    python benchmarks/fit_reader.py --dry-run   # fits and reports, writes nothing

Only SQuAD dev articles with index ``i % 3 == 1`` are read (never the measuring or
reserved splits, never the seed eval). Two of the 16 are held out to report how well the
reader picks the answering sentence among its rivals, against the question-sentence
cosine of the bundled model (what the sentence model leans on).

Each question makes a group of sentences: every sentence of its gold paragraph (positive
when it holds a gold answer), its rivals, and a sentence of another article. The rivals
(``--rivals answerer``, the default) are the answerer's own best candidates that hold no
answer: an index of the 14 fitting articles is asked the question and its candidate
sentences are ranked by the sentence model, as the answerer ranks what its reader reads
(from any article, found by meaning as well as by terms); ``--rivals bm25`` takes the
sentences of the article's other paragraphs that share most of its terms instead (the
reader until 2026-12-08). A share of
the questions is reworded (``paraphrase.py``), as users word them. The first ``--depth``
layers of the bundled all-MiniLM-L6-v2 (4: the reader's cost per answer is what limits
it) read ``question [SEP] sentence``; the top ``--layers`` of them (all 4), its
token-type table and a linear head over the mean-pooled states are trained (AdamW, one
pass, fixed seeds) on a listwise loss (softmax over the group: which sentence answers)
plus a pointwise one (does this sentence answer at all: the refusal evidence). Only the
trained parameters are written, in fp16, with how they were fitted as metadata.

``--holed`` and ``--grafted`` add groups with no answer (the group without its answering
sentences; a grafted question, see ``open_corpus.grafted``). Both were tried and not
shipped: benchmarks/README.md, "The reader".
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import open_corpus as oc
from paraphrase import Paraphraser

from rag.chunking import split_sentences
from rag.embedding import model_path
from rag.lexical import BM25
from rag.minilm import torch_encoder
from rag.reader import HEAD, READER_FILE, encode_pairs, pair_tokenizer

RIVALS = 4
"""Sentences of other paragraphs per group (the best BM25 matches that hold no answer)."""
REWORD = 0.3
"""Share of the questions reworded."""
SEED = 0


@dataclass(frozen=True)
class Group:
    question: str
    sentences: list[str]
    labels: list[float]


def article_sentences(article: oc.Article) -> list[tuple[int, str]]:
    """(paragraph number, sentence) of every sentence of the article's paragraphs."""
    return [
        (p, article.text[s:e])
        for p, (a, b) in enumerate(article.paragraphs)
        for s, e in split_sentences(article.text, a, b)
    ]


def groups(
    articles: list[oc.Article],
    others: list[oc.Article],
    reword: float,
    seed: int,
    holed: float = 0.0,
    grafted: float = 0.0,
    mined: dict[str, list[str]] | None = None,
) -> list[Group]:
    """One group per question; for a share ``holed`` of them also its twin without the
    sentences that hold the answer (every label 0: the answer is not there); for a share
    ``grafted`` also a grafted question (``open_corpus.grafted``: another article's
    question naming this article's title) with the sentences of this article it matches
    best (every label 0). With ``mined`` (``mine``: each question's candidate sentences as
    the answerer ranks them before reading), the rivals are the best of those instead of
    the BM25 ones: the sentences the reader will be shown."""
    rng = random.Random(seed)
    twin = random.Random(seed + 1000)  # its own draws: the other groups stay as they were
    graft = random.Random(seed + 2000)
    paraphrase = Paraphraser(0.5, seed=seed)
    elsewhere = [s for a in others for _, s in article_sentences(a)]
    out = []
    for article in articles:
        sentences = article_sentences(article)
        bm25 = BM25([s for _, s in sentences])
        for q in article.questions:
            paragraph = article.paragraphs.index(q.paragraph)

            def holds(s: str, q: oc.Question = q) -> float:
                return float(q.held_by(s))

            own = [s for p, s in sentences if p == paragraph]
            scores = bm25.scores(q.text)
            rivals = [
                sentences[i][1]
                for i in np.argsort(-scores, kind="stable")
                if sentences[i][0] != paragraph and not holds(sentences[i][1])
            ][:RIVALS]
            chosen = [*own, *rivals, rng.choice(elsewhere)]
            if not any(holds(s) for s in own):
                continue  # the answer crosses a sentence boundary: no sentence holds it
            text = paraphrase(q.text) if rng.random() < reword else q.text
            if mined is not None:
                rivals = [s for s in mined[text] if s not in own and not holds(s)][:RIVALS]
                chosen = [*own, *rivals, chosen[-1]]
            out.append(Group(text, chosen, [holds(s) for s in chosen]))
            if twin.random() < holed:
                rest = [s for s in chosen if not holds(s)]
                out.append(Group(text, rest, [0.0] * len(rest)))
            if graft.random() < grafted:
                out.extend(grafted_group(article, articles, sentences, bm25, len(chosen), graft))
    return out


def mine(questions: set[str], articles: list[oc.Article], per_question: int = 12) -> dict[str, list[str]]:
    """Each question's candidate sentences from an index of ``articles``, best first by the
    answerer's sentence model (``rag.answer.candidates``; the reader reads its best
    ``READ``): the rivals it meets when answering, from every article, found by meaning
    as well as by terms. The sentence model is the shipped one (``rag/data/answerer.json``);
    it does not read the reader's logits, so refitting the reader leaves these rivals as
    they were."""
    from tqdm import tqdm

    from rag.answer import candidates

    config, _ = oc.build("reader-mine", {a.name: a.text for a in articles}, rebuild=False)
    out = {}
    for text in tqdm(sorted(questions), desc="mining rivals", unit="q", file=sys.stderr, mininterval=10):
        found = sorted(candidates(text, [], config), key=lambda c: -c.features["sentence"])
        out[text] = [c.text for c in found[:per_question]]
    return out


def grafted_group(
    article: oc.Article,
    articles: list[oc.Article],
    sentences: list[tuple[int, str]],
    bm25: BM25,
    size: int,
    rng: random.Random,
) -> list[Group]:
    """A question of another of ``articles`` with its longest name replaced by this
    article's title, and the ``size`` sentences of this article BM25 ranks first for it."""
    donor = rng.choice([a for a in articles if a is not article and a.questions])
    asked = oc.grafted([rng.choice(donor.questions)], [article.title], rng)
    if not asked:
        return []
    best = np.argsort(-bm25.scores(asked[0].text), kind="stable")[:size]
    return [Group(asked[0].text, [sentences[i][1] for i in best], [0.0] * len(best))]


def base_weights(depth: int) -> dict[str, object]:
    """The bundled model's weights, its layers from ``depth`` on left out."""
    from safetensors.torch import load_file

    w = load_file(str(model_path() / "model.safetensors"))
    return {k: v for k, v in w.items() if not k.startswith("encoder.layer.") or int(k.split(".")[2]) < depth}


def trainable_names(weights: dict[str, object], layers: int) -> list[str]:
    total = sum(1 for k in weights if k.endswith("attention.self.query.weight"))
    top = {f"encoder.layer.{i}." for i in range(total - layers, total)}
    return [k for k in weights if any(k.startswith(t) for t in top)] + ["embeddings.token_type_embeddings.weight"]


class Model:
    """The encoder with its top layers trainable, and the head."""

    def __init__(self, depth: int, layers: int) -> None:
        import torch

        w = base_weights(depth)
        self.words = w.pop("embeddings.word_embeddings.weight")
        self.names = trainable_names(w, layers)
        self.encoder = torch_encoder({k: v for k, v in w.items() if v.is_floating_point()}, set(self.names))
        self.head = torch.nn.Linear(int(self.words.shape[1]), 1)
        torch.nn.init.normal_(self.head.weight, std=0.02)
        torch.nn.init.zeros_(self.head.bias)

    def parameters(self) -> list[object]:
        return [p for p in self.encoder.parameters() if p.requires_grad] + list(self.head.parameters())

    def logits(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> object:
        import torch

        m = torch.from_numpy(mask)
        states = self.encoder(self.words[torch.from_numpy(ids)], m, torch.from_numpy(types))
        pooled = (states * m[:, :, None]).sum(1) / m.sum(1, keepdim=True).clamp(min=1e-9)
        return self.head(pooled).squeeze(-1)

    def fitted(self) -> dict[str, np.ndarray]:
        out = {k: self.encoder.g(k).detach().numpy().astype(np.float16) for k in self.names}
        out[HEAD[0]] = self.head.weight.detach().numpy().reshape(-1).astype(np.float16)
        out[HEAD[1]] = self.head.bias.detach().numpy().astype(np.float16)
        return out


def batches(groups: list[Group], size: int, rng: random.Random) -> list[list[Group]]:
    order = list(groups)
    rng.shuffle(order)
    return [order[i : i + size] for i in range(0, len(order), size)]


def train(model: Model, data: list[Group], epochs: float, lr: float, batch: int) -> None:
    import torch
    from tqdm import tqdm

    tokenizer = pair_tokenizer(model_path())
    rng = random.Random(SEED)
    steps = [b for _ in range(math.ceil(epochs)) for b in batches(data, batch, rng)]
    steps = steps[: int(len(steps) * epochs / math.ceil(epochs))]
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, len(steps) // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min((s + 1) / warmup, max(0.0, (len(steps) - s) / (len(steps) - warmup)))
    )
    bce = torch.nn.BCEWithLogitsLoss()
    progress = tqdm(steps, desc="fitting the reader", unit="batch", file=sys.stderr, mininterval=10)
    for step in progress:
        pairs = [(g.question, s) for g in step for s in g.sentences]
        labels = torch.tensor([y for g in step for y in g.labels])
        logits = model.logits(*encode_pairs(tokenizer, pairs))
        loss = bce(logits, labels)
        at = 0
        for g in step:  # listwise: the answering sentence against its group
            z = logits[at : at + len(g.sentences)]
            y = labels[at : at + len(g.sentences)]
            if bool((y > 0).any()):
                loss = loss + (torch.logsumexp(z, 0) - torch.logsumexp(z[y > 0], 0)) / len(step)
            else:  # a holed twin: "no answer here" (a logit of 0) against its best sentence
                loss = loss + torch.logsumexp(torch.cat([z, z.new_zeros(1)]), 0) / len(step)
            at += len(g.sentences)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        progress.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)


def top1(score: list[np.ndarray], data: list[Group]) -> float:
    return float(np.mean([g.labels[int(np.argmax(s))] for s, g in zip(score, data, strict=True)]))


def evaluate(model: Model, data: list[Group]) -> dict[str, float]:
    """Held-out articles: how often the best-scored sentence of a group holds the answer,
    by the reader and by the bundled model's cosine; and how the reader's best logit
    separates a group from the same group without its answering sentences, and from a
    grafted question's group (those with no answer at all)."""
    import torch

    from rag.embedding import MiniLMEmbedder

    tokenizer = pair_tokenizer(model_path())
    embedder = MiniLMEmbedder()
    reader, cosine, holed, grafted = [], [], [], []
    answerable = [g for g in data if any(g.labels)]
    with torch.no_grad():
        for g in data:
            z = model.logits(*encode_pairs(tokenizer, [(g.question, s) for s in g.sentences])).numpy()
            if not any(g.labels):
                grafted.append(float(z.max()))
                continue
            reader.append(z)
            vectors = embedder.embed([g.question, *g.sentences])
            cosine.append(vectors[1:] @ vectors[0])
            if not all(g.labels):
                holed.append(float(max(z[i] for i, y in enumerate(g.labels) if not y)))
    best = np.array([float(z.max()) for z in reader])
    figures = {
        "reader_top1": top1(reader, answerable),
        "cosine_top1": top1(cosine, answerable),
        "answerable_vs_holed_auc": auc(best, holed),
    }
    if grafted:
        figures["answerable_vs_grafted_auc"] = auc(best, grafted)
    return figures


def auc(positive: np.ndarray, negative: list[float]) -> float:
    """The share of (positive, negative) pairs the positive scores above."""
    return float(np.mean(positive[:, None] > np.array(negative)[None, :]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", type=int, default=4, help="layers of the bundled model the reader keeps (default 4)")
    parser.add_argument("--layers", type=int, default=4, help="of those, the top ones trained (default: all 4)")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--batch", type=int, default=8, help="question groups per step")
    parser.add_argument(
        "--holed", type=float, default=0.0, help="share of the groups that also get a twin without the answer"
    )
    parser.add_argument(
        "--grafted", type=float, default=0.0, help="share of the groups that also get a grafted question (no answer)"
    )
    parser.add_argument(
        "--rivals",
        choices=("answerer", "bm25"),
        default="answerer",
        help="answerer: the answerer's own candidates, from an index of the fitting articles (default);"
        " bm25: the article's sentences sharing most terms (the reader before 2026-12-08)",
    )
    parser.add_argument("--limit", type=int, default=0, help="fit on this many groups only (a quick try)")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--out", type=Path, default=READER_FILE)
    args = parser.parse_args()
    import torch

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    started = time.time()
    articles = oc.read_articles(oc.FIT)
    held = [a for n, a in enumerate(articles) if n % 8 == 7]
    fit = [a for n, a in enumerate(articles) if n % 8 != 7]
    data = groups(fit, held, REWORD, SEED, args.holed, args.grafted)
    if args.rivals == "answerer":
        mined = mine({g.question for g in data}, fit)
        data = groups(fit, held, REWORD, SEED, args.holed, args.grafted, mined)
    check = groups(held, fit, 0.0, SEED + 1, grafted=1.0)
    if args.limit:
        data = random.Random(SEED).sample(data, min(args.limit, len(data)))
    print(
        f"{len(data)} groups ({sum(len(g.sentences) for g in data)} pairs) from {len(fit)} articles; "
        f"{len(check)} held out from {len(held)}",
        file=sys.stderr,
    )
    model = Model(args.depth, args.layers)
    train(model, data, args.epochs, args.lr, args.batch)
    figures = evaluate(model, check)
    about = {
        "fitted_by": "python benchmarks/fit_reader.py",
        "data": "SQuAD v1.1 dev, articles with index i % 3 == 1 only",
        "groups": len(data),
        "depth": args.depth,
        "layers": args.layers,
        "epochs": args.epochs,
        "lr": args.lr,
        "holed": args.holed,
        "grafted": args.grafted,
        "rivals": "the answerer's candidates" if args.rivals == "answerer" else "BM25, same article",
        "held_out": {k: round(v, 4) for k, v in figures.items()},
        "minutes": round((time.time() - started) / 60, 1),
    }
    print(json.dumps(about, indent=2))
    if not args.dry_run:
        from safetensors.numpy import save_file

        save_file(model.fitted(), str(args.out), metadata={"about": json.dumps(about)})
        print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
