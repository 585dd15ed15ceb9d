"""Reading articles from disk, with their metadata: title, outlet, author and date.

A ``Document`` holds the text that citations point into (see ``rag.formats``: for .txt
and .md the file's own text, for HTML, PDF and .docx the text extracted from it, which the
index stores alongside the chunks), and ``path``, the absolute path that is its identity
however it was typed (``seeds/a.txt``, ``./seeds/a.txt`` and ``/home/me/seeds/a.txt`` are
one document).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .chrome import content_spans, is_attribution
from .errors import CorpusError
from .formats import BOM, SUPPORTED, extract, plain_markdown

log = logging.getLogger("rag")

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
    path: str = ""
    """The absolute path of the file (its folder resolved): the document's identity."""
    kind: str = "text"
    """"text", "markdown", "html", "pdf" or "docx"."""
    pages: tuple[int, ...] = ()
    """Where each page starts in ``text`` (PDF only)."""


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


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
    found = extract(data, path.suffix)
    text = found.text
    if not content_spans(text):
        raise CorpusError("no article text (only blank lines or site chrome)")
    # Metadata is read from the text as a reader sees it (no BOM, no Markdown markup).
    plain = plain_markdown(text.lstrip(BOM)) if found.kind == "markdown" else text.lstrip(BOM)
    return Document(
        source=source,
        text=text,
        title=found.title or _title(plain) or Path(source).stem,
        outlet=found.outlet or _outlet(plain),
        date=found.date or _date(plain),
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        author=found.author or _author(plain),
        path=identity(path),
        kind=found.kind,
        pages=found.pages,
    )


def identity(path: Path) -> str:
    """A file's identity: its absolute path with its folder resolved (symbolic links in
    the folder path followed, the file's own name kept), however the path was typed."""
    path = Path(os.path.expanduser(path))
    return str(path.absolute().parent.resolve() / path.name)


@dataclass(frozen=True)
class Found:
    """A file to read: where it is, the folder it was found under, and its name there."""

    file: Path
    base: Path
    """The folder given (resolved), or the parent folder of a file given."""
    name: str
    """The path relative to ``base``, with forward slashes: the document's default source."""


def find_files(paths: list[Path]) -> tuple[Path, list[Found]]:
    """The common root of ``paths`` and the files under them (folders are walked; hidden
    files and folders are left out)."""
    if not paths:
        raise CorpusError("No corpus given: pass a folder or files, e.g. `rag ingest seeds/`.")
    paths = [Path(os.path.expanduser(p)) for p in paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise CorpusError(f"Corpus path not found: {', '.join(missing)}. Check the path or set RAG_CORPUS_DIR.")
    found: dict[str, Found] = {}
    for p in paths:
        if p.is_dir():
            base = p.resolve()
            for f in sorted(base.rglob("*")):
                rel = f.relative_to(base)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                    found.setdefault(identity(f), Found(f, base, rel.as_posix()))
        else:
            base = p.absolute().parent.resolve()
            found.setdefault(identity(p), Found(base / p.name, base, p.name))
    roots = [f.base for f in found.values()] or [paths[0].resolve()]
    root = roots[0] if len(set(roots)) == 1 else Path(os.path.commonpath([str(r) for r in roots]))
    return root, sorted(found.values(), key=lambda f: (str(f.base), f.name))


def unique_name(found: Found, taken: set[str]) -> str:
    """``found.name``, or when another document holds that name, the name prefixed with
    as many of its folders as it takes to be unique ("mydocs/notes.md"); the absolute path
    as a last resort."""
    name = found.name
    parents = [*[p.name for p in found.base.parents if p.name][::-1], found.base.name]
    for depth in range(len(parents) + 1):
        candidate = "/".join([*parents[len(parents) - depth :], name]) if depth else name
        if candidate not in taken:
            return candidate
    return identity(found.file)


def shown_name(source: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 as \\xNN escapes."""
    return source.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _escapes(f: Path, roots: list[Path]) -> bool:
    """Is ``f`` a symbolic link (or inside a linked folder) that leads out of the corpus?"""
    target = f.resolve()
    return not any(target.is_relative_to(r.resolve()) for r in roots)


def read_files(paths: list[Path]) -> tuple[Path, list[tuple[Found, Document]], list[Skipped]]:
    """Read every supported file under ``paths``: (their common root, each file read with
    where it was found, the files skipped and why). Unreadable files are skipped, never
    fatal. Symbolic links that lead out of the corpus folders are not followed, and a
    file whose name is not valid UTF-8 is skipped (the index stores names as text)."""
    root, files = find_files(paths)
    expanded = [Path(os.path.expanduser(p)) for p in paths]
    folders = [p for p in expanded if p.is_dir()]
    given = {identity(p) for p in expanded if not p.is_dir()}  # files named on purpose are read as given
    read: list[tuple[Found, Document]] = []
    skipped: list[Skipped] = []
    for found in files:
        f, source = found.file, found.name
        try:
            source.encode("utf-8")
        except UnicodeEncodeError:
            skipped.append(Skipped(shown_name(source), "the file name is not valid UTF-8: rename it"))
            continue
        if identity(f) not in given and folders and _escapes(f, folders):
            reason = f"a symbolic link to {f.resolve()}, outside the corpus folder: not followed"
            skipped.append(Skipped(source, reason))
            continue
        if f.suffix.lower() not in SUPPORTED:
            skipped.append(Skipped(source, f"unsupported file type {f.suffix or '(none)'}"))
            continue
        try:
            read.append((found, read_document(f, source)))
        except CorpusError as exc:
            skipped.append(Skipped(source, str(exc)))
        except OSError as exc:
            skipped.append(Skipped(source, f"cannot read: {exc.strerror}"))
    for s in skipped:
        log.warning("skipped %s: %s", s.source, s.reason)
    if not read:
        where = ", ".join(str(p) for p in paths)
        raise CorpusError(
            f"No usable document in {where}: add .txt, .md, .html, .pdf or .docx files and run `rag ingest` again."
        )
    return root, read, skipped


def load_corpus(paths: list[Path]) -> tuple[Path, list[Document], list[Skipped]]:
    """The documents under ``paths`` (see ``read_files``), each named by its path under
    the folder given, prefixed with its folders where two would share a name. A corpus
    with no usable document is a ``CorpusError``."""
    root, read, skipped = read_files(paths)
    names: set[str] = set()
    docs = []
    for found, doc in read:
        source = unique_name(found, names)
        names.add(source)
        docs.append(dataclasses.replace(doc, source=source))
    return root, docs, skipped
