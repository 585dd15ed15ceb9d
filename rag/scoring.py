"""Which sentence answers, and whether any does: small linear models fitted on data.

The extractive answerer describes every candidate sentence by general features (meaning
and term overlap with the question, the expected answer type, the neighbouring context,
the passage's rank...) and scores it with the *sentence model*; the reader
(``rag.reader``) reads the best few with the question, and the *rerank model* weighs the
two scores; the *answerability model* then reads the best sentence's evidence (which of
the question's rare terms and names it and its context lack, whether it holds the kind
of answer asked for, the reader's logits) and gives the probability that the articles
answer at all. All are logistic models whose
parameters live in ``rag/data/answerer.json``: plain numbers, written by
``python benchmarks/fit_answerer.py`` from SQuAD articles of the fitting split (never the
measuring or reserved ones, never the seed eval).
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

MODEL_FILE = Path(__file__).with_name("data") / "answerer.json"

SENTENCE_FEATURES = (
    "similarity",  # cosine of question and sentence (MiniLM)
    "similarity_rank",  # 1 / (1 + its rank by similarity among the candidates)
    "coverage",  # idf-weighted share of the question's terms in the sentence
    "coverage_rank",  # 1 / (1 + its rank by coverage)
    "context",  # the same over the sentence and its neighbours
    "bigrams",  # share of the question's adjacent term pairs found in the sentence
    "novelty",  # share of the sentence's terms that are not the question's (the answer itself)
    "answer_type",  # holds the kind of answer asked for, not just the question's own (a date for "when")
    "untyped",  # the question needs a type (date, number...) that the sentence lacks
    "new_name",  # names someone or something the question does not
    "number",  # holds a digit
    "rank",  # 1 / (1 + rank of its passage)
    "fragment",  # a headline or caption rather than a sentence
    "length",  # log of its word count
    "matched",  # share of the question's terms in the sentence (unweighted)
    "spread",  # how far apart those terms lie in it (1.0: side by side)
    "local",  # coverage weighted by each term's rarity among the candidate sentences
    "similarity_gap",  # its similarity minus the best candidate's
    "coverage_gap",  # the same for coverage
    "context_gap",  # ... for context
    "local_gap",  # ... for local
)
"""Features of one candidate sentence, in the order the sentence model reads them."""

ANSWERABILITY_FEATURES = (
    "top_score",  # sentence-model logit of the best sentence
    "margin",  # its lead over the second best
    "max_similarity",  # best question-sentence cosine among the candidates
    "top_coverage",  # coverage of the best sentence
    "top_context",  # coverage of its context
    "best_context",  # best coverage of any candidate's context
    "passages_missing",  # idf share of the question's terms absent from every retrieved passage
    "rare_missing",  # rarest question term absent from its context (idf share)
    "names_missing",  # share of the question's names absent from its context
    "corpus_missing",  # idf-weighted share of the question's terms found nowhere in the corpus
    "corpus_names_missing",  # share of the question's names found nowhere in the corpus (nor sound-alikes)
    "typed_top",  # the best sentence holds the answer type asked for
    "typed_none",  # the question needs a type no candidate holds
    "question_terms",  # log of the question's term count
    "top_matched",  # share of the question's terms in the best sentence
    "max_matched",  # the highest such share among the candidates
    "top_bigrams",  # share of the question's term pairs in the best sentence
    "top_spread",  # spread of the question's terms in the best sentence
    "top_reader",  # the reader's logit for the best sentence (rag/reader.py)
    "max_reader",  # the highest reader logit among the sentences read
)
"""Question-level features of the answerability model."""

RERANK_FEATURES = (
    "sentence",  # the sentence model's logit
    "reader",  # the reader's logit (a sentence it did not read: the lowest read one's)
)
"""Features of the final ranking: the sentence model's best candidates, read by the reader."""


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(((x - mean) / scale) @ weights + bias)``: a standardised logistic model."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logits(self, rows: np.ndarray) -> np.ndarray:
        return ((rows - self.mean) / self.scale) @ self.weights + self.bias  # type: ignore[no-any-return]

    def logit(self, features: dict[str, float]) -> float:
        return float(self.logits(np.array([[features[f] for f in self.features]]))[0])

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": self.mean.round(6).tolist(),
            "scale": self.scale.round(6).tolist(),
            "weights": self.weights.round(6).tolist(),
            "bias": round(self.bias, 6),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LinearModel:
        return cls(
            tuple(d["features"]),
            np.array(d["mean"], dtype=np.float64),
            np.array(d["scale"], dtype=np.float64),
            np.array(d["weights"], dtype=np.float64),
            float(d["bias"]),
        )


@dataclass(frozen=True)
class Models:
    sentence: LinearModel
    rerank: LinearModel
    """Weighs the sentence model against the reader (``RERANK_FEATURES``)."""
    answerable: LinearModel
    refuse_below: float
    """Answerability probability under which the answerer refuses."""
    second_above: float
    """Relative score (best sentence = 1.0) above which the runner-up sentence is quoted too."""
    plausible_above: float
    """Relative score above which a sentence is a plausible answer too: as close to the
    best as the sentence holding the answer lies in 90 % of the fitting questions. Such a
    sentence may state another version of the answer (a conflict)."""
    about: dict[str, Any]
    """How and on what the models were fitted (for the README and the benchmarks)."""


def use_model_file(path: Path) -> None:
    """Answer with the models in ``path`` from now on, in this process (benchmarks that
    fit or compare models files)."""
    global MODEL_FILE
    MODEL_FILE = path
    load_models.cache_clear()


@lru_cache(maxsize=4)
def load_models(path: Path | None = None) -> Models:
    """The fitted models (read once per process), from ``path`` or ``MODEL_FILE``."""
    path = path or MODEL_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    sentence = LinearModel.from_dict(data["sentence"])
    rerank = LinearModel.from_dict(data["rerank"])
    answerable = LinearModel.from_dict(data["answerable"])
    if (sentence.features, rerank.features, answerable.features) != (
        SENTENCE_FEATURES,
        RERANK_FEATURES,
        ANSWERABILITY_FEATURES,
    ):
        raise ValueError(f"{path} was fitted for other features: run python benchmarks/fit_answerer.py")
    return Models(
        sentence,
        rerank,
        answerable,
        float(data["refuse_below"]),
        float(data.get("second_above", 2.0)),
        float(data.get("plausible_above", 1.0)),
        data.get("about", {}),
    )


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-max(-30.0, min(30.0, x))))


def fit_logistic(
    rows: np.ndarray, labels: np.ndarray, features: tuple[str, ...], l2: float = 1.0, groups: np.ndarray | None = None
) -> LinearModel:
    """Fit a logistic model by Newton's method (deterministic). With ``groups`` (one id
    per row, rows of a group contiguous), fit a conditional logit instead: a softmax over
    each group's rows, the label a share of the group (its positives split the mass)."""
    mean = rows.mean(axis=0)
    scale = rows.std(axis=0)
    scale[scale < 1e-9] = 1.0
    x = (rows - mean) / scale
    if groups is None:
        x1 = np.hstack([x, np.ones((len(x), 1))])
        w = np.zeros(x1.shape[1])
        for _ in range(50):
            p = 1 / (1 + np.exp(-np.clip(x1 @ w, -30, 30)))
            reg = l2 * np.r_[w[:-1], 0.0]
            grad = x1.T @ (p - labels) + reg
            hess = (x1 * (p * (1 - p))[:, None]).T @ x1 + l2 * np.diag(np.r_[np.ones(len(w) - 1), 1e-6])
            step = np.linalg.solve(hess, grad)
            w -= step
            if np.abs(step).max() < 1e-8:
                break
        return LinearModel(features, mean, scale, w[:-1], float(w[-1]))
    w = np.zeros(x.shape[1])
    bounds = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1], True])
    spans = list(itertools.pairwise(bounds))
    targets = [labels[a:b] / labels[a:b].sum() for a, b in spans]

    def loss(w: np.ndarray) -> float:
        total = 0.5 * l2 * float(w @ w)
        for (a, b), yg in zip(spans, targets, strict=True):
            z = x[a:b] @ w
            total -= float(yg @ (z - z.max() - np.log(np.exp(z - z.max()).sum())))
        return total

    current = loss(w)
    for _ in range(100):
        grad = l2 * w
        hess = l2 * np.eye(len(w))
        for (a, b), yg in zip(spans, targets, strict=True):
            xg = x[a:b]
            z = xg @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mu = p @ xg
            grad -= (yg - p) @ xg
            hess += (xg * p[:, None]).T @ xg - np.outer(mu, mu)
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while loss(w - t * step) > current and t > 1e-4:  # backtracking keeps every step downhill
            t /= 2
        w = w - t * step
        new = loss(w)
        if current - new < 1e-9 * max(1.0, abs(current)):
            break
        current = new
    # a softmax has no bias; the logits are centred on the fitting data instead
    return LinearModel(features, mean, scale, w, 0.0)
