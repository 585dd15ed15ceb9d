"""Reading a question: what kind of answer it expects, whether it asks for a list, and
whether it leans on earlier turns of the conversation."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .corpus import MONTHS, WEEKDAYS
from .demonyms import DEMONYMS
from .lexical import STOP_WORDS, terms

_MONTH = "(?:" + "|".join(MONTHS) + ")"
_MONTH_ABBREVIATION = r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?"
_WEEKDAY = "(?:" + "|".join(WEEKDAYS) + ")"
_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|dozen|half"
_ORDINAL_WORDS = (
    r"first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|"
    r"fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty-first"
)
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_DECADE_WORDS = "(?:" + "|".join(t[:-1] + "ies" for t in _TENS) + ")"  # "twenties" ... "nineties"
_QUANTITY = rf"(?:\d+|an?|a few|several|{_NUMBER_WORDS})"
_UNITS = r"(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)"
_UNIT = rf"(?:business |working |calendar )?{_UNITS}"
_DURATION = (  # a span in words: "lasts a year", "for months", "took many weeks"; not "those days"
    r"\b(?:an?|for|over|lasted|lasting|lasts?|took|takes?) (?:a few |few |many |several |some )?"
    rf"(?:{_UNITS}|centur(?:y|ies))\b"
)
_YEAR_DIGITS = r"(?:1\d|2[01])\d{2}"  # 1000-2199
_COUNT_ONE = (  # "one" as a count ("only one bridge survived"), not as a pronoun ("one of the largest",
    # "no one", "the old one", "one can still find")
    r"(?<!\bno )(?<!\bthe )(?<!\bthis )(?<!\bthat )(?<!\beach )(?<!\bevery )(?<!\bany )(?<!\bwhich )(?<!\bold )"
    r"(?<!\bnew )(?<!\bsame )(?<!\bother )(?<!\banother )\bone\b(?!\s+of\b)"
    r"(?!\s+(?:can|could|may|might|must|should|would|cannot)\b)"
)
_DEMONYM = "(?:" + "|".join(sorted((re.escape(d) for d in DEMONYMS), key=len, reverse=True)) + ")"


@dataclass(frozen=True)
class AnswerType:
    name: str
    pattern: re.Pattern[str]
    strict: bool
    """When no retrieved sentence has this kind of answer, the articles don't answer."""

    def values(self, text: str) -> set[str]:
        """The answers of this kind in ``text``, each as the whole words it lies in, lower-cased
        and without surrounding punctuation: "1,300,000" (not its digits), "(1939)" as "1939",
        "a year". A question's own values are no answer to it: "How many lived there in 1939?"
        is not answered by a sentence whose only number is 1939."""
        found = set()
        for m in self.pattern.finditer(text):
            a, b = m.start(), m.end()
            while a > 0 and not text[a - 1].isspace():
                a -= 1
            while b < len(text) and not text[b].isspace():
                b += 1
            found.add(text[a:b].strip(_EDGE_PUNCTUATION).lower())
        return found

    def held_by(self, text: str, asked: set[str]) -> bool:
        """Does ``text`` hold an answer of this kind other than the question's own values
        ``asked`` (``values`` of the question)? Most questions state none, and then any match
        will do: the search stops at the first instead of reading them all."""
        if not asked:
            return self.pattern.search(text) is not None
        return bool(self.values(text) - asked)


_EDGE_PUNCTUATION = ".,;:!?()[]\"'“”‘’"


_SCALE = r"(?:[- ](?:hundred|thousand|million|billion))?"  # "a 1.6-million-year-old fossil"
_AGE_NUMBER = rf"(?:\d[\d,.]*{_SCALE}|(?i:{_NUMBER_WORDS}|(?:{'|'.join(_TENS)})(?:-\w+)?))"
_AGE = "|".join(
    (
        rf"\b{_AGE_NUMBER}[- ](?:years?|months?|weeks?)[- ]old\b",  # "a 37-year-old", "seven months old"
        rf"\b{_AGE_NUMBER} years of age\b",
        rf"\baged? (?:of )?{_AGE_NUMBER}\b",  # "aged 37", "age 37", "at the age of seven"
        rf"(?i:\bin (?:his|her|their) (?:early |mid-|late )?{_DECADE_WORDS})\b",  # "in her sixties"
        r"[A-Z][\w'’\-]+, \d{1,3},",  # "Jane Doe, 37, said"
        r"\bat \d{1,3}(?=\s*[,;!?)]|\.(?!\d)|\s+(?:in|on|after|when|while|and|from|he|she|they)\b)",  # "retired at 65"
    )
)
_NATIONALITY = (
    rf"\b{_DEMONYM}(?![\w\-])|(?i:\b(?:born in|born and raised in|citizens? of|citizenship|national of|native of|"
    r"nationality|hails? from|passport)\b)"
)
_DATE = "|".join(
    (
        rf"\b{_MONTH}\b|\b{_MONTH_ABBREVIATION} \d{{1,2}}\b|\b{_WEEKDAY}s?\b",  # "17 May 2024", "May 17", "Friday"
        rf"\b{_YEAR_DIGITS}s?\b",  # a year, "the 1990s"; "2024-05-17"
        r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b",  # "17/05/2024", "17.05.24"
        r"\b\d{1,2}:\d{2}\b|\b\d{1,2}(?::\d{2})?\s?(?i:[ap]\.?m\b\.?)",  # "7:30", "9 a.m.", "9pm"
        r"(?i:\b(?:noon|midday|midnight|o'clock|yesterday|today|tonight|tomorrow|morning|afternoon|evening|night|"
        r"dawn|dusk|overnight|"
        r"(?:last|this|next) (?:week|weekend|month|year)|(?:\w+ )?(?:days?|weeks?|months?|years?) (?:ago|later)"
        r")\b)",
        # "the 14th century", "the first millennium", "the mid-sixties"
        rf"(?i:\b(?:\d{{1,2}}(?:st|nd|rd|th)|{_ORDINAL_WORDS})[- ]centur(?:y|ies)\b|\bmillenni(?:um|a)\b)",
        rf"(?i:\b(?:the|mid-)\s?(?:early |late )?{_DECADE_WORDS}\b)",
        # a deadline or an offset: "within one hour", "after 30 days", "two weeks in advance"
        rf"(?i:\bwithin (?:the )?(?:first |next )?(?:{_QUANTITY} )?{_UNIT}\b|\b(?:after|in) {_QUANTITY} {_UNIT}\b|"
        rf"\b{_QUANTITY} {_UNIT} "
        r"(?:in advance|beforehand|before|after|prior)\b|\bimmediately\b|\bno later than\b)",
        # an era or event: "during the Second World War", "during the mid-Eocene"
        r"\b[Dd]uring (?:the )?(?:(?:early|late|mid)[- ])?[A-Z]\w+",
        # how often: "every year", "every two years", "twice a month", "annually"
        rf"(?i:\b(?:every|each|once a|twice a) (?:other |{_QUANTITY} )?(?:day|week|month|quarter|year)s?\b|"
        r"\b(?:daily|weekly|monthly|quarterly|annually|yearly)\b)",
    )
)
_ASKS_WHEN = (
    # "when" asking for a time, not "when" opening a clause ("What was he charged with when
    # he was arrested?", "When the law is the target, what is it called?"); "When did Doe,
    # who led the team, resign?" asks.
    r"^\W*(?:(?:and|but|so|then|since|until|till)\s+)?when\b(?:\s+(?:did|do|does|was|were|is|are|will|would|could|"
    r"can|should|must|has|have|had|might|may)\b|(?![^?]*,\s*(?:what|which|who|whom|whose|how|where|why)\b))"
    r"|\b(?:and|or|since|until|till|know|tell (?:me|us)|remember|find out) when\b|\bwhen\s*\?\s*$"
)
_TYPES = [
    # (name, question pattern, answer pattern, strict); an answer pattern is case-sensitive
    # unless it says otherwise with (?i:...), so "may" and "Mark" are no month or date.
    ("age", r"\bhow old\b|\bwhat age\b|\bage of\b", _AGE, True),
    (
        "money",
        r"\bhow much\b.*\b(pay|paid|cost|earn|raise|spend|spent|worth|price|salary|fund)",
        r"[$€£¥]\s?\d|(?i:\b\d[\d,.]*\s?(dollars|euros|pounds|million|billion|[mb]n)\b)",
        True,
    ),
    (
        "nationality",
        r"\bnationality\b|\bcitizen(ship)?\b|\bwhere (is|was|were) \w+( \w+)? from\b|\bwhat country (is|was|were) "
        r"\w+( \w+)? from\b|\bwhere (is|was|were) \w+( \w+)? born\b",
        _NATIONALITY,
        True,
    ),
    (
        "date",
        _ASKS_WHEN + r"|\b(what (date|day|year|month|time)|which (date|day|year|month)|in what (year|month)|"
        r"at what time)\b",
        _DATE,
        True,
    ),
    (
        "number",
        r"\bhow (many|much|long|soon)\b|\bwhat (share|percentage|proportion|number|fraction)\b",
        rf"\d|(?i:\b({_NUMBER_WORDS.removeprefix('one|')}|twice|thrice|decades?|dozens?|hundreds?|thousands?|millions?|"
        rf"several|few|numerous)\b|{_COUNT_ONE}|{_DURATION})",
        True,
    ),
    (
        "quote",
        r"\b(say|said|write|wrote|describe|characteri[sz]e|call|post(ed)?|quote|words|tweet(ed)?)\b",
        r"[\"“”]",
        False,
    ),
]
_ASKS_WHEN_RE = re.compile(_ASKS_WHEN, re.I)
ANSWER_TYPES = [(name, re.compile(q, re.I), AnswerType(name, re.compile(a), strict)) for name, q, a, strict in _TYPES]
_WANTS_NAME = re.compile(
    r"^\s*(who|whom|whose|which (company|outlet|publication|newspaper|studio|firm|executive|leader|researcher|city|"
    r"country)|where)\b",
    re.I,
)
_LIST = re.compile(r"\b(name the|list|which (two|three|four|five)|what (two|three|four|five)|who were)\b", re.I)
_FOLLOW_UP = re.compile(r"\b(he|she|him|his|her|hers|it|its|they|them|their|that|this|those|these|there|then)\b", re.I)
_WANTS_PERSON = re.compile(
    r"^\s*(who|whom|whose|which (executive|leader|researcher|co-?founder|person|employee))\b", re.I
)
_PERSONAL = re.compile(r"\b(he|she|him|his|her|hers)\b", re.I)
_DEFINITION = re.compile(r"^\s*(?i:who|what)\s+(?i:is|was|are|were)\s+[A-Z][\w'’\-]*(\s+[A-Z][\w'’\-]*)*\s*\??\s*$")
CAPITALISED = re.compile(r"\b[A-Z][\w'’\-]+")
"""A capitalised word (a candidate name), possessive included."""
_POSSESSIVE = re.compile(r"['’]s?$")


def expected_type(question: str) -> AnswerType | None:
    """The kind of answer a question asks for (a date for "when", an age for "how old")."""
    for _, asks, answer_type in ANSWER_TYPES:
        if asks.search(question):
            return answer_type
    return None


_YEAR = re.compile(rf"\b{_YEAR_DIGITS}\b(?![s'’])")
"""A year (1000-2199) as a word of its own; a decade ("the 1970s") is not one."""


def asked_years(question: str) -> list[str]:
    """The years a question names ("What share of the city was Jewish in 1897?"), each once."""
    return list(dict.fromkeys(_YEAR.findall(question)))


def names_year(text: str, year: str) -> bool:
    """Does ``text`` name ``year`` as a number of its own ("1973–1974" names 1974)?"""
    return re.search(rf"(?<!\d){year}(?!\d)", text) is not None


def asks_when(question: str) -> bool:
    """Does the question ask when something happened ("When did she resign?", "... and
    when?"), rather than use "when" to open a clause ("What did he say when he left?")?"""
    return bool(_ASKS_WHEN_RE.search(question))


def wants_name(question: str) -> bool:
    return bool(_WANTS_NAME.match(question))


def names(text: str) -> set[str]:
    """Lower-cased capitalised words (candidate names) of ``text``."""
    return {w.lower().rstrip("’'s") for w in CAPITALISED.findall(text)} - STOP_WORDS


def is_list_question(question: str) -> bool:
    return bool(_LIST.search(question))


def is_context_dependent(question: str) -> bool:
    """Does the question lean on earlier turns ("When was it formed?")?"""
    return bool(_FOLLOW_UP.search(question)) or len(terms(question)) <= 1


def answer_is_subject(previous: str, question: str) -> bool:
    """Does ``question`` refer to what answered ``previous`` rather than to what it asked about?

    "his" after "Why did Tom Baker quit?" is Baker; "him" after "Who replaced Baker?" is
    the answer; "it" after "What car did Acme show?" is the car named in the answer.
    "Who is Jane Doe?" is about Doe, whatever its answer names."""
    if _DEFINITION.match(previous):
        return False
    if _PERSONAL.search(question):
        return bool(_WANTS_PERSON.match(previous))
    return True


def name_words(text: str) -> list[str]:
    """The capitalised words of ``text`` that are not stop words, as written, in order."""
    seen: dict[str, str] = {}
    for w in CAPITALISED.findall(text):
        w = _POSSESSIVE.sub("", w)
        if w.lower() not in STOP_WORDS:
            seen.setdefault(w.lower(), w)
    return list(seen.values())
