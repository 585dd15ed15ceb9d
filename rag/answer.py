"""The default answerer: extractive, no LLM. It quotes the sentences of the retrieved
passages that best answer the question, each followed by its citation marker, and
refuses when the evidence is too weak."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .chunking import split_sentences
from .config import Config
from .ingest import sentence_id
from .lexical import STOP_WORDS, terms, words
from .retrieval import Hit, Passage, Searcher, clean_question, rank, searcher
from .store import StoredChunk

REFUSAL = "The articles don't answer this question."

# Calibrated on eval/qa.jsonl (answerable vs unanswerable questions); see eval/README.md.
MIN_SIMILARITY = 0.3
"""Best question-sentence cosine similarity below which the articles are taken not to
answer. Measured on eval/qa.jsonl: off-topic questions peak at 0.21, answerable ones
start at 0.28 (a paraphrase sharing no word with its answer)."""
FRAGMENT_PENALTY = 0.2
"""Headlines and captions ("Ilya Sutskever OpenAI") rank below full sentences."""
SECOND_SENTENCE = 0.8
"""A further sentence is quoted when it scores at least this share of the best one."""
MAX_SENTENCES = 3
LEXICAL = 0.5
DENSE = 1.0

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DATE = re.compile(rf"\b(?:{_MONTH}|{_WEEKDAY}|\d{{4}}|yesterday|today|last (?:week|month|year))\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twenty|hundred|dozen|half|decade)\b", re.I
)
_WANTS_NAME = re.compile(r"\s*(who|whose|which|what (company|outlet|publication|newspaper|studio))\b", re.I)
_QUOTE = re.compile(r"[\"“”]")
_FOLLOW_UP = re.compile(r"\b(he|she|him|his|her|hers|it|its|they|them|their|that|this|those|these|there|then)\b", re.I)


@dataclass(frozen=True)
class Answer:
    """An answer and the verbatim spans that support it. When ``answerable`` is false,
    ``text`` says the articles do not answer and ``citations`` is empty."""

    text: str
    answerable: bool
    citations: list[Passage] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "answerable": self.answerable, "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True)
class _Sentence:
    hit: Hit
    start: int
    end: int
    text: str
    score: float
    coverage: float
    similarity: float


def _expected_type(question: str) -> re.Pattern[str] | None:
    q = question.lower()
    if re.search(r"\b(when|what (date|day|year|month|time)|which (date|day|year|month))\b|\bin what (year|month)", q):
        return _DATE
    if re.search(r"\bhow (many|much|long|soon|old)\b|\bwhat (share|percentage|proportion|number)\b", q):
        return _NUMBER
    if re.search(r"\b(say|said|write|wrote|describe|post|posted|quote|words)\b", q):
        return _QUOTE
    return None


def _names(text: str) -> set[str]:
    return {w.lower() for w in re.findall(r"\b[A-Z][a-zA-Z'’\-]+", text)} - STOP_WORDS


def _is_list_question(question: str) -> bool:
    return bool(
        re.search(
            r"\b(name the|list|which (two|three|four|five)|what (two|three|four|five)|who were)\b", question, re.I
        )
    )


def is_context_dependent(question: str) -> bool:
    """Does the question lean on earlier turns ("When was it formed?")?"""
    return bool(_FOLLOW_UP.search(question)) or len(terms(question)) <= 1


def _retrieval_query(question: str, history: list[str]) -> str:
    if history and is_context_dependent(question):
        return f"{history[-1]} {question}"
    return question


def _sentence_similarities(question: str, spans: list[tuple[StoredChunk, int, int]], s: Searcher) -> list[float]:
    """Cosine similarity of the question with each sentence (vectors stored at ingest)."""
    ids = [sentence_id(c.source, c.sha256, c.start + a, c.start + b) for c, a, b in spans]
    stored = s.store.sentence_vectors(ids)
    missing = [i for i, sid in enumerate(ids) if sid not in stored]
    if missing:  # e.g. an index written by an older version: embed those now
        fresh = s.embedder.embed([spans[i][0].text[spans[i][1] : spans[i][2]] for i in missing])
        stored.update({ids[i]: fresh[n] for n, i in enumerate(missing)})
    q = s.embedder.embed([question])[0]
    return [float(stored[sid] @ q) for sid in ids]


def _score_sentences(question: str, context: str, hits: list[Hit], s: Searcher) -> list[_Sentence]:
    q_terms = set(terms(question))
    c_terms = set(terms(context)) - q_terms
    weight = {t: s.bm25.idf(t) for t in q_terms} | {t: 0.5 * s.bm25.idf(t) for t in c_terms}
    total = sum(weight.values()) or 1.0
    expected = _expected_type(question)
    asked_names = _names(question) | _names(context)
    wants_name = bool(
        re.match(r"\s*(who|whose|which|what (company|outlet|publication|newspaper|studio))\b", question, re.I)
    )
    seen: set[tuple[str, int]] = set()
    spans: list[tuple[int, StoredChunk, int, int]] = []
    for rank_pos, hit in enumerate(hits):
        chunk = s.chunks[hit.index]
        for a, b in split_sentences(chunk.text):
            if (chunk.source, chunk.start + a) not in seen:
                seen.add((chunk.source, chunk.start + a))
                spans.append((rank_pos, chunk, a, b))
    similarities = _sentence_similarities(f"{context} {question}".strip(), [(c, a, b) for _, c, a, b in spans], s)
    out: list[_Sentence] = []
    for (rank_pos, chunk, a, b), similarity in zip(spans, similarities, strict=True):
        text = chunk.text[a:b]
        present = set(terms(text))
        coverage = sum(w for t, w in weight.items() if t in present) / total
        typed = 0.0
        if expected is not None and expected.search(text):
            typed = 0.25
        if wants_name and _names(text) - asked_names:
            typed = 0.2
        score = LEXICAL * coverage + DENSE * similarity + typed + 0.15 / (1 + rank_pos)
        if not text.rstrip("\"'”’)").endswith((".", "!", "?")):
            score -= FRAGMENT_PENALTY
        out.append(_Sentence(hits[rank_pos], chunk.start + a, chunk.start + b, text, score, coverage, similarity))
    return sorted(out, key=lambda x: -x.score)


def _pick(ranked: list[_Sentence], question: str) -> list[_Sentence]:
    best = ranked[0]
    limit = MAX_SENTENCES if _is_list_question(question) else 2
    floor = best.score * (0.6 if _is_list_question(question) else SECOND_SENTENCE)
    chosen = [best]
    for cand in ranked[1:]:
        if len(chosen) >= limit or cand.score < floor:
            break
        if any(set(words(cand.text)) <= set(words(c.text)) for c in chosen):
            continue  # adds nothing new
        chosen.append(cand)
    return chosen


def ask(question: str, history: list[str] | None = None, config: Config | None = None) -> Answer:
    """Answer ``question`` from the articles, quoting and citing the supporting sentences.
    ``history`` holds the earlier questions of the conversation, oldest first."""
    config = config or Config.from_env()
    text = clean_question(question, config)
    earlier = [h for h in (history or []) if isinstance(h, str) and h.strip()]
    context = earlier[-1] if earlier and is_context_dependent(text) else ""
    s = searcher(config)
    hits = rank(_retrieval_query(text, earlier), config, depth=max(4 * config.k, 40))[: config.k]
    if not hits:
        return Answer(REFUSAL, False, [])
    ranked = _score_sentences(text, context, hits, s)
    if not ranked or max(x.similarity for x in ranked) < MIN_SIMILARITY:
        return Answer(REFUSAL, False, [])
    chosen = _pick(ranked, text)
    citations: list[Passage] = []
    parts: list[str] = []
    for n, sent in enumerate(chosen, start=1):
        base = s.passage(sent.hit.index, sent.score)
        citations.append(
            Passage(
                base.source,
                base.title,
                sent.start,
                sent.end,
                sent.text,
                round(sent.score, 4),
                base.outlet,
                base.date,
                base.chunk_id,
            )
        )
        parts.append(f"{sent.text} [{n}]")
    return Answer(" ".join(parts), True, citations)
