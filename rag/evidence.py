"""Reading across sources: which articles back an answer, and where they disagree.

An answer is *supported* by every retrieved sentence that states the same fact: it is
about the question (close in meaning, sharing its terms) and holds the same answer value
(the same date, number, name or job title). Copies of one quote or wire story reprinted
in several articles count once as evidence, though every copy stays visible. When
equally relevant sentences hold *different* values for a date, number or title, the
answer shows each version with its sources instead of silently picking one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from typing import Any

from .corpus import MONTHS, WEEKDAYS
from .lexical import phonetic, terms, words
from .question import CAPITALISED

_MONTH_DAY = re.compile(rf"\b({'|'.join(MONTHS)})\s+(\d{{1,2}})\b")
_DAYS = "|".join(WEEKDAYS)
_WEEKDAY = re.compile(rf"\b({_DAYS})\b")
_NUMBER = re.compile(r"\b\d[\d,.]*%?")
_TITLES = re.compile(
    r"\b(chief executive officer|chief executive|CEO|president|chief technology officer|CTO|chief scientist|"
    r"head scientist|research director|chief safety officer|head of alignment|co-?leader|co-?lead|"
    r"senior researcher)\b",
    re.I,
)
_SAME_TITLE = {
    "chief executive officer": "CEO",
    "chief executive": "CEO",
    "chief technology officer": "CTO",
    "head scientist": "chief scientist",
    "co-lead": "co-leader",
    "colead": "co-leader",
    "coleader": "co-leader",
    "cofounder": "co-founder",
}
_ASKS_TITLE = re.compile(r"\b(title|position|job|role)\b|\b(what|which) post\b|\bpost did \w+ hold\b", re.I)
DUPLICATE_OVERLAP = 0.6
"""Share of word 4-grams two sentences must share to count as copies of one original."""
RESTATE_OVERLAP = 0.5
"""Share of content terms (Jaccard) two sentences must share to state the same thing."""


@dataclass(frozen=True)
class Version:
    """One of several disagreeing answers, with the articles that give it."""

    value: str
    text: str
    sources: list[str]
    cited: list[int] = field(default_factory=list)
    """Numbers of the answer's citations that quote this version (1-based)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_RELATIVE = re.compile(
    rf"\b((last|this|next|earlier this|later this) (week|month|year|weekend|{'|'.join(MONTHS)}|{_DAYS})|"
    rf"yesterday|today|(on )?({_DAYS})|(two|three|\d+) (days|weeks|months) ago)\b",
    re.I,
)


def placed_by(date: str | None) -> str:
    """How a relative date is placed: by the article's date, or the lack of one."""
    return f"per an article dated {date}" if date else "the article gives no date"


def relative_dates(text: str) -> list[str]:
    """Relative time expressions in a sentence ("last July", "on Tuesday"), in order."""
    return [m.group(0) for m in _RELATIVE.finditer(text)]


ANCHORED_KINDS = frozenset({"title", "weekday"})
"""Kinds of value read next to the person's name, so any sentence naming them can give one."""


def answer_kind(question: str) -> str | None:
    """The kind of value a conflict can be about: "date", "weekday", "title", "number"."""
    q = question.lower()
    if re.search(r"\b(day of the week|which day|what day)\b", q):
        return "weekday"
    if re.search(r"\b(when|what date|which date|on what date)\b", q):
        return "date"
    if _ASKS_TITLE.search(q):
        return "title"
    if re.search(r"\bhow (many|much)\b|\bwhat (share|percentage|number)\b", q):
        return "number"
    return None


def values(text: str, kind: str, near: list[str] | None = None) -> set[str]:
    """The answer values of ``kind`` in a sentence ("May 17", "Tuesday", "president").
    For titles, only the one nearest to a name in ``near`` counts (whose title it is)."""
    if kind == "date":
        return {f"{m} {int(d)}" for m, d in _MONTH_DAY.findall(text)}
    if kind == "weekday":
        return set(_WEEKDAY.findall(text))
    if kind == "number":
        return {n.rstrip(".,") for n in _NUMBER.findall(text)}
    if kind == "title":
        found = [
            (m.start(), _SAME_TITLE.get(m.group(0).lower(), m.group(0)))
            for m in _TITLES.finditer(text)
            if not _names_someone_else(text[m.end() :], near or [])
        ]
        anchors = [m for m in CAPITALISED.finditer(text) if is_named(m.group(0), near or [])]
        # "Pachocki was appointed as chief scientist upon Sutskever's resignation": a
        # possessive name is a title holder only just before the title ("Leike's role as ...")
        nearby = [
            (abs(p - m.start()), t)
            for p, t in found
            for m in anchors
            if not m.group(0).endswith(("'s", "’s")) or 0 < p - m.end() <= 30
        ]
        if not nearby:
            return set()
        distance, title = min(nearby)
        normal = title if title.isupper() else title.lower()
        return {normal} if distance <= 60 else set()
    return set()


_HONORIFIC = re.compile(r"\s*\b(Mr|Mrs|Ms|Dr)\.")
_FOLLOWING_NAME = re.compile(r"\s+((?:[A-Z][\w'’\-]*\s*){1,3})")
NAME_LIKENESS = 0.75
"""How alike two spellings must sound to be one name ("Satskever" for "Sutskever")."""


def is_named(word: str, names: list[str]) -> bool:
    """Is ``word`` one of ``names``, as spelled or as a sound-alike misspelling of five
    letters or more ("Satskever", "Reike"; not "Like" for "Leike")?"""
    w = re.sub(r"['’]s?$", "", word.lower())
    for name in names:
        n = name.lower()
        if w == n:
            return True
        if len(w) >= 5 and SequenceMatcher(None, phonetic(w), phonetic(n)).ratio() >= NAME_LIKENESS:
            return True
    return False


def _names_someone_else(after: str, near: list[str]) -> bool:
    """Is a title directly followed by another person's name ("senior researcher Jan
    Leike" when the question is about Sutskever)? Then the title is that person's.
    An honorific is skipped ("chief scientist Mr. Satskever")."""
    honorific = _HONORIFIC.match(after)
    m = _FOLLOWING_NAME.match(after[honorific.end() :] if honorific else after)
    if not m:
        return False
    return not any(is_named(w, near) for w in m.group(1).split())


def _grams(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + 4]) for i in range(max(1, len(w) - 3))}


def same_original(a: str, b: str) -> bool:
    """Are two sentences copies of one original (the same quote, a republished story)?"""
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / max(1, min(len(ga), len(gb))) >= DUPLICATE_OVERLAP


def restates(a: str, b: str) -> bool:
    """Does sentence ``a`` state what ``b`` states: a copy, or mostly the same content words?"""
    if same_original(a, b):
        return True
    ta, tb = set(terms(a)), set(terms(b))
    return len(ta & tb) / max(1, len(ta | tb)) >= RESTATE_OVERLAP


def independent(texts_by_source: list[tuple[str, str]]) -> int:
    """How many independent sources among (source, sentence) pairs: two articles whose
    sentences are copies of one original (the same quote reprinted) count once."""
    group = {source: source for source, _ in texts_by_source}

    def root(x: str) -> str:
        while group[x] != x:
            x = group[x]
        return x

    for n, (a, ta) in enumerate(texts_by_source):
        for b, tb in texts_by_source[n + 1 :]:
            if a != b and same_original(ta, tb):
                group[root(a)] = root(b)
    return len({root(x) for x in group})


def versions(kind: str, found: list[tuple[str, str, set[str]]]) -> list[Version]:
    """Group (source, sentence, values) by value; more than one group is a conflict."""
    by_value: dict[str, tuple[str, list[str]]] = {}
    for source, text, vals in found:
        for v in sorted(vals):
            _, sources = by_value.setdefault(v, (text, []))
            if source not in sources:
                sources.append(source)
    if len(by_value) < 2:
        return []
    return [Version(v, text, sorted(sources)) for v, (text, sources) in by_value.items()]
