"""The two kinds of article span Citewise hands out, both verbatim
(``text == document_text(source)[start:end]``):

- ``Passage``: a span retrieval found for a question (an indexed chunk), with its
  retrieval score;
- ``Citation``: a span quoted in support of an answer (a sentence), inside the passage it
  was taken from. A citation has no score of its own: its ``passage`` carries the
  retrieval score.
"""

from __future__ import annotations

import bisect
from dataclasses import asdict, dataclass, field
from typing import Any

from .evidence import placed_by, relative_dates


@dataclass(frozen=True)
class Passage:
    """A verbatim span of one article: ``text == document_text(source)[start:end]``."""

    source: str
    """The article's name in the index (its path under the folder ingested)."""
    title: str
    start: int
    end: int
    text: str
    score: float
    """The retrieval score: reciprocal-rank fusion of the dense and BM25 rankings (higher
    is better; comparable only within one question's results)."""
    outlet: str | None = None
    date: str | None = None
    chunk_id: str = ""
    author: str | None = None
    page: int | None = None
    """The page the span starts on (1-based), for a PDF; None for other formats."""
    page_starts: tuple[int, ...] = field(default=(), repr=False, compare=False)
    """Where each page of the document starts: ``page`` follows ``start`` (also in a
    copy made with ``dataclasses.replace``). Not part of ``to_dict``."""

    def __post_init__(self) -> None:
        if self.page_starts:
            object.__setattr__(self, "page", bisect.bisect_right(self.page_starts, self.start))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["page_starts"]
        return data


@dataclass(frozen=True)
class Citation:
    """A span of an article quoted in support of an answer, ``text ==
    document_text(source)[start:end]``: the quoted sentence (extractive answers) or the
    sentence that supports what the model wrote (llm answers). It lies inside
    ``passage``, the retrieved passage it was taken from. Make one with ``Citation.of``."""

    source: str
    title: str
    start: int
    end: int
    text: str
    passage: Passage = field(repr=False)
    """The retrieved passage the span lies in (its ``score`` is the retrieval score)."""
    outlet: str | None = None
    date: str | None = None
    author: str | None = None
    page: int | None = None
    """The page the span starts on (1-based), for a PDF; None for other formats."""
    chunk_id: str = ""
    """The indexed chunk it was quoted from (``passage.chunk_id``)."""

    @classmethod
    def of(cls, passage: Passage, start: int, end: int) -> Citation:
        """The span ``[start, end)`` of ``passage``'s article, which must lie inside the
        passage: its text is cut from the passage's own (verbatim) text."""
        if not passage.start <= start <= end <= passage.end:
            raise ValueError(f"[{start}, {end}) is not inside the passage [{passage.start}, {passage.end}).")
        page = bisect.bisect_right(passage.page_starts, start) if passage.page_starts else passage.page
        return cls(
            passage.source,
            passage.title,
            start,
            end,
            passage.text[start - passage.start : end - passage.start],
            passage,
            passage.outlet,
            passage.date,
            passage.author,
            page,
            passage.chunk_id,
        )

    @property
    def relative_date(self) -> str:
        """The first relative time expression of the quoted text ("last July", "on
        Tuesday"), or "" when it has none."""
        found = relative_dates(self.text)
        return found[0] if found else ""

    @property
    def date_placement(self) -> str:
        """What places ``relative_date`` in time: "per an article dated 2024-05-17", or
        "the article gives no date"."""
        return placed_by(self.date)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "title": self.title,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "outlet": self.outlet,
            "date": self.date,
            "author": self.author,
            "page": self.page,
            "chunk_id": self.chunk_id,
        }
