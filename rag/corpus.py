"""Reading articles from disk: .txt, .md and .html files, with their metadata.

A ``Document`` holds the text that citations point into. For .txt and .md files that is
the file's content, decoded as UTF-8 (line endings untouched); for HTML it is the
article text extracted from the markup, which the index stores alongside the chunks.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from .chrome import content_spans, is_attribution
from .errors import CorpusError

log = logging.getLogger("rag")

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm"}
MONTHS = "January February March April May June July August September October November December".split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()


@dataclass(frozen=True)
class Document:
    source: str
    """Path relative to the corpus root, with forward slashes."""
    text: str
    title: str
    outlet: str | None
    date: str | None
    """Publication date as YYYY-MM-DD, where the text gives one."""
    sha256: str
    author: str | None = None
    """Who wrote or reported it, from a byline ("By Jane Doe", "... reporting by Jane Doe")."""


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


class _TextExtractor(HTMLParser):
    _SKIP = frozenset("script style noscript nav footer header aside form svg template".split())
    _BLOCK = frozenset(
        "p div br li ul ol h1 h2 h3 h4 h5 h6 tr section article blockquote figcaption figure pre table main".split()
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self.site: str | None = None
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip_depth += 1
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            a = dict(attrs)
            if a.get("property") == "og:site_name" and a.get("content"):
                self.site = a["content"]
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skip_depth:
            self._skip_depth -= 1
        elif tag == "title":
            self._in_title = False
        if tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> tuple[str, str, str | None]:
    """Article text, <title> and og:site_name of an HTML page."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text, parser.title.strip(), parser.site


def _title(text: str) -> str:
    for a, b in content_spans(text):
        first = text[a:b].splitlines()[0].strip()
        if len(first) <= 150 and not first.endswith((".", "!", "?")):
            return first
        sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
        return sentence if len(sentence) <= 100 else sentence[:97].rsplit(" ", 1)[0] + "…"
    return ""


_CONNECTOR = frozenset("of the and for on in at & de du der la le".split())
_NOT_OUTLETS = frozenset("additional further extra more with and also".split())
_SOURCE = re.compile(r"^source\s*:\s*(.{2,60}?)\s*$", re.IGNORECASE)
_REPORTING = re.compile(r"^(?P<outlet>(?:\S+\s){0,4}?)reporting by\s+(?P<author>[^;|]+?)\s*(?:[;|].*)?$", re.IGNORECASE)
_BYLINE = re.compile(r"^(?:written |reported |words )?by\s+(?P<author>.+?)\s*$", re.IGNORECASE)


def _name_like(phrase: str, max_words: int = 6) -> bool:
    """A proper name: a few words, each capitalised (or a connector like "of", "&")."""
    words = phrase.split()
    return 0 < len(words) <= max_words and all(w[:1].isupper() or w.lower() in _CONNECTOR for w in words)


def _attributions(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if is_attribution(line)]


def _outlet(text: str) -> str | None:
    """The outlet named by a "Source: <Outlet>" or "<Outlet> reporting by ..." line."""
    for line in _attributions(text):
        source = _SOURCE.match(line)
        if source and _name_like(source.group(1)):
            return source.group(1)
        reporting = _REPORTING.match(line)
        prefix = reporting.group("outlet").strip() if reporting else ""
        if prefix and _name_like(prefix, 4) and prefix.split()[0].lower() not in _NOT_OUTLETS:
            return prefix
    return None


def _author(text: str) -> str | None:
    """The author named by a byline ("By Jane Doe") or a "... reporting by Jane Doe" line."""
    for line in _attributions(text):
        match = _REPORTING.match(line) or _BYLINE.match(line)
        if match and _name_like(match.group("author").replace(",", " "), 12):
            return match.group("author")
    return None


def _date(text: str) -> str | None:
    head = "\n".join(text.splitlines()[:8])
    iso = re.search(r"^\s*(?:date|published|posted)\s*:?\s*(\d{4})-(\d{2})-(\d{2})\s*$", head, re.M | re.I)
    if iso:
        return "-".join(iso.groups())
    named = re.search(
        r"^\s*(?:date|published|posted)\s*:?\s*({}) (\d{{1,2}}), (\d{{4}})\s*$".format("|".join(MONTHS)),
        head,
        re.M | re.I,
    )
    if named:
        month = MONTHS.index(named.group(1).capitalize()) + 1
        return f"{named.group(3)}-{month:02d}-{int(named.group(2)):02d}"
    return None


MAX_FILE_BYTES = 20_000_000
"""Larger files are skipped: a news article is a few kB, and a 50 MB dump would take an
hour to embed on a laptop CPU. Split such a file into articles."""


def read_document(path: Path, source: str) -> Document:
    """Read one file. Raises ``CorpusError`` with the reason when it cannot be used."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(
            f"too large ({size / 1e6:.0f} MB; the limit is {MAX_FILE_BYTES / 1e6:.0f} MB): split it into articles"
        )
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError("empty file")
    if b"\x00" in data[:8192]:
        raise CorpusError("binary file (contains NUL bytes)")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not valid UTF-8 (byte {exc.start}); convert it with iconv") from None
    title, outlet = "", None
    if path.suffix.lower() in {".html", ".htm"}:
        text, title, outlet = html_to_text(raw)
    else:
        text = raw
    if not content_spans(text):
        raise CorpusError("no article text (only blank lines or site chrome)")
    return Document(
        source=source,
        text=text,
        title=title or _title(text) or Path(source).stem,
        outlet=outlet or _outlet(text),
        date=_date(text),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        author=_author(text),
    )


def find_files(paths: list[Path]) -> tuple[Path, list[Path]]:
    """The corpus root and the supported files under ``paths`` (folders are walked)."""
    if not paths:
        raise CorpusError("No corpus given: pass a folder or files, e.g. `rag ingest seeds/`.")
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CorpusError(f"Corpus path not found: {', '.join(missing)}. Check the path or set RAG_CORPUS_DIR.")
    resolved = [p.resolve() for p in paths]
    files: list[Path] = []
    for p in resolved:
        if p.is_dir():
            files += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        else:
            files.append(p)
    roots = [p if p.is_dir() else p.parent for p in resolved]
    root = roots[0] if len(set(roots)) == 1 else Path(_common(roots))
    return root, sorted(set(files))


def _common(paths: list[Path]) -> str:
    import os

    return os.path.commonpath([str(p) for p in paths])


def shown_name(source: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 as \\xNN escapes."""
    return source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _escapes(f: Path, roots: list[Path]) -> bool:
    """Is ``f`` a symbolic link (or inside a linked folder) that leads out of the corpus?"""
    target = f.resolve()
    return not any(target.is_relative_to(r.resolve()) for r in roots)


def load_corpus(paths: list[Path]) -> tuple[Path, list[Document], list[Skipped]]:
    """Read every supported file under ``paths``. Unreadable files are skipped (and
    reported), never fatal; a corpus with no usable document is a ``CorpusError``.
    Symbolic links that lead out of the corpus folders are not followed, and a file whose
    name is not valid UTF-8 is skipped (the index stores names as text)."""
    root, files = find_files(paths)
    folders = [p for p in paths if p.is_dir()]
    given = {p.resolve() for p in paths if not p.is_dir()}  # files named on purpose are read as given
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for f in files:
        source = f.relative_to(root).as_posix()
        try:
            source.encode("utf-8")
        except UnicodeEncodeError:
            skipped.append(Skipped(shown_name(source), "the file name is not valid UTF-8: rename it"))
            continue
        if f not in given and folders and _escapes(f, folders):
            reason = f"a symbolic link to {f.resolve()}, outside the corpus folder: not followed"
            skipped.append(Skipped(source, reason))
            continue
        if f.suffix.lower() not in SUPPORTED:
            skipped.append(Skipped(source, f"unsupported file type {f.suffix or '(none)'}"))
            continue
        try:
            docs.append(read_document(f, source))
        except CorpusError as exc:
            skipped.append(Skipped(source, str(exc)))
        except OSError as exc:
            skipped.append(Skipped(source, f"cannot read: {exc.strerror}"))
    for s in skipped:
        log.warning("skipped %s: %s", s.source, s.reason)
    if not docs:
        where = ", ".join(str(p) for p in paths)
        raise CorpusError(
            f"No usable document in {where}: add .txt, .md or .html files (UTF-8) and run `rag ingest` again."
        )
    return root, docs, skipped
