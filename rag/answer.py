"""The default answerer: extractive, no LLM. It quotes the sentences of the retrieved
passages that best answer the question, each followed by its citation marker, and
refuses when the evidence is too weak."""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .budget import budgeted
from .chunking import split_sentences
from .config import Config
from .evidence import (
    ANCHORED_KINDS,
    Version,
    answer_kind,
    covered,
    independent,
    is_named,
    key_terms,
    placed_by,
    relative_dates,
    restates,
    values,
    versions,
)
from .lexical import names as lexical_names
from .lexical import terms
from .question import (
    AnswerType,
    answer_is_subject,
    asked_years,
    expected_type,
    is_context_dependent,
    is_list_question,
    name_words,
    names,
    names_year,
    wants_name,
)
from .reader import READ, get_reader
from .retrieval import Searcher, clean_history, clean_question, rank, searcher
from .scoring import SENTENCE_FEATURES, load_models, sigmoid
from .spans import Citation
from .store import StoredChunk, sentence_id

__all__ = ["REFUSAL", "Answer", "ask_extractive", "candidates", "retrieval_query"]

REFUSAL = "The articles don't answer this question."

WITNESS_SIMILARITY = 0.3
"""A sentence below this cosine to the question is no witness of a conflict, however it
names the person asked about (all-MiniLM-L6-v2 cosines of unrelated sentences lie lower)."""
LIST_SENTENCE = 0.75
"""For list questions, further sentences adding new items are quoted down to this share
of the best sentence's score (scores are relative: the best sentence has 1.0)."""
MAX_SENTENCES = 3


@dataclass(frozen=True)
class Answer:
    """An answer and the verbatim spans that support it. When ``answerable`` is false,
    ``text`` says the articles do not answer (and, when it can, what they lack) and
    ``citations`` is empty.

    ``supported_by`` lists the articles (``Passage.source``) that state the answer;
    ``independent`` counts them with reprinted copies of one quote or story as one;
    ``conflicts`` holds the disagreeing versions when the articles disagree, else [].
    ``confidence`` is the answerability model's probability that the articles answer.
    ``answerer`` says who wrote ``text`` ("extractive" or "llm", with ``model``);
    ``removed`` holds the sentences a model wrote that no cited passage supports;
    ``notice`` says why the llm answerer fell back to the extractive answer."""

    text: str
    answerable: bool
    citations: list[Citation] = field(default_factory=list)
    supported_by: list[str] = field(default_factory=list)
    conflicts: list[Version] = field(default_factory=list)
    independent: int = 0
    articles: int = 0
    """How many articles the index holds (for "reported by 2 of 5 articles")."""
    supported_titles: list[str] = field(default_factory=list)
    """How ``support_line`` names each of ``supported_by``: “title” (outlet)."""
    answerer: str = "extractive"
    model: str = ""
    removed: list[str] = field(default_factory=list)
    notice: str = ""
    confidence: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "answerable": self.answerable,
            "confidence": round(self.confidence, 4),
            "citations": [c.to_dict() for c in self.citations],
            "supported_by": self.supported_by,
            "conflicts": [v.to_dict() for v in self.conflicts],
            "answerer": self.answerer,
            "model": self.model,
            "removed": self.removed,
            "notice": self.notice,
        }

    def with_notice(self, notice: str) -> Answer:
        return dataclasses.replace(self, notice=notice)

    def support_line(self) -> str:
        """ "Reported by 2 of 5 articles: “Title” (Outlet), …" (and how many are independent);
        file names stand in for titles an answer was not given."""
        if not self.supported_by:
            return ""
        n = len(self.supported_by)
        named = self.supported_titles if len(self.supported_titles) == n else self.supported_by
        line = f"Reported by {n} of {self.articles} article{'s' if self.articles != 1 else ''}: " + ", ".join(named)
        if self.independent and self.independent < n:
            line += f" ({self.independent} independent: the others reprint the same quote or story)"
        return line


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, with the features that score it. ``logit`` is
    the sentence model's score; ``score`` is relative to the best candidate's (1.0)."""

    chunk: int
    rank: int
    start: int
    end: int
    text: str
    features: dict[str, float]
    logit: float = 0.0
    score: float = 0.0
    retrieval: float = 0.0
    """The retrieval score of its passage."""


def _sentence_similarities(q: np.ndarray, spans: list[tuple[StoredChunk, int, int]], s: Searcher) -> list[float]:
    """Cosine similarity of the question with each sentence (vectors stored at ingest)."""
    ids = [sentence_id(c.source, c.sha256, c.start + a, c.start + b) for c, a, b in spans]
    stored = s.store.sentence_vectors(ids)
    missing = [i for i, sid in enumerate(ids) if sid not in stored]
    if missing:  # an index built without sentence vectors: embed those now
        fresh = s.embedder.embed([spans[i][0].text[spans[i][1] : spans[i][2]] for i in missing])
        stored.update({ids[i]: fresh[n] for n, i in enumerate(missing)})
    return [float(stored[sid] @ q) for sid in ids]


def _inside_quotation(text: str, position: int) -> bool:
    """Does ``position`` fall inside a quotation opened earlier on its line?"""
    line = text[text.rfind("\n", 0, position) + 1 : position]
    return line.count("“") > line.count("”") or line.count('"') % 2 == 1


MAX_TURNS = 3
"""Earlier turns a follow-up may reach back through."""


def conversation_context(question: str, history: list[str], config: Config) -> str:
    """For a question that leans on earlier turns ("Who took his place?"), the names it
    refers back to: those of the previous question, of what that question itself referred
    back to, and of the answer it got when that answer is the new subject ("Who replaced
    Rivera?" then "What does Chen expect of him?"). A self-contained question gets
    nothing, so earlier turns cannot pollute it."""
    if not history or not is_context_dependent(question):
        return ""
    previous, earlier = history[-1], history[-MAX_TURNS:-1]
    referred = [previous, conversation_context(previous, earlier, config)]
    if answer_is_subject(previous, question):
        referred += [c.text for c in select(previous, candidates(previous, earlier, config), searcher(config))]
    return " ".join(name_words(" ".join(referred)))  # each name once, first spelling kept


def retrieval_query(question: str, history: list[str], config: Config) -> str:
    """The text actually searched for: the question plus the names it refers back to."""
    return f"{question} {conversation_context(question, history, config)}".strip()


def candidates(question: str, history: list[str], config: Config, k: int | None = None) -> list[Candidate]:
    """The sentences of the top ``k`` passages (default ``config.k``) for ``question``,
    best first by the sentence model (``rag/scoring.py``)."""
    s = searcher(config)
    context = conversation_context(question, history, config)
    query = f"{question} {context}".strip()
    vector = s.embedder.embed([query])[0]  # once: for retrieval and for sentence similarity
    hits = rank(query, config, depth=max(4 * config.k, 40, k or 0), vector=vector)[: k or config.k]
    spans: list[tuple[int, StoredChunk, list[tuple[int, int]], int]] = []
    seen: set[tuple[str, int]] = set()
    for position, hit in enumerate(hits):
        chunk = s.chunks[hit.index]
        sentences = split_sentences(chunk.text)
        for n, (a, _) in enumerate(sentences):
            if (chunk.source, chunk.start + a) not in seen:
                seen.add((chunk.source, chunk.start + a))
                spans.append((position, chunk, sentences, n))
    if not spans:
        return []
    similarities = _sentence_similarities(vector, [(c, *sents[n]) for _, c, sents, n in spans], s)
    q = _QuestionTerms.of(question, context, s)
    rows, present = [], []
    for (position, chunk, sentences, n), similarity in zip(spans, similarities, strict=True):
        a, b = sentences[n]
        before = sentences[n - 1][0] if n > 0 else a
        after = sentences[n + 1][1] if n + 1 < len(sentences) else b
        spelled = terms(chunk.text[a:b])
        sentence_terms = q.canonical(spelled)
        present.append(set(sentence_terms))
        rows.append(_features(q, chunk.text, a, b, chunk.text[before:after], similarity, position, sentence_terms))
    read = [position < config.k for position, *_ in spans]
    _add_relative_features(q, rows, present, read if any(read) else [True] * len(rows))
    retrieved = set().union(*(q.canonical(terms(s.chunks[h.index].text)) for h in hits[: config.k]))
    passages_missing = q.missing_share(retrieved)
    for r in rows:
        r["passages_missing"] = passages_missing
    logits = _read(query, rows, [chunk.text[sents[n][0] : sents[n][1]] for _, chunk, sents, n in spans])
    top = float(logits.max())
    out = [
        Candidate(
            hits[position].index,
            position,
            chunk.start + sentences[n][0],
            chunk.start + sentences[n][1],
            chunk.text[sentences[n][0] : sentences[n][1]],
            r,
            float(logit),
            math.exp(float(logit) - top),
            hits[position].score,
        )
        for (position, chunk, sentences, n), r, logit in zip(spans, rows, logits, strict=True)
    ]
    return sorted(out, key=lambda c: -c.logit)


def _read(question: str, rows: list[dict[str, float]], texts: list[str]) -> np.ndarray:
    """The fitted score of each candidate: the sentence model's best ``READ`` are read with
    the question by the reader, and the rerank model weighs the two logits (see
    ``rag.scoring``; both logits are stored as the candidate's features)."""
    models = load_models()
    first = models.sentence.logits(np.array([[r[f] for f in SENTENCE_FEATURES] for r in rows]))
    best = np.argsort(-first, kind="stable")[:READ]
    read = get_reader().logits(question, [texts[i] for i in best])
    reader = np.full(len(rows), float(read.min()))
    reader[best] = read
    for r, f, z in zip(rows, first, reader, strict=True):
        r["sentence"], r["reader"] = float(f), float(z)
    return models.rerank.logits(np.column_stack([first, reader]))


@dataclass(frozen=True)
class _QuestionTerms:
    """What the features compare sentences with: the question's terms, weighted by idf
    (sound-alikes of its names and the conversation's names at a discount), its term
    pairs, its names and the kind of answer it asks for."""

    idf: dict[str, float]
    total: float
    own: list[str]
    pairs: set[tuple[str, str]]
    name_terms: list[str]
    alikes: dict[str, set[str]]
    spelled: dict[str, str]
    """Each sound-alike of a name of the question -> that name."""
    asked_names: set[str]
    """The names of the question and its context, and every word of the question read as
    a name: "Data Retention Policy" names nothing new to "Who reviews the data retention
    policy?"."""
    answer_type: AnswerType | None
    asked_values: set[str]
    """The question's own values of that kind ("1939" in "How many lived there in 1939?"):
    a sentence holding only these does not hold the kind of answer asked for."""
    needs_name: bool
    corpus_missing: float
    corpus_names_missing: float

    @classmethod
    def of(cls, question: str, context: str, s: Searcher) -> _QuestionTerms:
        weights = s.bm25.expand(question)
        weights |= {t: 0.5 * w for t, w in s.bm25.expand(context).items() if t not in weights}
        idf = {t: w * s.bm25.idf(t) for t, w in weights.items()}
        own = list(dict.fromkeys(terms(question)))
        name_terms = list(dict.fromkeys(lexical_names(question)))
        own_idf = {t: s.bm25.idf(t) for t in own}
        absent = sum(v for t, v in own_idf.items() if not s.bm25.knows(t) and not s.bm25.sound_alikes(t))
        ordered = terms(question)
        answer_type = expected_type(question)
        alikes = {t: {t} | {a for a, _ in s.bm25.sound_alikes(t)} for t in name_terms}
        return cls(
            idf=idf,
            total=sum(idf.values()) or 1.0,
            own=own,
            pairs=set(itertools.pairwise(ordered)),
            name_terms=name_terms,
            alikes=alikes,
            spelled={a: t for t in reversed(name_terms) for a in alikes[t]},
            asked_names=names(question) | names(context) | names(question.title()),
            answer_type=answer_type,
            asked_values=answer_type.values(question) if answer_type else set(),
            needs_name=wants_name(question),
            corpus_missing=absent / (sum(own_idf.values()) or 1.0),
            corpus_names_missing=sum(not s.bm25.knows(t) and not alikes[t] - {t} for t in name_terms)
            / max(1, len(name_terms)),
        )

    def canonical(self, found: list[str]) -> list[str]:
        """``found`` (terms of a text) with each sound-alike of a question's name read as
        that name ("lindkvist" for the question's "lindqvist"), so a misspelled name
        counts as present wherever the features look for the question's terms."""
        return [self.spelled.get(t, t) for t in found]

    def coverage(self, present: set[str]) -> float:
        return sum(v for t, v in self.idf.items() if t in present) / self.total

    def missing_share(self, present: set[str]) -> float:
        """idf-weighted share of the question's own terms absent from ``present``."""
        own = {t: self.idf.get(t, 0.0) for t in self.own}
        return sum(v for t, v in own.items() if t not in present) / (sum(own.values()) or 1.0)

    def missing(self, present: set[str]) -> tuple[float, float]:
        """(idf share of the rarest question term absent, share of names absent) in ``present``."""
        absent = [self.idf.get(t, 0.0) for t in self.own if t not in present]
        top = max((self.idf.get(t, 0.0) for t in self.own), default=0.0) or 1.0
        gone = [t for t in self.name_terms if not self.alikes[t] & present]
        return max(absent, default=0.0) / top, len(gone) / max(1, len(self.name_terms))


def _features(
    q: _QuestionTerms,
    chunk_text: str,
    a: int,
    b: int,
    window: str,
    similarity: float,
    position: int,
    sentence_terms: list[str],
) -> dict[str, float]:
    """The features of sentence ``chunk_text[a:b]`` (whose terms are ``sentence_terms``;
    see ``rag.scoring.SENTENCE_FEATURES``), with the evidence its ``window`` (it and its
    neighbours) gives the answerability model."""
    text = chunk_text[a:b]
    present, around = set(sentence_terms), set(q.canonical(terms(window)))
    typed = q.answer_type is not None and q.answer_type.held_by(text, q.asked_values)
    if q.answer_type is not None and q.answer_type.name == "quote":
        typed = typed or _inside_quotation(chunk_text, a)
    new_names = bool(names(text) - q.asked_names)
    if q.needs_name:
        typed = typed or new_names
    rare_missing, names_missing = q.missing(around)
    own = set(q.own)
    return {
        "similarity": similarity,
        "coverage": q.coverage(present),
        "context": q.coverage(around),
        "bigrams": sum(p in q.pairs for p in itertools.pairwise(sentence_terms)) / max(1, len(q.pairs)),
        "novelty": sum(t not in q.idf for t in present) / max(1, len(present)),
        "answer_type": float(typed),
        "untyped": float(q.answer_type is not None and q.answer_type.strict and not typed),
        "new_name": float(new_names),
        "number": float(any(ch.isdigit() for ch in text)),
        "rank": 1 / (1 + position),
        "fragment": float(not text.rstrip("\"'”’)").endswith((".", "!", "?"))),
        "length": math.log1p(len(sentence_terms)),
        "matched": len(present & own) / max(1, len(own)),
        "spread": _spread(sentence_terms, own),
        "rare_missing": rare_missing,
        "names_missing": names_missing,
        "corpus_missing": q.corpus_missing,
        "corpus_names_missing": q.corpus_names_missing,
        "question_terms": math.log1p(len(q.own)),
    }


SPREAD_NONE = 3.0
"""``spread`` of a sentence holding fewer than two of the question's terms."""


def _spread(sentence_terms: list[str], own: set[str]) -> float:
    """How far apart the question's terms lie in the sentence: the span from the first
    to the last one, in terms, per distinct term found (1.0 when they stand together)."""
    places = [i for i, t in enumerate(sentence_terms) if t in own]
    found = len({sentence_terms[i] for i in places})
    return (places[-1] - places[0] + 1) / found if found > 1 else SPREAD_NONE


def _add_relative_features(
    q: _QuestionTerms, rows: list[dict[str, float]], present: list[set[str]], read: list[bool]
) -> None:
    """Features that compare a sentence with the other candidates (those of the passages
    the answer reads, flagged by ``read``): its ranks and gaps to the best, and ``local``,
    the coverage of the question's terms weighted by how rare each is *among the
    candidates* (a name found in every candidate tells them apart no better than a stop
    word). ``present`` holds each sentence's terms."""
    read_rows = [r for r, flag in zip(rows, read, strict=True) if flag]
    read_terms = [p for p, flag in zip(present, read, strict=True) if flag]
    n = len(read_terms)
    df = {t: sum(t in p for p in read_terms) for t in q.own}
    weight = {t: math.log(1 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    total = sum(weight.values()) or 1.0
    for r, p in zip(rows, present, strict=True):
        r["local"] = sum(w for t, w in weight.items() if t in p) / total
    for key in ("similarity", "coverage", "context", "local"):
        best = max(r[key] for r in read_rows)
        for r in rows:
            r[f"{key}_gap"] = r[key] - best
    for key in ("similarity", "coverage"):
        for r in rows:
            r[f"{key}_rank"] = 0.0
        for place, r in enumerate(sorted(read_rows, key=lambda r: -r[key])):
            r[f"{key}_rank"] = 1 / (1 + place)


def answerability(ranked: list[Candidate]) -> dict[str, float]:
    """The answerability model's features (``rag.scoring.ANSWERABILITY_FEATURES``) for
    candidates ranked best first."""
    top = ranked[0]
    return {
        "top_score": top.logit,
        "margin": top.logit - ranked[1].logit if len(ranked) > 1 else 5.0,
        "max_similarity": max(c.features["similarity"] for c in ranked),
        "top_coverage": top.features["coverage"],
        "top_context": top.features["context"],
        "best_context": max(c.features["context"] for c in ranked),
        "passages_missing": top.features["passages_missing"],
        "rare_missing": top.features["rare_missing"],
        "names_missing": top.features["names_missing"],
        "corpus_missing": top.features["corpus_missing"],
        "corpus_names_missing": top.features["corpus_names_missing"],
        "typed_top": top.features["answer_type"],
        "typed_none": float(all(c.features["untyped"] for c in ranked)),
        "question_terms": top.features["question_terms"],
        "top_matched": top.features["matched"],
        "max_matched": max(c.features["matched"] for c in ranked),
        "top_bigrams": top.features["bigrams"],
        "top_spread": top.features["spread"],
        "top_reader": top.features["reader"],
        "max_reader": max(c.features["reader"] for c in ranked),
    }


def confidence(ranked: list[Candidate]) -> float:
    """Probability that the articles answer: the fitted answerability model over the
    candidate sentences, ranked best first."""
    if not ranked:
        return 0.0
    return sigmoid(load_models().answerable.logit(answerability(ranked)))


ADJACENT_SHARE = 0.15
"""The runner-up sentence is quoted with the best one, as one passage, when it is the
sentence just before or after it and scores at least this share of its score (any other
runner-up needs the fitted ``second_above``): "He eventually surrendered in Northern
Rhodesia" after the sentence naming him. The share that puts the answer in the quote most
often on the fitting split within the two rules of the fitted runner-up bar (at most
``MAX_SECOND`` of the answers quote two sentences; the share of quoted sentences holding the
answer falls by at most ``MAX_PRECISION_LOSS``; both in ``benchmarks/open_corpus.py``):
``python benchmarks/open_corpus.py --fitting --per-set 5000 --adjacent-shares``."""
TYPED_SHARE = 0.75
"""A question that asks for a date, number, age... is answered by the best sentence holding
one when its score is at least this share of the best sentence's; below it, by the best
sentence of any kind ("When was the city razed?" -> "During the Second World War, ...").
The smallest share that puts the answer in the quote most often on the fitting split:
``python benchmarks/open_corpus.py --fitting --per-set 5000 --typed-shares 0,0.05,0.1,0.2,0.35,0.5,0.75,1``."""


def of_asked_type(question: str, ranked: list[Candidate]) -> list[Candidate]:
    """For a question that needs a date, number, age... (a strict answer type): none when no
    sentence holds one (the articles don't answer), else the sentences that hold one unless
    the best of them scores below ``TYPED_SHARE`` of the best sentence. For other
    questions, all of them."""
    answer_type = expected_type(question)
    if answer_type is not None and answer_type.strict:
        typed = [c for c in ranked if c.features["answer_type"]]
        if typed and typed[0].score < TYPED_SHARE * ranked[0].score:
            return ranked
        return typed
    return ranked


def in_asked_years(question: str, ranked: list[Candidate], s: Searcher) -> list[Candidate]:
    """The candidates whose passage names every year the question names: "What share of the
    city was Jewish in 1897?" is not answered by a passage about 1939 (a passage, not only
    the sentence: "In 1897, ... . By then, ..."). None when the best of them scores below
    ``TYPED_SHARE`` of the best candidate: a passage that only shares the year is no answer.
    All of them when the question names no year."""
    years = asked_years(question)
    if not years or not ranked:
        return ranked
    naming = [c for c in ranked if all(_passage_names(c, y, s) for y in years)]
    return naming if naming and naming[0].score >= TYPED_SHARE else []  # scores are relative to the best's


def _passage_names(cand: Candidate, year: str, s: Searcher) -> bool:
    """Does the passage (chunk) of ``cand`` name ``year``?"""
    return names_year(s.chunks[cand.chunk].text, year)


def select(question: str, ranked: list[Candidate], s: Searcher, sure: float | None = None) -> list[Candidate]:
    """The sentences to quote, or none when the articles don't answer (the fitted
    answerability model decides that). ``sure`` is ``confidence(ranked)`` when the caller
    already has it."""
    if not ranked:
        return []
    models = load_models()
    if (confidence(ranked) if sure is None else sure) < models.refuse_below:
        return []
    ranked = [c for c in ranked if c.features["novelty"] > 0]  # only the question's own words: no answer
    ranked = of_asked_type(question, ranked)
    ranked = in_asked_years(question, ranked, s)
    if not ranked:
        return []  # no retrieved sentence holds the date, number... asked for, or no passage names its year
    chosen = [ranked[0]]
    if len(ranked) > 1:
        joined = _joined(ranked[0], ranked[1], s)
        if ranked[1].score >= models.second_above:
            # The model cannot tell the two apart: quote both (neighbours as one passage).
            chosen = [joined] if joined else ranked[:2]
        elif joined is not None and ranked[1].score >= ADJACENT_SHARE:
            chosen = [joined]  # the sentence before or after, close behind: one passage
    if is_list_question(question):  # items may be spread over sentences: add those naming new ones
        for cand in ranked[1:]:
            seen = set().union(*(names(c.text) for c in chosen)) | names(question)
            if (
                len(chosen) < MAX_SENTENCES
                and not any(c.start <= cand.start < c.end for c in chosen)
                and cand.score >= LIST_SENTENCE * chosen[0].score
                and names(cand.text) - seen
            ):
                chosen.append(cand)
    return chosen


def _joined(a: Candidate, b: Candidate, s: Searcher) -> Candidate | None:
    """``a`` and ``b`` as one passage (``a``'s scores) when they are neighbours in one
    article, nothing but white space between them; else None."""
    first, second = sorted((a, b), key=lambda c: c.start)
    source = s.chunks[a.chunk].source
    if s.chunks[b.chunk].source != source or first.end > second.start:
        return None
    index = s.chunk_of(source, first.start, second.end)
    if index is None:
        return None
    chunk = s.chunks[index]
    if chunk.text[first.end - chunk.start : second.start - chunk.start].strip():
        return None
    text = chunk.text[first.start - chunk.start : second.end - chunk.start]
    return dataclasses.replace(a, chunk=index, rank=min(a.rank, b.rank), start=first.start, end=second.end, text=text)


def refusal(question: str, ranked: list[Candidate], s: Searcher) -> str:
    """The refusal, saying what the articles lack when it can: a term of the question
    found nowhere in them, a year of the question that no passage found for it names, or
    the kind of answer asked for."""
    keys, named = key_terms(question), name_words(question)
    said = [w for w in question.split() if set(terms(w)) & keys and w.lower().strip(_PUNCTUATION) not in _VAGUE]
    asked = named + said
    absent = list(dict.fromkeys(w.strip(_PUNCTUATION) for w in asked if _unknown(w, s)))
    if absent:
        return f"{REFUSAL} They never mention " + " or ".join(f"“{w}”" for w in absent[:2]) + "."
    unnamed = [y for y in asked_years(question) if not any(_passage_names(c, y, s) for c in ranked)]
    if ranked and unnamed:
        return f"{REFUSAL} None of the passages found for it mention {unnamed[0]}."
    answer_type = expected_type(question)
    if ranked and answer_type is not None and answer_type.strict and not any(c.features["answer_type"] for c in ranked):
        kind = _TYPE_NOUN.get(answer_type.name, answer_type.name)
        topic = " ".join(name_words(question)[:3])
        return f"{REFUSAL} They mention {topic} but give no {kind}." if topic else f"{REFUSAL} They give no {kind}."
    return REFUSAL


_PUNCTUATION = "?.,!;:\"'“”‘’()"
_VAGUE = frozenset(
    "another other else anyone anything someone something everyone everything ever also still even".split()
)
"""Words too vague to name as what the articles lack ("They never mention “another”")."""
_TYPE_NOUN = {"age": "age", "money": "amount", "nationality": "nationality", "date": "date or time", "number": "number"}


def _unknown(word: str, s: Searcher) -> bool:
    found = terms(word)
    return len(found) == 1 and len(found[0]) > 3 and not s.bm25.knows(found[0]) and not s.bm25.sound_alikes(found[0])


SUPPORT_SIMILARITY = 0.15
"""A sentence backs the answer when it holds the same answer value and its similarity to
the question is within this much of the answer sentence's."""
MAX_VERSIONS = 4


def _key_values(question: str, kind: str | None, cand: Candidate, anchors: list[str]) -> set[str]:
    if kind is not None:
        return values(cand.text, kind, anchors, question)
    return names(cand.text) - names(question)


ANCHOR_IDF = math.log(2)
"""BM25 idf of a name found in half the passages: names more common than that are what
the whole corpus is about, not whom a question is about."""


def _anchors(question: str, s: Searcher) -> list[str]:
    """The question's names that identify whom it is about ("Maria Lopez"), leaving out
    names found all over the corpus (the company the corpus is about)."""
    return [w for w in name_words(question) if s.bm25.idf(terms(w)[0] if terms(w) else "") >= ANCHOR_IDF]


SUPPORT_CHUNKS = 10
"""Passages searched (BM25, for the question and the answer's value) for other articles
stating the answer, beyond those retrieved for the answer itself."""


def _supporters(
    question: str, kind: str | None, anchors: list[str], best: Candidate, pool: list[Candidate], s: Searcher
) -> list[Candidate]:
    """The sentences stating what ``best`` states: the same value (date, number, name,
    title) and every key term of the question that ``best`` states. An answer stating
    none of the question's key terms claims no corroboration at all."""
    key = _key_values(question, kind, best, anchors)
    keys = key_terms(question)
    subject = covered(best.text, keys)
    if keys and not subject:
        return []
    out = [best]
    seen = {(s.chunks[best.chunk].source, best.start)}
    for cand in pool + _sentences_with(f"{question} {' '.join(sorted(key))}", s):
        where = (s.chunks[cand.chunk].source, cand.start)  # overlapping chunks repeat sentences
        if where in seen or not covered(cand.text, keys) >= subject:
            continue
        seen.add(where)
        same = bool(_key_values(question, kind, cand, anchors) & key) if key else restates(cand.text, best.text)
        if same:
            out.append(cand)
    return out


def _sentences_with(query: str, s: Searcher) -> list[Candidate]:
    """The sentences of the passages that best match ``query`` by BM25 (unscored)."""
    scores = s.bm25.scores(query)
    best = [int(i) for i in np.argsort(-scores)[:SUPPORT_CHUNKS] if scores[i] > 0]
    out = []
    for index in best:
        chunk = s.chunks[index]
        for a, b in split_sentences(chunk.text):
            out.append(Candidate(index, -1, chunk.start + a, chunk.start + b, chunk.text[a:b], {}))
    return out


WITNESS_K = 20
"""For a job title or weekday, passages this deep are searched for sentences that give
the named person's version ("former chief engineer Mr. Rivere" for Rivera)."""
CITES_PER_VERSION = 2
"""Each version of a conflict is quoted from up to this many different articles."""


def _conflicts(
    question: str,
    kind: str | None,
    anchors: list[str],
    ranked: list[Candidate],
    deep: list[Candidate],
    s: Searcher,
    bar: float,
) -> list[tuple[Version, list[Candidate]]]:
    """Versions of the asked date/number/title that relevant sentences of different
    articles disagree on, each with the sentences that give it, best first. A witness is
    about the question's subject: it names the person asked about (in the sentence, or
    for a date or number just before it) and states the same key terms of the question
    as the best witness ("birth parents" is not "the other parent"). A question that
    names no one has only its key terms for a subject: when the best witness states none
    of them ("How much can I spend on a hotel?" against a gift limit and a receipt
    threshold), there is no conflict to show."""
    if kind is None or not ranked:
        return []
    witnesses = [c for c in ranked if c.score >= bar * ranked[0].score]
    if kind in ANCHORED_KINDS:  # a sentence naming the person is a witness even if ranked lower
        witnesses += [
            c
            for c in deep
            if c not in witnesses and c.features["similarity"] >= WITNESS_SIMILARITY and _names_anchor(c.text, anchors)
        ]
    witnesses = [c for c in witnesses if not anchors or _names_anchor(_about(c, kind, s), anchors)]
    # A sentence holding several values of the kind ("13, 154 and 18") is no witness for
    # any one of them; versions must come from different sentences.
    found = [(c, vals) for c in witnesses if len(vals := values(c.text, kind, anchors, question)) == 1]
    if not found:
        return []
    keys = key_terms(question)
    subject = covered(found[0][0].text, keys)
    if keys and not subject and not anchors:
        return []  # no name and none of the question's terms: nothing says the values share a subject
    found = [(c, vals) for c, vals in found if covered(c.text, keys) == subject]
    found_versions = versions(kind, [(s.chunks[c.chunk].source, c.text, vals) for c, vals in found])[:MAX_VERSIONS]
    out: list[tuple[Version, list[Candidate]]] = []
    for version in found_versions:
        cited: list[Candidate] = []
        for c, vals in found:
            sources = {s.chunks[x.chunk].source for x in cited}
            if version.value in vals and s.chunks[c.chunk].source not in sources and len(cited) < CITES_PER_VERSION:
                cited.append(c)
        out.append((version, cited))
    if len({cited[0].text for _, cited in out}) < 2 or len({s.chunks[c.chunk].source for _, cs in out for c in cs}) < 2:
        return []
    return out


def _about(cand: Candidate, kind: str, s: Searcher) -> str:
    """Where a witness must name whom the question is about: the sentence itself for a
    title or weekday (read next to the name), else also the sentence before it."""
    if kind in ANCHORED_KINDS:
        return cand.text
    chunk = s.chunks[cand.chunk]
    before = [a for a, b in split_sentences(chunk.text) if chunk.start + b <= cand.start]
    return chunk.text[before[-1] if before else cand.start - chunk.start : cand.end - chunk.start]


def _names_anchor(text: str, anchors: list[str]) -> bool:
    return any(is_named(w, anchors) for w in name_words(text))


def _title_and_outlet(source: str, s: Searcher) -> str:
    """How an article is named to readers: “its title” (its outlet, its date), the title shortened."""
    doc = s.docs[source]
    title = doc.title if len(doc.title) <= TITLE_CHARS else doc.title[: TITLE_CHARS - 1].rstrip() + "…"
    meta = ", ".join(x for x in (doc.outlet, doc.date) if x)
    return f"“{title}”" + (f" ({meta})" if meta else "")


TITLE_CHARS = 70
"""Longest article title quoted in full in "Reported by …"."""


@budgeted
def ask_extractive(question: str, history: list[str] | None, config: Config) -> Answer:
    """The extractive answer: the best sentences of the top passages, quoted and cited.
    The history is bounded and the whole answer has a time budget (``rag.budget``)."""
    text = clean_question(question, config)
    earlier = clean_history(history, config)
    s = searcher(config)
    kind, anchors = answer_kind(text), _anchors(text, s)
    deep = candidates(text, earlier, config, k=WITNESS_K if kind in ANCHORED_KINDS else None)
    ranked = [c for c in deep if c.rank < config.k]
    sure = confidence(ranked)  # the answerability model runs once per answer
    chosen = select(text, ranked, s, sure)
    if not chosen:
        return Answer(refusal(text, ranked, s), False, [], articles=len(s.docs), confidence=sure)
    conflicts = _conflicts(text, kind, anchors, ranked, deep, s, load_models().plausible_above)
    shown: list[Version] = []
    if conflicts:
        chosen = [c for _, cited in conflicts for c in cited]
        parts, n = ["The articles disagree."], 0
        for version, cited in conflicts:
            numbers = list(range(n + 1, n + len(cited) + 1))
            n += len(cited)
            shown.append(dataclasses.replace(version, cited=numbers))
            quoted = " ".join(f"{c.text} [{i}]" for i, c in zip(numbers, cited, strict=True))
            count = len(version.sources)
            parts.append(f"{version.value} ({count} article{'s' if count != 1 else ''}): {quoted}")
    else:
        parts = [f"{cand.text} [{n}]" for n, cand in enumerate(chosen, start=1)]
    parts += _date_notes(chosen, s)
    supporters = [c for best in chosen for c in _supporters(text, kind, anchors, best, deep, s)]
    supported_by = sorted({s.chunks[c.chunk].source for c in supporters})
    return Answer(
        " ".join(parts),
        True,
        [_citation(cand, s) for cand in chosen],
        supported_by=supported_by,
        conflicts=shown,
        independent=independent([(s.chunks[c.chunk].source, c.text) for c in supporters]),
        articles=len(s.docs),
        confidence=sure,
        supported_titles=[_title_and_outlet(source, s) for source in supported_by],
    )


def _date_notes(chosen: list[Candidate], s: Searcher) -> list[str]:
    """Place relative dates: ("last July" [1] per an article dated 2024-05-17)."""
    notes = []
    for n, cand in enumerate(chosen, start=1):
        relative = relative_dates(cand.text)
        date = s.docs[s.chunks[cand.chunk].source].date
        if relative:
            notes.append(f"(“{relative[0]}” [{n}]: {placed_by(date)}.)")
    return notes


def _citation(cand: Candidate, s: Searcher) -> Citation:
    """The quoted sentence as a span of its article, inside the passage it was read from."""
    return Citation.of(s.passage(cand.chunk, cand.retrieval), cand.start, cand.end)
