"""Sentence splitting and token-aware chunking, both as offsets into the original text.

Every sentence and every chunk is a ``[start, end)`` range such that
``text[start:end]`` is its text: nothing is normalised, joined or rewritten.
Chunks are packed from whole sentences up to ``max_tokens`` tiktoken (cl100k_base)
tokens, the tokenizer llama-index counts with, and never cross site chrome.
"""

from __future__ import annotations

import importlib.util
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .chrome import content_spans

if TYPE_CHECKING:
    import tiktoken

    from .config import Config

CHUNKING_VERSION = 3
"""Bump when sentence splitting, chunk packing or the chrome filter changes: indexes built
by an older version are then re-chunked by the next `rag ingest`."""


def chunker_id(config: Config) -> str:
    """Identifies how documents were cut into chunks: a change re-chunks them on ingest."""
    return f"sent-tok{config.chunk_tokens}-ov{config.chunk_overlap}-v{CHUNKING_VERSION}"


_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "jr",
    "sr",
    "sen",
    "rep",
    "gov",
    "gen",
    "col",
    "lt",
    "inc",
    "ltd",
    "corp",
    "co",
    "vs",
    "no",
    "u.s",
    "u.k",
    "e.g",
    "i.e",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "ave",
    "approx",
}
# US state abbreviations (AP style, "San Diego, Calif."), only when capitalised: "ill.",
# "mass." and "ore." end sentences.
_STATES = frozenset(
    """Ala Ariz Ark Calif Colo Conn Del Fla Ga Ill Ind Kan Ky La Md Mass Mich Minn Miss Mo Mont Neb Nev
    N.H N.J N.M N.Y N.C N.D Okla Ore Pa R.I S.C S.D Tenn Tex Vt Va Wash W.Va Wis Wyo""".split()
)
# End of a sentence: terminal punctuation, optional closing quotes/brackets, then space.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_LINE = re.compile(r"[^\r\n]+")
_LEAD = re.compile(r"[\s\ufeff•·*\-–—]+")  # a byte order mark is no text


@dataclass(frozen=True)
class Chunk:
    start: int
    end: int
    text: str
    tokens: int


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    # llama-index ships cl100k_base inside its package; point tiktoken at it so that
    # nothing is downloaded (there may be no network).
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("llama_index.core")
        if spec and spec.submodule_search_locations:
            cache = Path(next(iter(spec.submodule_search_locations))) / "_static" / "tiktoken_cache"
            os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def _is_abbreviation(text: str, dot: int) -> bool:
    """Is the period at ``dot`` the end of an abbreviation or an initial ("Mr.", "J.")?"""
    word = re.search(r"([\w.]+)$", text[max(0, dot - 12) : dot])
    if not word:
        return False
    w = word.group(1).lower()
    return w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha()) or word.group(1) in _STATES


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    lead = _LEAD.match(text, start, end)
    if lead:
        start = lead.end()
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """``[start, end)`` of each sentence in ``text[start:end]``. A line break always ends
    a sentence; inside a line, terminal punctuation followed by a capital does."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text, start, end):
        pos = line.start()
        for match in _END.finditer(text, line.start(), line.end()):
            if (
                text[match.start()] == "."
                and match.end() - match.start() == 1
                and _is_abbreviation(text, match.start())
            ):
                continue
            spans.append((pos, match.end()))
            pos = match.end()
        spans.append((pos, line.end()))
    trimmed = (_trim(text, a, b) for a, b in spans)
    return [(a, b) for a, b in trimmed if b > a and any(c.isalnum() for c in text[a:b])]


def _split_long(text: str, start: int, end: int, max_tokens: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at word boundaries into pieces of at most ~max_tokens."""
    pieces, pos = [], start
    budget = max_tokens * 4  # ~4 characters per token in English
    while end - pos > budget:
        cut = text.rfind(" ", pos, pos + budget)
        cut = cut if cut > pos else pos + budget
        pieces.append(_trim(text, pos, cut))
        pos = cut
    pieces.append(_trim(text, pos, end))
    return [(a, b) for a, b in pieces if b > a]


def chunk_text(text: str, max_tokens: int, overlap: int = 1) -> list[Chunk]:
    """Pack the sentences of every content span of ``text`` into chunks of at most
    ``max_tokens`` tokens; consecutive chunks share ``overlap`` sentences."""
    chunks: list[Chunk] = []
    for span_start, span_end in content_spans(text):
        sentences: list[tuple[int, int, int]] = []
        for a, b in split_sentences(text, span_start, span_end):
            n = count_tokens(text[a:b])
            if n <= max_tokens:
                sentences.append((a, b, n))
            else:
                sentences += [(x, y, count_tokens(text[x:y])) for x, y in _split_long(text, a, b, max_tokens)]
        i = 0
        while i < len(sentences):
            j, a = i + 1, sentences[i][0]
            # The text between sentences has tokens too: measure the chunk as it would be.
            while j < len(sentences) and count_tokens(text[a : sentences[j][1]]) <= max_tokens:
                j += 1
            b = sentences[j - 1][1]
            chunks.append(Chunk(a, b, text[a:b], count_tokens(text[a:b])))
            if j >= len(sentences):
                break
            i = max(i + 1, j - overlap)
    return chunks
