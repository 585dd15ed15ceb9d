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
from .lexical import STOP_WORDS, phonetic, terms, words
from .question import CAPITALISED, asks_when, name_words

_MONTH = "|".join(MONTHS)
_ORDINAL = r"(?:st|nd|rd|th)?"
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.?\s+(\d{{1,2}}){_ORDINAL}\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({_MONTH})\b")
_ISO_DATE = re.compile(r"\b(?:1\d|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b")
_DAYS = "|".join(WEEKDAYS)
_WEEKDAY = re.compile(rf"\b({_DAYS})\b")
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,.]*\d%?|(?<![\w.,])\d%?")
_UNIT = re.compile(r"\s*(%|per ?cent\b)|[\s-]+([A-Za-z][a-z]*)['’]?")
_RATE = re.compile(
    r"^(?:\s+[a-z]+){0,3}?\s+(?:per|a|an|each|every)\s+(day|week|month|year|annum|hour|quarter)\b"
    r"|^\s*/\s*(day|week|month|year|hour)\b|^(?:\s+[a-z]+){0,3}?\s+(daily|weekly|monthly|quarterly|annually|yearly)\b"
)
_RATE_WORDS = {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter", "annually": "year"}
_RATE_WORDS |= {"yearly": "year", "annum": "year"}
_ASKED_UNIT = re.compile(r"\bhow many\s+([a-z]+)", re.I)
YEARS = range(1000, 2101)
"""A bare four-digit number in this range is read as a year, not a count."""

# Job titles, by pattern rather than a list: a role noun, with the rank words and the one
# field word before it ("chief safety officer", "senior research scientist", "vice president").
_OFFICE = (
    r"president|chair(?:man|woman|person)?|director|minister|governor|secretary|treasurer|mayor|editor|"
    r"chancellor|provost|dean|ambassador|commissioner|spokes(?:man|woman|person)|head of (?:the )?[a-z]+|"
    r"co-?lead(?:er)?"
)
"""Role nouns that are a title on their own ("president")."""
_WORKER = (
    r"officer|scientist|researcher|engineer|manager|executive|leader|lead|analyst|architect|counsel|partner|"
    r"designer|developer|economist|strategist"
)
"""Role nouns that are a title only with a rank or field word ("senior researcher", not "a researcher")."""
_ROLE = re.compile(rf"\b(?:(?i:{_OFFICE})|(?i:{_WORKER})|C[A-Z]{{1,3}}O)\b(?!-)")
_NO_FIELD = re.compile(r"(?i:president|chair(?:man|woman|person)?)|C[A-Z]{1,3}O")
"""Role nouns no field word goes with: "company president" is the president, "fire CEO" the CEO."""
_RANKS = frozenset(
    "chief head senior lead principal staff deputy vice executive general managing associate assistant co".split()
)
_NOT_FIELDS = frozenset(
    """new old top key leading veteran young famous prominent notable renowned star current previous future
    first last sole lone longtime then now also who whose which that its his her their our one two""".split()
)
_ADJECTIVE = re.compile(r"(ly|ent|ant|ous|ful|ive|ible|able|ic|al|less|ish|ed)$")
_C_SUITE = {"executive": "CEO", "technology": "CTO", "financial": "CFO", "finance": "CFO", "operating": "COO"}
_C_SUITE |= {"information": "CIO", "marketing": "CMO"}
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
    if asks_when(question) or re.search(r"\b(what date|which date)\b", q):
        return "date"
    if _ASKS_TITLE.search(q):
        return "title"
    if re.search(r"\bhow (many|much)\b|\bwhat (share|percentage|number)\b", q):
        return "number"
    return None


def values(text: str, kind: str, near: list[str] | None = None, question: str = "") -> set[str]:
    """The answer values of ``kind`` in a sentence ("May 17", "Tuesday", "president",
    "25 days per year"). For titles, only the one nearest to a name in ``near`` counts
    (whose title it is). For numbers, ``question`` gives the unit asked for ("how many
    weeks"): other quantities, and years read as counts, are left out."""
    if kind == "date":
        return dates(text)
    if kind == "weekday":
        return set(_WEEKDAY.findall(text))
    if kind == "number":
        return quantities(text, question)
    if kind == "title":
        return _title_of(text, near or [])
    return set()


def dates(text: str) -> set[str]:
    """Calendar dates in one form, "May 17": from "May 17", "17 May", "May 17, 2024", "2024-05-17"."""
    found = {(m, int(d)) for m, d in _MONTH_DAY.findall(text)}
    found |= {(m, int(d)) for d, m in _DAY_MONTH.findall(text)}
    found |= {(MONTHS[int(m) - 1], int(d)) for m, d in _ISO_DATE.findall(text)}
    return {f"{m.capitalize()} {d}" for m, d in found if 1 <= d <= 31}


def quantities(text: str, question: str = "") -> set[str]:
    """Numbers with the unit after them and any rate ("25 days", "2.08 days per month",
    "20%"), keeping only those of the unit ``question`` asks about ("how many days")."""
    unit_asked = asked_unit(question)
    out = set()
    for m in _NUMBER.finditer(text):
        number = m.group(0)
        unit, after = _unit(text, m.end())
        if unit_asked is not None and _stem(unit) != unit_asked:
            continue  # another quantity, or a year ("1525") where a count was asked
        if unit_asked is None and unit == "" and number.isdigit() and int(number) in YEARS:
            continue
        rate = _rate(text[after:])
        if unit == "%" or number.endswith("%"):
            out.add(f"{number.rstrip('%')}%" + (f" per {rate}" if rate else ""))
        else:
            out.add(" ".join(x for x in (number, unit, f"per {rate}" if rate else "") if x))
    return out


def asked_unit(question: str) -> str | None:
    """The unit a "how many" question counts, as a term ("weeks" -> "week"), if it names one."""
    asked = _ASKED_UNIT.search(question)
    if not asked or asked.group(1).lower() in STOP_WORDS:
        return None
    return _stem(asked.group(1))


def _unit(text: str, position: int) -> tuple[str, int]:
    """The unit word after a number ("days", "%"), and where it ends; "" when none."""
    m = _UNIT.match(text, position)
    if not m:
        return "", position
    if m.group(1):
        return "%", m.end()
    word = m.group(2).lower()
    return ("", position) if word in STOP_WORDS else (word, m.end())


def _rate(after: str) -> str:
    """The period a quantity is counted over ("per month", "a year", "annually"), or ""."""
    m = _RATE.match(after)
    if not m:
        return ""
    period = next(g for g in m.groups() if g)
    return _RATE_WORDS.get(period, period)


def quantity_of(value: str) -> str:
    """What a number value measures, without the number: "day per month" for "2.08 days per month"."""
    rest = value.split(" ", 1)[1] if " " in value else ("%" if value.endswith("%") else "")
    unit, _, rate = rest.partition(" per ")
    return f"{_stem(unit)} per {rate}" if rate else _stem(unit)


def _stem(word: str) -> str:
    stemmed = terms(word)
    return stemmed[0] if stemmed else word.lower()


def titles(text: str) -> list[tuple[int, int, str]]:
    """Job titles in a sentence as (start, end, title), each in one form ("head scientist"
    and "chief scientist" are one title, "chief executive" is "CEO"); "former" is dropped."""
    out = []
    roles = list(_ROLE.finditer(text))
    for m, following in zip(roles, [*roles[1:], None], strict=False):
        if following is not None and not text[m.end() : following.start()].strip():
            continue  # "Chief Executive Officer": the last role noun holds the whole title
        start, title = _title_words(text, m.start(), m.group(0))
        if title:
            out.append((start, m.end(), same_title(title)))
    return out


def _title_words(text: str, start: int, role: str) -> tuple[int, str]:
    """Extend a role noun back over its rank words and one field word ("chief safety
    officer"); a role noun that needs them ("researcher") and has none is no title. A
    capitalised field word counts only in a capitalised title with a rank ("Chief
    Financial Officer"), so that "Acme Director" does not make "acme director"."""
    parts: list[str] = [role]
    field_at: int | None = None  # where the title starts without its field word
    base = max(0, start - 60)
    for w in reversed(list(re.finditer(r"[A-Za-z][\w\-]*", text[base:start]))):
        if text[base + w.end() : start].strip():
            break  # punctuation between: another phrase
        word = w.group(0)
        if word.lower().rstrip("-") in _RANKS:
            parts.insert(0, word)
        elif len(parts) == 1 and not _NO_FIELD.fullmatch(role) and _is_field(word, role):
            parts.insert(0, word)
            field_at = start
        else:
            break
        start = base + w.start()
    if field_at is not None and len(parts) == 2 and parts[0][0].isupper():
        parts, start = parts[1:], field_at  # "Acme Director": no rank, so "Acme" names the firm
    if len(parts) == 1 and re.fullmatch(_WORKER, role, re.I):
        return start, ""
    return start, " ".join(parts)


def _is_field(word: str, role: str) -> bool:
    """Could ``word`` name the field of a role ("research" director, "Financial"
    Officer), not describe the holder ("prominent" researcher) or name an organisation
    ("Acme" executive)?"""
    lower = word.lower()
    if not (word.islower() or (word.istitle() and role.istitle())):
        return False
    if lower in _C_SUITE:
        return True
    return len(word) >= 3 and lower not in STOP_WORDS and lower not in _NOT_FIELDS and not _ADJECTIVE.search(lower)


def same_title(title: str) -> str:
    """One form per job title: "Chief Executive Officer" -> "CEO", "head scientist" ->
    "chief scientist", "co-lead" -> "co-leader", "chairman" -> "chair"."""
    if re.fullmatch(r"C[A-Z]{1,3}O", title):
        return title
    t = re.sub(r"\s+", " ", title.lower().replace("co-", "co").replace("co ", "co"))
    t = re.sub(r"\bco(?=lead|founder)", "co-", t)
    parts = t.split()
    if parts[0] == "chief" and parts[1:] in (["executive"], [*parts[1:2], "officer"]) and parts[1] in _C_SUITE:
        return _C_SUITE[parts[1]]
    t = re.sub(r"^head (?!of\b)", "chief ", t)
    t = re.sub(r"\bhead of the ", "head of ", t)
    t = re.sub(r"\bchair(man|woman|person)\b", "chair", t)
    t = re.sub(r"\bvice-president\b", "vice president", t)
    return re.sub(r"\blead$", "leader", t)


def normalise_titles(text: str) -> str:
    """``text`` with each job title in its one form, so "head scientist" matches "chief scientist"."""
    out, last = [], 0
    for start, end, title in titles(text):
        out += [text[last:start], title]
        last = end
    return "".join(out) + text[last:]


def _title_of(text: str, near: list[str]) -> set[str]:
    """The title of the person named in ``near`` in a sentence, if one is next to the name."""
    found = [
        (p, t)
        for p, end, t in titles(text)
        if not _names_someone_else(text[end:], near) and not _follows_someone_else(text[:p], near)
    ]
    anchors = [m for m in CAPITALISED.finditer(text) if is_named(m.group(0), near)]
    # "Chen was appointed as chief engineer upon Rivera's resignation": a possessive
    # name is a title holder only just before the title ("Rivera's role as ...")
    nearby = [
        (abs(p - m.start()), t)
        for p, t in found
        for m in anchors
        if not m.group(0).endswith(("'s", "’s")) or 0 < p - m.end() <= 30
    ]
    if not nearby:
        return set()
    distance, title = min(nearby)
    return {title} if distance <= 60 else set()


_FRAME_WORDS = """date day days week weeks month months year years time title position job role post hold held
many much number share percentage proportion name called get gets got give gives given receive receives
become became take took make made""".split()


def key_terms(question: str) -> set[str]:
    """What a question says about its subject, as index terms: not its names (matched as
    names), not the words that frame the kind of answer ("what day", "how many weeks")."""
    text = normalise_titles(question)
    unit = asked_unit(text)
    named = {t for w in name_words(text) for t in terms(w)}
    framing = set(terms(" ".join(_FRAME_WORDS))) | ({unit} if unit else set())
    return set(terms(text)) - named - framing


def covered(text: str, keys: set[str]) -> set[str]:
    """The key terms a sentence states, job titles read in one form."""
    return keys & set(terms(normalise_titles(text)))


_HONORIFIC = re.compile(r"\s*\b(Mr|Mrs|Ms|Dr)\.")
_FOLLOWING_NAME = re.compile(r"\s+((?:[A-Z][\w'’\-]*\s*){1,3})")
NAME_LIKENESS = 0.75
"""How alike two spellings must sound to be one name ("Rivere" for "Rivera")."""


def is_named(word: str, names: list[str]) -> bool:
    """Is ``word`` one of ``names``, as spelled or as a sound-alike misspelling of five
    letters or more ("Rivere", "Kowalsky"; not "Like" for "Lyke")?"""
    w = re.sub(r"['’]s?$", "", word.lower())
    for name in names:
        n = name.lower()
        if w == n:
            return True
        if len(w) >= 5 and SequenceMatcher(None, phonetic(w), phonetic(n)).ratio() >= NAME_LIKENESS:
            return True
    return False


def _names_someone_else(after: str, near: list[str]) -> bool:
    """Is a title directly followed by another person's name ("senior researcher Ana
    Silva" when the question is about Rivera)? Then the title is that person's.
    An honorific is skipped ("chief engineer Mr. Rivere")."""
    honorific = _HONORIFIC.match(after)
    m = _FOLLOWING_NAME.match(after[honorific.end() :] if honorific else after)
    if not m:
        return False
    return not any(is_named(w, near) for w in m.group(1).split())


_APPOSITIVE = re.compile(r"([A-Z][\w'’\-]*)\s*,\s*(?:(?:the|a|an)\s+)?$")


def _follows_someone_else(before: str, near: list[str]) -> bool:
    """Does a title stand in apposition to another person's name ("Dana Chen, CEO of
    ...", when the question is about someone else)? Then the title is that person's."""
    m = _APPOSITIVE.search(before)
    return m is not None and not is_named(m.group(1), near)


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
    """Group (source, sentence, values) by value, best witness first. It is a conflict
    only when two *different* articles give different values of one quantity: two values
    inside one document are two facts, and "25 days per year" is no rival to "2.08 days
    per month" (numbers are compared with those measuring what the first one measures)."""
    by_value: dict[str, tuple[str, list[str]]] = {}
    measure = None
    for source, text, vals in found:
        for v in sorted(vals):
            if kind == "number":
                measure = measure if measure is not None else quantity_of(v)
                if quantity_of(v) != measure:
                    continue
            _, sources = by_value.setdefault(v, (text, []))
            if source not in sources:
                sources.append(source)
    out = [Version(v, text, sorted(sources)) for v, (text, sources) in by_value.items()]
    return out if disagree(out) else []


def disagree(found: list[Version]) -> bool:
    """Do two different articles give two different versions?"""
    return any(a != b for n, x in enumerate(found) for y in found[n + 1 :] for a in x.sources for b in y.sources)
