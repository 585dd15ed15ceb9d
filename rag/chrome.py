"""Site chrome: the parts of a web page that are not the article.

Navigation ("Skip to page content", "top of page"), promos ("Also read: ..."), bylines,
photo credits, comment policies, newsletter sign-ups and footers are found line by line
and left out of the index. The article text between them keeps its original offsets:
``content_spans`` returns ``[start, end)`` ranges into the unchanged text.
"""

from __future__ import annotations

import re


def _patterns(*patterns: str) -> list[re.Pattern[str]]:
    return [re.compile(p, re.IGNORECASE) for p in patterns]


# Attribution lines ("Source: AP News", "Cryptopolitan reporting by ..."): chrome, and where
# they stand past the first third of a page, the start of its footer.
_ATTRIBUTION = (r"^source\s*:\s*\S.{0,80}$", r"^\S+(\s\S+){0,3} reporting by \S.{0,80}$")

# A line that is chrome wherever it stands.
_CHROME_LINE = _patterns(
    r"^skip to (page |main )?content$",
    r"^(top|bottom) of (the )?page$",
    r"^(also read|read more)\b.{0,200}$",
    r"^(related|recommended)( (articles?|stories|posts|reading|content|news|for you))?\s*:?$",
    r"^(advertisement|sponsored( content)?)\s*:?$",
    r"^(sign up|subscribe|log ?in|see more|share( this)?( article| story| post)?|print|email)$",
    r"^(date|published|posted|updated)\s*:?\s*\d{4}-\d{2}-\d{2}$",
    r"^(photo|image|photograph|picture)s?\s*(via|by|:|credit)\b.{0,80}$",
    r"^courtesy( of)?\s.{0,80}$",
    r"^(credit|getty images|reuters|ap photo)\b.{0,80}$",
    *_ATTRIBUTION,
)

# A line after which the rest of the page is footer (only past the page's first third,
# so a stray match near the top cannot swallow the article).
_FOOTER_START = _patterns(
    r"comment policy",
    r"^keep digging$",
    r"^bottom of (the )?page$",
    r"^earn more .{0,40} by sharing",
    r"^(related|recommended|more) (articles|stories|posts|news)$",
    r"^(want to stay ahead|sign up for our newsletter|upcoming events)\b",
    *_ATTRIBUTION,
)

# A photo credit: a short name-like line ("Adam Pardee", "Paolo Vescia 2016") that ends a
# caption block, i.e. it directly follows a non-blank line and a blank line follows it.
_NAME_LIKE = re.compile(r"^(?:[A-Z][\w'’.\-]*|\d{4})(?:\s+(?:[A-Z][\w'’.\-]*|\d{4})){0,3}$")


def _lines(text: str) -> list[tuple[int, int]]:
    """``[start, end)`` of every line, without its line break."""
    spans, pos = [], 0
    for match in re.finditer(r"\r\n|\n|\r", text):
        spans.append((pos, match.start()))
        pos = match.end()
    spans.append((pos, len(text)))
    return spans


def is_chrome_line(line: str) -> bool:
    """True when this single line (stripped) is site chrome wherever it stands."""
    stripped = line.strip()
    return any(p.search(stripped) for p in _CHROME_LINE)


def content_spans(text: str) -> list[tuple[int, int]]:
    """Ranges of ``text`` that hold article content: runs of lines that are not chrome.

    Blank lines do not end a run (paragraphs of one article stay together); a chrome
    line does. Every span starts and ends on non-blank characters."""
    lines = _lines(text)
    stripped = [text[a:b].strip() for a, b in lines]
    keep = [bool(s) and not is_chrome_line(s) for s in stripped]
    for i, s in enumerate(stripped):
        if i > len(lines) / 3 and any(p.search(s) for p in _FOOTER_START):
            for j in range(i, len(lines)):
                keep[j] = False
            break
    for i, s in enumerate(stripped):
        prev_filled = i > 0 and bool(stripped[i - 1])
        next_blank = i + 1 == len(lines) or not stripped[i + 1]
        if keep[i] and prev_filled and next_blank and _NAME_LIKE.match(s):
            keep[i] = False
    spans: list[tuple[int, int]] = []
    run_start: int | None = None
    run_end = 0
    for (a, b), k, s in zip(lines, keep, stripped, strict=True):
        if k:
            first = a + (len(text[a:b]) - len(text[a:b].lstrip()))
            run_start = first if run_start is None else run_start
            run_end = a + len(text[a:b].rstrip())
        elif not s:
            continue  # a blank line neither ends nor extends a run
        elif run_start is not None:
            spans.append((run_start, run_end))
            run_start = None
    if run_start is not None:
        spans.append((run_start, run_end))
    return spans
