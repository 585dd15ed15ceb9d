"""Does a sentence a model wrote contradict the article sentence it cites?

Word overlap and embedding similarity cannot tell "Rivera was appointed" from
"Rivera was never appointed" or "Chen was appointed upon Rivera's resignation":
they share the words. ``contradiction(claim, sentence)`` reads both for what such a
rewrite changes, and names the first difference it finds:

- **names**: every name of the claim (a capitalised word; the first word too unless it
  is an ordinary word) is in the sentence, as spelled or as a sound-alike;
- **numbers and dates**: every number (digits or words), time unit ("hours", "weeks"),
  relative date ("last week") and day word ("yesterday") of the claim is in the sentence;
- **negation**: a negated word of the claim is negated in the sentence, and a word the
  sentence negates is not stated plainly by the claim ("not … Johansson", "no longer");
- **antonyms**: the claim does not use a word whose opposite the sentence uses instead
  (a general English list: appoint/fire, join/leave, rise/fall, praise/criticise, …, and
  un-/dis-/non- prefixes);
- **order**: events the claim orders with "before"/"after" (also "prior to", "upon",
  "until", "after which") are in that order in the sentence, in either wording;
- **roles**: who did what to whom. A name the claim makes the subject of a verb (or the
  owner of "X's resignation") is not a different subject of that verb in the sentence,
  and two names on either side of a word do not swap sides (passive voice turns them
  round, and is allowed for). For a who-question, the answer is a subject like any other.

Nothing here is about a particular corpus: the word lists are general English.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from .lexical import STOP_WORDS, phonetic

_TOKEN = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?%?|[^\W\d_](?:[\w'’\-]*\w)?(?:['’])?|[,;:()—–]")
_BOUNDARY = frozenset(",;:()—–")
HONORIFICS = frozenset("mr mrs ms dr prof sir dame".split())
_NEGATIONS = frozenset("not never no none nobody nothing neither nor without cannot nowhere".split())
_BE = frozenset("be is was were are been being get got gets getting".split())
_AUXILIARIES = _BE | frozenset(
    "also just still already then now even only never not has have had will would shall did do does to".split()
)
"""Words between a subject and its verb ("was also appointed", "has been dissolved")."""
CONNECTIVES = frozenset(
    """according additionally also however meanwhile moreover furthermore instead later earlier then today
    yesterday overall finally first second third next still yet thus therefore hence nevertheless nonetheless
    indeed currently recently previously initially eventually ultimately subsequently separately similarly
    likewise specifically notably altogether besides otherwise afterwards""".split()
)
"""Words that open a sentence without being a name ("According to …", "Meanwhile, …")."""

_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen twenty".split()
    )
}
_NUMBER_WORDS |= {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_NUMBER_WORDS |= {"hundred": 100, "thousand": 1000, "million": 10**6, "billion": 10**9, "dozen": 12}
_NUMBER_WORDS.pop("one")  # "one of them", "the one who": too often no number at all
UNITS = frozenset(
    """second minute hour day week weekend fortnight month quarter year decade century morning afternoon evening
    night""".split()
)
_RELATIVE = frozenset("last this next past coming previous".split())
_DAY_WORDS = frozenset("yesterday today tomorrow tonight".split())
_MONTHS_DAYS = frozenset(
    """january february march april may june july august september october november december monday tuesday
    wednesday thursday friday saturday sunday""".split()
)

_DETERMINERS = frozenset("the a an this that these those its his her their our my your".split())
_BEFORE = frozenset("before prior until till ahead preceding".split())
_AFTER = frozenset("after following upon subsequent".split())

_IRREGULAR = """arise arose arisen; bear bore born borne; beat beaten; become became; begin began begun;
bite bit bitten; blow blew blown; break broke broken; bring brought; build built; buy bought; catch caught;
choose chose chosen; come came; deal dealt; dig dug; draw drew drawn; drink drank drunk; drive drove driven;
eat ate eaten; fall fell fallen; feed fed; feel felt; fight fought; find found; flee fled; fly flew flown;
forbid forbade forbidden; forget forgot forgotten; forgive forgave forgiven; freeze froze frozen;
give gave given; go went gone; grow grew grown; hang hung; hear heard; hide hid hidden; hold held;
keep kept; know knew known; lay laid; lead led; leave left; lend lent; lie lain; lose lost; make made;
mean meant; meet met; overtake overtook overtaken; pay paid; ride rode ridden; ring rang rung;
rise rose risen; run ran; say said; see saw seen; seek sought; sell sold; send sent; shake shook shaken;
shoot shot; show shown; shrink shrank shrunk; sing sang sung; sink sank sunk; sit sat; sleep slept;
speak spoke spoken; spend spent; stand stood; steal stole stolen; stick stuck; strike struck;
swear swore sworn; swim swam swum; take took taken; teach taught; tear tore torn; tell told;
think thought; throw threw thrown; understand understood; undertake undertook undertaken; wake woke woken;
wear wore worn; win won; withdraw withdrew withdrawn; write wrote written"""
IRREGULAR = {form: forms.split()[0] for forms in _IRREGULAR.split(";") for form in forms.split()[1:]}
"""Past forms of irregular English verbs, mapped to the verb ("took" -> "take")."""

_OPPOSITES = [
    (
        "appoint appointment nominate install hire promote elect join recruit reinstate restore rehire",
        "fire dismiss dismissal sack oust expel demote resign resignation quit leave depart departure "
        "terminate retire remove removal",
    ),
    ("arrive arrival enter entry", "depart departure exit leave"),
    ("win gain earn keep retain", "lose loss forfeit give sell delete drop surrender abandon"),
    (
        "accept agree approve allow permit endorse confirm admit grant sign",
        "reject refuse decline deny oppose forbid ban prohibit block veto",
    ),
    (
        "increase rise grow expand raise boost strengthen widen extend",
        "decrease fall drop shrink reduce cut lower decline weaken narrow dissolve disband dismantle",
    ),
    (
        "form create establish found build launch",
        "dissolve disband dismantle destroy abolish close shut",
    ),
    ("start begin open launch commence", "end finish stop close halt cease conclude"),
    ("buy acquire purchase", "sell"),
    ("succeed success successful triumph", "fail failure unsuccessful collapse"),
    (
        "praise thank commend applaud appreciate appreciative appreciation gratitude grateful trust",
        "criticise criticize criticism blame condemn denounce distrust mistrust",
    ),
    ("save protect preserve rescue", "destroy ruin harm damage endanger"),
    ("reveal disclose unveil announce publish show", "conceal hide withhold suppress"),
    ("public publicly openly", "private privately secret secretly"),
    ("commit pledge promise allocate add include", "withdraw remove exclude cancel"),
    (
        "love like friend friendship friendly ally alliance",
        "hate dislike enemy rival rivalry enmity hostile hostility feud",
    ),
    (
        "happy happiness glad joy joyful delighted pleased",
        "sad sadness unhappy sorry upset disappointed grief",
    ),
    ("more greater higher larger bigger most", "less fewer lower smaller least"),
    ("long longer lengthy large big great", "short shorter brief concise small little"),
    ("stronger strong strength powerful", "weaker weak weakness powerless"),
    ("early earlier", "late later"),
    ("first", "last final"),
    ("prompt promptly quick quickly fast swift swiftly rapid rapidly soon", "slow slowly delayed"),
    ("true correct accurate candid honest", "false wrong incorrect inaccurate dishonest misleading"),
    ("include inclusion", "exclude exclusion"),
    ("attack", "defend"),
    ("always often frequently regularly usually", "rarely seldom"),
]
_PREFIXES = ("un", "dis", "non", "mis")


@lru_cache(maxsize=65536)
def lemma(word: str) -> str:
    """The stem of a lower-cased word, irregular past forms first turned into the verb."""
    from .lexical import _stemmer

    w = IRREGULAR.get(word, word)
    return str(_stemmer().stemWord(w))


@lru_cache(maxsize=1)
def _antonyms() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for left, right in _OPPOSITES:
        a, b = {lemma(w) for w in left.split()}, {lemma(w) for w in right.split()}
        for w in a:
            out.setdefault(w, set()).update(b - a)
        for w in b:
            out.setdefault(w, set()).update(a - b)
    return {w: frozenset(v) for w, v in out.items()}


@dataclass(frozen=True)
class Token:
    text: str
    low: str
    """Lower-cased, possessive dropped."""
    lemma: str
    clause: int
    name: bool
    stop: bool
    possessive: bool

    @property
    def content(self) -> bool:
        return not self.stop and not self.boundary

    @property
    def boundary(self) -> bool:
        return self.text in _BOUNDARY


def tokens(text: str, ordinary: frozenset[str] = frozenset()) -> list[Token]:
    """The words of ``text`` with what the checks need. ``ordinary`` holds words known to
    be ordinary (seen in lower case nearby): a capitalised first word among them is no name."""
    out: list[Token] = []
    clause = 0
    for i, m in enumerate(_TOKEN.finditer(text)):
        word = m.group(0)
        if word in _BOUNDARY:
            clause += 1
            out.append(Token(word, word, word, clause, False, True, False))
            continue
        possessive = bool(re.search(r"['’]s?$", word)) and len(word) > 2
        low = re.sub(r"['’]s?$", "", word.lower())
        stop = low in STOP_WORDS or low in HONORIFICS or (low.endswith(("n't", "n’t")))
        capital = word[:1].isupper() and not word[:1].isdigit()
        first = i == 0 or (bool(out) and out[-1].text == ":")
        name = capital and not stop and not (first and _ordinary(low, ordinary))
        out.append(Token(word, low, lemma(low), clause, name, stop, possessive))
    return out


def _ordinary(low: str, ordinary: frozenset[str]) -> bool:
    return low in ordinary or low in CONNECTIVES or low.endswith("ly") or low in _NUMBER_WORDS


def ordinary_words(*texts: str) -> frozenset[str]:
    """Words written in lower case somewhere in ``texts``."""
    return frozenset(w.lower() for t in texts for w in re.findall(r"(?<![\w'’])[a-z][\w'’\-]*", t))


def _same_name(a: str, b: str) -> bool:
    if a == b:
        return True
    return len(a) >= 5 and len(b) >= 5 and _likeness(phonetic(a), phonetic(b)) >= 0.75


@lru_cache(maxsize=65536)
def _likeness(a: str, b: str) -> float:
    from difflib import SequenceMatcher

    return SequenceMatcher(None, a, b).ratio()


def _named(word: str, toks: list[Token]) -> bool:
    return any(_same_name(word, t.low) for t in toks if not t.boundary)


# -- the checks, each returning a reason or "" --------------------------------------------


def _names(claim: list[Token], sentence: list[Token], context: str = "") -> str:
    """Every name word of the claim is in the sentence. A first name (or a surname) the
    sentence leaves out may stand with one it holds when the cited passages write the two
    together ("Maria Rivera" for the sentence's "Rivera")."""
    words = {t.low for t in sentence}
    sentence_names = [s for s in sentence if s.name]

    def present(t: Token) -> bool:
        return t.low in words or (t.low not in _MONTHS_DAYS and _named(t.low, sentence_names))

    for i, j in _entities(claim):
        group = claim[i:j]
        missing = [t for t in group if not present(t)]
        if not missing:
            continue
        full = " ".join(re.sub(r"['’]s?$", "", t.text) for t in group)
        if len(missing) < len(group) and context and re.search(rf"(?<!\w){re.escape(full)}(?!\w)", context):
            continue
        return f"it names “{missing[0].text.rstrip('’')}”, which the cited sentence does not"
    return ""


def _value(t: Token) -> float | None:
    if t.low[:1].isdigit():
        try:
            return float(t.low.rstrip("%").replace(",", ""))
        except ValueError:
            return None
    parts = [p[:-1] if p.endswith("s") and p[:-1] in _NUMBER_WORDS else p for p in t.low.split("-")]
    if all(p in _NUMBER_WORDS for p in parts):
        return float(sum(_NUMBER_WORDS[p] for p in parts))
    return None


def _unit(t: Token) -> str | None:
    w = t.low[:-1] if t.low.endswith("s") and t.low[:-1] in UNITS else t.low
    return w if w in UNITS else None


def _dates(toks: list[Token]) -> set[tuple[str, str]]:
    """Relative dates ("last week") and day words ("yesterday") as (modifier, unit) pairs."""
    out = set()
    for a, b in itertools.pairwise(toks):
        if a.low in _RELATIVE and (_unit(b) or b.low in _MONTHS_DAYS):
            out.add((a.low, _unit(b) or b.low))
    out |= {("", t.low) for t in toks if t.low in _DAY_WORDS}
    return out


def _counted(toks: list[Token], at: int) -> set[str]:
    """What the number at ``at`` counts: the content words just after it ("six initial voice")."""
    out: set[str] = set()
    for u in toks[at + 1 : at + 4]:
        if u.boundary:
            break
        if u.content:
            out.add(u.lemma)
    return out


def _numbers(claim: list[Token], sentence: list[Token]) -> str:
    values = {v for t in sentence if (v := _value(t)) is not None}
    units = {u for t in sentence if (u := _unit(t))}
    counts = {(v, w) for k, t in enumerate(sentence) if (v := _value(t)) is not None for w in _counted(sentence, k)}
    for k, t in enumerate(claim):
        v = _value(t)
        if v is not None and v not in values:
            return f"it states {t.text}, which the cited sentence does not"
        for what in _counted(claim, k) if v is not None else set():
            if (v, what) not in counts and any(w == what for _, w in counts):
                return f"it counts {t.text} of what the cited sentence counts differently"
        u = _unit(t)
        if u and u not in units:
            return f"it speaks of {t.text}, which the cited sentence does not"
    missing = _dates(claim) - _dates(sentence)
    if missing:
        return f"it dates it “{' '.join(sorted(missing)[0]).strip()}”, which the cited sentence does not"
    return ""


def _negations(toks: list[Token]) -> list[tuple[int, set[str]]]:
    """Each negation (its position) with the words it governs: up to four content words
    after it in its clause ("no longer included X" governs "included X")."""
    out = []
    for i, t in enumerate(toks):
        negative = t.low in _NEGATIONS or t.low.endswith(("n't", "n’t"))
        if not negative or (t.low == "not" and i + 1 < len(toks) and toks[i + 1].low == "only"):
            continue
        scope: set[str] = set()
        for u in toks[i + 1 :]:
            if u.boundary or len(scope) == 4:
                break
            if u.content and not (t.low == "no" and u.low == "longer"):
                scope.add(u.lemma)
        out.append((i, scope))
    return out


def _first_governed(toks: list[Token], at: int) -> str | None:
    for u in toks[at + 1 :]:
        if u.boundary:
            return None
        if u.content and u.low != "longer":
            return u.lemma
    return None


def _negation(claim: list[Token], sentence: list[Token]) -> str:
    claimed, stated = _negations(claim), _negations(sentence)
    stated_scope = set().union(*(s for _, s in stated)) if stated else set()
    for i, scope in claimed:
        if scope and not scope & stated_scope:
            return f"it negates with “{claim[i].text}” where the cited sentence does not"
    negated_in_claim = set().union(*(s for _, s in claimed)) if claimed else set()
    claim_lemmas = {t.lemma for t in claim if t.content}
    for i, _ in stated:
        head = _first_governed(sentence, i)
        if head and head in claim_lemmas and head not in negated_in_claim:
            return f"the cited sentence says “{sentence[i].text} … {head}”, the claim states it plainly"
    return ""


def _antonym(claim: list[Token], sentence: list[Token]) -> str:
    stated = {t.lemma for t in sentence if not t.boundary}
    opposites = _antonyms()
    for t in claim:
        if t.boundary or t.lemma in stated or t.name:
            continue
        clash = opposites.get(t.lemma, frozenset()) & stated
        for prefix in _PREFIXES:  # "unavailable" for "available", "agree" for "disagree"
            root = t.lemma[len(prefix) :].lstrip("-")
            if t.lemma.startswith(prefix) and len(root) >= 4 and root in stated:
                clash = clash | {root}
            negated = {prefix + t.lemma, f"{prefix}-{t.lemma}"} & stated
            if len(t.lemma) >= 4 and negated:
                clash = clash | negated
        if clash:
            other = next(s.text for s in sentence if s.lemma in clash)
            return f"it says “{t.text}” where the cited sentence says “{other}”"
    return ""


def _orderings(toks: list[Token]) -> list[tuple[str, set[str], set[str]]]:
    """Each order word with (its text, what happened later, what happened earlier)."""
    out = []
    for i, t in enumerate(toks):
        if t.low not in _BEFORE and t.low not in _AFTER:
            continue
        nxt = toks[i + 1].low if i + 1 < len(toks) else ""
        if t.low in ("prior", "ahead") and nxt not in ("to", "of"):
            continue
        if t.low == "following" and i > 0 and toks[i - 1].low in _DETERMINERS:
            continue  # "the following days": an adjective
        right: set[str] = set()
        for u in toks[i + 1 :]:
            if u.boundary and u.text != "(":
                break
            if u.content:
                right.add(u.lemma)
        rest = {u.lemma for u in toks if u.content} - right
        relative = nxt in ("which", "whom")  # "…, after which he resigned": what follows is later
        later_right = (t.low in _BEFORE) != relative
        if right and rest:
            out.append((t.text, right if later_right else rest, rest if later_right else right))
    return out


def _order(claim: list[Token], sentence: list[Token]) -> str:
    claimed = _orderings(claim)
    if not claimed:
        return ""
    stated = _orderings(sentence)
    for word, later, earlier in claimed:
        consistent = False
        for _, s_later, s_earlier in stated:
            same = len(later & s_later) + len(earlier & s_earlier)
            turned = len(later & s_earlier) + len(earlier & s_later)
            consistent = consistent or same > turned
        if not consistent:
            return f"it orders events with “{word}” as the cited sentence does not"
    return ""


def _entities(toks: list[Token]) -> list[tuple[int, int]]:
    """Runs of name words [start, end); a possessive ends a run ("Novak's Robotics")."""
    out, i = [], 0
    while i < len(toks):
        if toks[i].name:
            j = i + 1
            while j < len(toks) and toks[j].name and not toks[j - 1].possessive:
                j += 1
            out.append((i, j))
            i = j
        else:
            i += 1
    return out


def _participle(word: str) -> bool:
    return word.endswith(("ed", "en", "wn", "ne")) or word in IRREGULAR


def _voice(toks: list[Token], at: int) -> bool | None:
    """Passive (True), active (False), or None when a comma stands before a participle:
    "the tweet, posted shortly after" is passive, "Novak, head of alignment, resigned" not."""
    if at > 0 and toks[at - 1].text == "," and _participle(toks[at].low):
        return None
    return _passive(toks, at)


def _passive(toks: list[Token], at: int) -> bool:
    """Is the word at ``at`` a passive participle ("was appointed", "has been dissolved")?"""
    if not _participle(toks[at].low):
        return False
    for u in reversed(toks[max(0, at - 4) : at]):
        if u.low in _BE:
            return True
        if not (u.low in _AUXILIARIES or u.low.endswith("ly")):
            return False
    return False


def _roles(toks: list[Token]) -> dict[tuple[str, bool], list[tuple[int, int]]]:
    """(verb or noun, passive?) -> the names that are its subject: the names right before
    it (titles, "and" and adverbs between allowed), the agent after "by", or the owner
    in "X's resignation"."""
    spans = _entities(toks)
    ending = {j: (i, j) for i, j in spans}
    roles: dict[tuple[str, bool], list[tuple[int, int]]] = {}
    for at, t in enumerate(toks):
        if not t.content or t.name:
            continue
        k = at - 1
        while k >= 0 and (toks[k].low in _AUXILIARIES or toks[k].low.endswith("ly")):
            k -= 1
        subjects: list[tuple[int, int]] = []
        while k >= 0 and k + 1 in ending and not toks[k].possessive:
            i, j = ending[k + 1]
            subjects.append((i, j))
            k = i - 1
            while k >= 0 and toks[k].content and not toks[k].name and i - k <= 3:
                k -= 1  # a title before the name ("senior researcher Jan Novak")
            if k >= 0 and toks[k].low in ("and", "or", "&"):
                k -= 1
            else:
                break
        passive = _passive(toks, at)
        if subjects:
            roles.setdefault((t.lemma, passive), []).extend(subjects)
        if at + 2 < len(toks) and toks[at + 1].low == "by":
            agent = next(((i, j) for i, j in spans if i == at + 2), None)
            if agent:
                roles.setdefault((t.lemma, False), []).append(agent)
    for i, j in spans:
        if toks[j - 1].possessive and j < len(toks) and toks[j].content:
            roles.setdefault((toks[j].lemma, False), []).append((i, j))
    return roles


def _words(toks: list[Token], span: tuple[int, int]) -> list[str]:
    return [toks[k].low for k in range(*span)]


def _matches(a: list[str], b: list[str]) -> bool:
    return any(_same_name(x, y) for x in a for y in b)


def _subjects(claim: list[Token], sentence: list[Token]) -> str:
    claimed, stated = _roles(claim), _roles(sentence)
    in_sentence = [_words(sentence, s) for s in _entities(sentence)]
    for key, names in claimed.items():
        if key not in stated:
            continue
        others = [_words(sentence, s) for s in stated[key]]
        for span in names:
            who = _words(claim, span)
            if any(_matches(who, e) for e in in_sentence) and not any(_matches(who, o) for o in others):
                verb = next(t.text for t in claim if t.lemma == key[0])
                doer = " ".join(sentence[k].text for k in range(*stated[key][0]))
                who_text = " ".join(claim[k].text for k in range(*span))
                return f"it makes {who_text} the one who “{verb}”, the cited sentence {doer}"
    return ""


def _positions(toks: list[Token], words: list[str], name: bool) -> list[int]:
    if not name:
        return [k for k, t in enumerate(toks) if t.content and not t.name and t.lemma == words[0]]
    return [k for k, t in enumerate(toks) if t.name and any(_same_name(t.low, w) for w in words)]


def _triples(claim: list[Token]) -> list[tuple[tuple[int, int], int, tuple[int, int]]]:
    """(left, word, right) to compare with the sentence: two names with a word between them
    in one clause; and a noun or name right before a word (its subject) with the noun or
    name right after it ("the board tried to dismiss Moreau")."""
    names = _entities(claim)
    out = []
    for n, x in enumerate(names):
        for z in names[n + 1 :]:
            out += [(x, y, z) for y in range(x[1], z[0]) if claim[y].content and not claim[y].name]
    starts = {i: (i, j) for i, j in names}
    ends = {j: (i, j) for i, j in names}
    for y, t in enumerate(claim):
        if not t.content or t.name:
            continue
        k = y - 1
        while k >= 0 and claim[k].low in _AUXILIARIES:
            k -= 1
        if k < 0 or not claim[k].content:
            continue
        x = ends.get(k + 1, (k, k + 1))
        k, skipped = y + 1, 0
        while k < len(claim) and not claim[k].boundary and (not claim[k].content or claim[k].low.endswith("ly")):
            k += 1
        if k < len(claim) and claim[k].content and not claim[k].name and skipped == 0:
            k += 1  # one more verb ("tried to dismiss the board")
            while k < len(claim) and not claim[k].boundary and not claim[k].content:
                k += 1
        if k >= len(claim) or not claim[k].content:
            continue
        z = starts.get(k, (k, k + 1))
        if (x in names) != (z in names):  # two names are compared above
            out.append((x, y, z))
    return out


def _swap(claim: list[Token], sentence: list[Token]) -> str:
    """Two names (or a name and a noun) on either side of a word that swap sides in the
    sentence ("Moreau voted to fire Chen" for "Chen voted to fire Moreau",
    "Moreau tried to dismiss the board" for "the board tried to dismiss Moreau"); passive
    voice turns them round, and is allowed for."""
    names = set(_entities(claim))
    for x, y, z in _triples(claim):
        t = claim[y]
        if claim[x[0]].clause != t.clause or claim[z[0]].clause != t.clause:
            continue
        xw = _words(claim, x) if x in names else [claim[x[0]].lemma]
        zw = _words(claim, z) if z in names else [claim[z[0]].lemma]
        if xw == zw or (x in names and z in names and _matches(xw, zw)):
            continue
        x_at, z_at = _positions(sentence, xw, x in names), _positions(sentence, zw, z in names)
        y_at = [k for k, s in enumerate(sentence) if s.lemma == t.lemma and not s.name]
        if not x_at or not z_at or not y_at:
            continue
        voices = {_voice(sentence, b) for b in y_at} | {_voice(claim, y)}
        if None in voices:
            continue  # cannot tell active from passive: no verdict
        kept = any(a < b < c for a in x_at for b in y_at for c in z_at)
        turned = any(c < b < a for a in x_at for b in y_at for c in z_at)
        flip = _passive(claim, y) != any(_passive(sentence, b) for b in y_at)
        if (turned and not kept) if not flip else (kept and not turned):
            return f"it swaps who did what: {claim[x[0]].text} … {t.text} … {claim[z[0]].text}"
    return ""


CHECKS = (_numbers, _negation, _antonym, _order, _subjects, _swap)
"""The checks after the names, in order; the first difference found is the reason."""


def contradiction(claim: str, sentence: str, ordinary: frozenset[str] = frozenset(), context: str = "") -> str:
    """Why ``claim`` contradicts ``sentence`` (or states what it does not), or "" when
    none of the checks finds a difference. ``ordinary`` holds words known to be
    ordinary words, not names (``ordinary_words`` of the passages and the question);
    ``context`` is the text of the cited passages (where full names are written out)."""
    c = tokens(claim, ordinary | ordinary_words(claim))
    s = tokens(sentence, ordinary | ordinary_words(sentence))
    reason = _names(c, s, context)
    for rule in CHECKS:
        reason = reason or rule(c, s)
    return reason
