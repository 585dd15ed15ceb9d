"""Site chrome: the parts of a web page that are not the article.

Navigation ("Skip to page content", "top of page"), promos ("Also read: ..."), photo
credits, comment policies, newsletter sign-ups and footers are found line by line and
left out of the index. The article text between them keeps its original offsets:
``content_spans`` returns ``[start, end)`` ranges into the unchanged text.

The rules are general, so that any corpus (a company handbook, an encyclopedia, paper
abstracts) keeps every sentence:

* a line is chrome only when it is short and not sentence-like (a line holding a sentence
  of ``MIN_SENTENCE_WORDS`` words or more that ends in . ! or ? is kept, so "Read more: the
  handbook lists the rates." stays while "Also read: <headline>" goes), unless it is an
  obvious promo ("Want to stay informed? ...", "Subscribe to our newsletter ...");
* a footer is the page's tail: the lines after its last sentence of article, cut only when
  every one of them is footer-like (short, a promo, or prose about the site itself:
  comments, readers, newsletters) and one of them marks a footer ("Comment policy",
  "bottom of page", "Related articles"...);
* attribution lines ("Source: ...", "By ...", "<Outlet> reporting by ...") are kept: they
  are evidence of who reported a story (``rag.corpus`` reads them into metadata).
"""

from __future__ import annotations

import re

MIN_SENTENCE_WORDS = 5
"""A line of at least this many words holding a sentence end reads as prose, not chrome."""


def _patterns(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


def _any(patterns: list[re.Pattern[str]], line: str) -> bool:
    return any(p.search(line) for p in patterns)


# Attribution lines: who reported or published the story. Never chrome.
ATTRIBUTION = _patterns(
    r"^source\s*:\s*\S.{0,80}$",
    r"^(?:\S+\s){0,4}reporting by \S.{0,80}$",
    r"^(?:written |reported |words )?by\s+[A-Z][\w'’.\-]*(?:[\s,]+(?:and\s+)?[A-Z][\w'’.\-]*){1,6}\s*$",
)

# A short line that is chrome wherever it stands (a line that reads as a sentence is kept).
_CHROME_LINE = _patterns(
    r"^skip to (page |main )?content$",
    r"^(top|bottom) of (the )?page$",
    r"^(also read|read more|see also|read next)\s*(:.{0,200})?$",
    r"^(related|recommended)( (articles?|stories|posts|reading|content|news|for you))?\s*:?$",
    r"^(advertisement|sponsored( content)?)\s*:?$",
    r"^(sign up|subscribe|log ?in|see more|share( this)?( article| story| post)?|print|email)$",
    r"^(date|published|posted|updated)\s*:?\s*\d{4}-\d{2}-\d{2}$",
    r"^(photo|image|photograph|picture)s?\s*(via|by|:|credit)\b.{0,80}$",
    r"^courtesy( of)?\s.{0,80}$",
    r"^(photo |image )?credits?\s*(:|$|by\b|to\b).{0,80}$",
    r"^(reuters|getty( images)?|ap( photo)?|afp|epa|xinhua|alamy|shutterstock|istock(photo)?)(\s*[/:|,].{0,60})?$",
)

# Promos: chrome even when they read as sentences.
_PROMO = _patterns(
    r"^want to (stay|keep) (ahead|informed|up to date|in the loop)\b",
    r"^(sign up|subscribe)\b.{0,80}\b(newsletter|inbox|updates|alerts)\b",
)

# A short line that marks the start of a footer.
_FOOTER_MARK = _patterns(
    r"\bcomment(s|ing)? (policy|guidelines|rules)\b",
    r"^keep (digging|reading)$",
    r"^(top|bottom) of (the )?page$",
    r"^(related|recommended|more|latest|popular|trending) (articles|stories|posts|news|reads)\b",
    r"^upcoming events\b",
    r"^(leave|post|add) a (comment|reply)$",
    r"^(\d+ )?comments?$",
    r"^(share|follow us)( on)?\b.{0,40}$",
    *(p.pattern for p in _PROMO),
)

# Prose about the site itself rather than the story: footer-like in a page's tail.
_SITE_TALK = re.compile(
    r"\b(comments?|commenters?|readers?|subscribers?|subscri(be|ption)|newsletters?|sign(ing)? up|log ?in|"
    r"contact us|our (team|site|website|editors|newsroom|journalists|articles|stories|coverage|platform)|"
    r"this (post|article|story|page|site|website)|urls?|cookies|privacy policy|terms of (use|service)|"
    r"advertis(e|ers?|ing|ements?)|all rights reserved|copyright)\b|©",
    re.IGNORECASE,
)

# A photo credit: a short name-like line ("Jane Doe", "John Smith 2016") that ends a
# caption block, i.e. it directly follows a non-blank line and a blank line follows it.
_NAME_LIKE = re.compile(r"^(?:[A-Z][\w'’.\-]*|\d{4})(?:\s+(?:[A-Z][\w'’.\-]*|\d{4})){0,3}$")
_SENTENCE_END = re.compile(r"\w[\"'”’)\]]*[.!?]+[\"'”’)\]]*(\s|$)")
_WORD = re.compile(r"\w[\w'’\-]*")


def _lines(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every line, without its line break."""
    spans, pos = [], 0
    for match in re.finditer(r"\r\n|\n|\r", text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return spans


def is_sentence_like(line: str) -> bool:
    """Does this line read as prose: enough words, and a sentence end after a word?"""
    return len(_WORD.findall(line)) >= MIN_SENTENCE_WORDS and bool(_SENTENCE_END.search(line))


def is_attribution(line: str) -> bool:
    """ "Source: ...", "By Jane Doe", "<Outlet> reporting by <Name>"."""
    stripped = line.strip()
    return not is_sentence_like(stripped) and _any(ATTRIBUTION, stripped)


def is_promo(line: str) -> bool:
    return _any(_PROMO, line.strip())


def is_chrome_line(line: str) -> bool:
    """True when this single line is site chrome wherever it stands."""
    stripped = line.strip()
    if is_promo(stripped):
        return True
    return not is_sentence_like(stripped) and _any(_CHROME_LINE, stripped)


def _footer_like(line: str) -> bool:
    """Could this line belong to a page's footer (it is not a sentence of the story)?"""
    return not is_sentence_like(line) or is_promo(line) or bool(_SITE_TALK.search(line))


def _footer_marked(line: str) -> bool:
    return (not is_sentence_like(line) or is_promo(line)) and _any(_FOOTER_MARK, line)


def _footer_start(stripped: list[str]) -> int:
    """Index of the first footer line, or ``len(stripped)`` when the page has no footer.

    The footer is the tail after the last sentence of article, provided every line of it
    is footer-like and one of them, past the page's first third, marks a footer."""
    start = len(stripped)
    while start > 0 and (not stripped[start - 1] or _footer_like(stripped[start - 1])):
        start -= 1
    marked = any(_footer_marked(s) for i, s in enumerate(stripped[start:], start) if i > len(stripped) / 3)
    return start if marked else len(stripped)


def _credit_lines(stripped: list[str]) -> set[int]:
    """Short name-like lines that end a caption block (a photographer's name)."""
    found = set()
    for i, s in enumerate(stripped):
        prev_filled = i > 0 and bool(stripped[i - 1])
        next_blank = i + 1 == len(stripped) or not stripped[i + 1]
        if prev_filled and next_blank and _NAME_LIKE.match(s) and not is_attribution(s):
            found.add(i)
    return found


def kept_lines(text: str) -> list[bool]:
    """For each line of ``text`` (as ``_lines`` cuts it): does it hold article content?"""
    stripped = [text[a:b].strip() for a, b in _lines(text)]
    footer = _footer_start(stripped)
    credits = _credit_lines(stripped)
    return [
        bool(s) and (is_attribution(s) or (i < footer and i not in credits and not is_chrome_line(s)))
        for i, s in enumerate(stripped)
    ]


def content_spans(text: str) -> list[tuple[int, int]]:
    """Ranges of ``text`` that hold article content: runs of lines that are not chrome.

    Blank lines do not end a run (paragraphs of one article stay together); a chrome
    line does. Every span starts and ends on non-blank characters."""
    spans: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = 0
    for (a, b), keep in zip(_lines(text), kept_lines(text), strict=True):
        line = text[a:b]
        if keep:
            first = a + (len(line) - len(line.lstrip()))
            run_start = first if run_start is None else run_start
            run_end = a + len(line.rstrip())
        elif not line.strip():
            continue  # a blank line neither ends nor extends a run
        elif run_start is not None:
            spans.append((run_start, run_end))
            run_start = None
    if run_start is not None:
        spans.append((run_start, run_end))
    return spans
