"""Each kind of file read into its *document text*: the text that citations index.

A citation's ``text`` is always ``document_text(source)[start:end]``. What the document
text is depends on the format:

- ``.txt``, ``.md``, ``.markdown``: the file's own text, decoded as UTF-8 and nothing
  else. A byte order mark stays (as U+FEFF at offset 0), so offsets are those of any
  reader of the file (``Path.read_text(encoding="utf-8")``).
- ``.html``, ``.htm``: the article's main text, extracted by trafilatura (made for news
  pages) with its title, author, date and site name; bylines and dates leave the text and
  become metadata. A page in which trafilatura finds no article falls back to its visible
  text (navigation, scripts and footers left out).
- ``.pdf``: the text of every page (pypdf), the lines of a paragraph joined, pages
  separated by a blank line; where each page starts is kept, so citations carry a page.
- ``.docx``: its paragraphs and table rows (python-docx), one per line.

Every reader is bounded: file size (``rag.corpus.MAX_FILE_BYTES``), PDF pages, and the
unpacked size of a .docx. A file that cannot be read raises ``CorpusError`` with the reason.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from .errors import CorpusError

TEXT_SUFFIXES = frozenset({".txt"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
PDF_SUFFIXES = frozenset({".pdf"})
DOCX_SUFFIXES = frozenset({".docx"})
SUPPORTED = TEXT_SUFFIXES | MARKDOWN_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | DOCX_SUFFIXES

MAX_PDF_PAGES = 2000
"""A PDF with more pages is refused (split it): reading one page takes up to ~50 ms."""
MAX_DOCX_UNPACKED = 200_000_000
"""A .docx (a zip archive) unpacking to more bytes than this is refused (a zip bomb)."""
BOM = "\ufeff"
SHORT_PAGE = 250
"""Characters of main text below which trafilatura's extraction is not trusted."""


@dataclass(frozen=True)
class Extracted:
    """What a reader found in a file: the document text and the metadata it states."""

    text: str
    kind: str
    """"text", "markdown", "html", "pdf" or "docx"."""
    title: str = ""
    outlet: str | None = None
    author: str | None = None
    date: str | None = None
    """YYYY-MM-DD."""
    pages: tuple[int, ...] = ()
    """Offset at which each page starts (PDF only)."""


def kind_of(suffix: str) -> str | None:
    """The kind of document a file suffix names, or None when it is not supported."""
    suffix = suffix.lower()
    for kind, suffixes in (
        ("text", TEXT_SUFFIXES),
        ("markdown", MARKDOWN_SUFFIXES),
        ("html", HTML_SUFFIXES),
        ("pdf", PDF_SUFFIXES),
        ("docx", DOCX_SUFFIXES),
    ):
        if suffix in suffixes:
            return kind
    return None


def extract(data: bytes, suffix: str) -> Extracted:
    """Read the bytes of a file named with ``suffix``. Raises ``CorpusError``."""
    kind = kind_of(suffix)
    if kind == "pdf":
        return _pdf(data)
    if kind == "docx":
        return _docx(data)
    if kind == "html":
        return _html(data)
    if kind is None:
        raise CorpusError(f"unsupported file type {suffix or '(none)'}")
    return Extracted(_decoded(data), kind)


def _decoded(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise CorpusError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8")  # a BOM stays: offsets are the file's own
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not valid UTF-8 (byte {exc.start}); convert it with iconv") from None


# -- Markdown ------------------------------------------------------------------------

_MD_LINE = [
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$", re.M), r"\1"),  # headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+(?=\S)", re.M), ""),  # list items
    (re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.M), ""),  # rules
    (re.compile(r"^[ \t]*```.*$", re.M), ""),  # code fences
]
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: their alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # reference links
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),  # strong
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis
    (re.compile(r"(?<![\w_])_(?=\S)(.+?)(?<=\S)_(?![\w_])"), r"\1"),
    (re.compile(r"~~(?=\S)(.+?)(?<=\S)~~"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),  # code
]


def plain_markdown(text: str) -> str:
    """Markdown as a reader sees it, for titles and snippets: headings, emphasis, links,
    list bullets and quote marks removed (``"## Leave"`` → ``"Leave"``). Only for display:
    citations keep the file's own text."""
    for pattern, repl in _MD_LINE:
        text = pattern.sub(repl, text)
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text


def display_text(text: str, source: str) -> str:
    """``text`` of document ``source`` as a reader sees it, for titles and snippets:
    Markdown without its markup, other formats as they are. Citations keep the stored text."""
    return plain_markdown(text) if is_markdown(source) else text


def is_markdown(source: str) -> bool:
    """Is ``source`` a Markdown document (shown without markup)?"""
    return kind_of("." + source.rsplit(".", 1)[-1]) == "markdown" if "." in source else False


# -- HTML ----------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    """All visible text of a page, by blocks (the fallback when no article is found)."""

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
    """The visible text, <title> and og:site_name of an HTML page."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [line.strip() for line in "".join(parser.parts).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    return text, parser.title.strip(), parser.site


def _html(data: bytes) -> Extracted:
    try:
        page = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # a page in another charset: trafilatura reads its declaration
        page = ""
    fallback, title, site = html_to_text(page or data.decode("utf-8", "replace"))
    article = _trafilatura(page or data)
    text = fallback
    main = article.text.strip() if article is not None else ""
    # Below ~250 characters trafilatura finds no article and falls back on its last
    # resorts (the whole page, sometimes on one line): the page's own blocks, navigation,
    # headers and footers left out, read better then.
    if len(main) >= SHORT_PAGE or (main and not fallback.strip()):
        text = main + "\n"
    return Extracted(
        text=text,
        kind="html",
        title=(article.title if article is not None and article.title else "") or title,
        outlet=(article.sitename if article is not None and article.sitename else None) or site,
        author=article.author if article is not None and article.author else None,
        date=article.date if article is not None and article.date else None,
    )


def _trafilatura(page: str | bytes) -> _Article | None:
    import logging

    import trafilatura

    logging.getLogger("trafilatura").setLevel(logging.ERROR)  # its own notes are not the user's concern
    logging.getLogger("htmldate").setLevel(logging.ERROR)
    try:
        doc = trafilatura.bare_extraction(page, with_metadata=True, include_comments=False, include_tables=True)
    except Exception:  # a page trafilatura cannot parse: the fallback reads it
        return None
    if doc is None:
        return None
    return _Article(
        text=str(getattr(doc, "text", "") or ""),
        title=_clean(getattr(doc, "title", None)),
        author=_clean(getattr(doc, "author", None)),
        date=_iso_date(getattr(doc, "date", None)),
        sitename=_clean(getattr(doc, "sitename", None)),
    )


@dataclass(frozen=True)
class _Article:
    text: str
    title: str | None
    author: str | None
    date: str | None
    sitename: str | None


def _clean(value: object) -> str | None:
    text = " ".join(str(value).split()) if value else ""
    return text[:300] or None


def _iso_date(value: object) -> str | None:
    match = re.match(r"(\d{4})-(\d{2})-(\d{2})", str(value or ""))
    return "-".join(match.groups()) if match else None


# -- PDF -----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?:;\"'”’)\]]$")
_BULLET = re.compile(r"^(?:[-•*–]|\d{1,3}[.)])\s")


def unwrap_lines(page: str) -> str:
    """A PDF page's lines joined into paragraphs: a line continues the paragraph unless it
    is blank, or ends a sentence well short of the page's full line width, or the next
    line is a list item. Words hyphenated across lines are joined."""
    lines = [line.strip() for line in page.splitlines()]
    width = max((len(line) for line in lines), default=0)
    paragraphs: list[str] = []
    current = ""
    for n, line in enumerate(lines):
        if not line:
            if current:
                paragraphs.append(current)
            current = ""
            continue
        if current.endswith("-") and len(current) > 1 and current[-2].isalpha() and line[:1].islower():
            current = current[:-1] + line
        else:
            current = f"{current} {line}" if current else line
        following = lines[n + 1] if n + 1 < len(lines) else ""
        ends = _SENTENCE_END.search(line) is not None and len(line) < 0.8 * width
        if ends or _BULLET.match(following) or (len(line) < 0.5 * width and not following[:1].islower()):
            paragraphs.append(current)
            current = ""
    if current:
        paragraphs.append(current)
    return "\n".join(paragraphs)


def _pdf(data: bytes) -> Extracted:
    if not data.lstrip()[:5] == b"%PDF-":
        raise CorpusError("not a PDF file (no %PDF header)")
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # warnings about damaged but readable files
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise CorpusError("an encrypted PDF: save a copy without a password and add that")
        count = len(reader.pages)
        if count > MAX_PDF_PAGES:
            raise CorpusError(f"a PDF of {count} pages (the limit is {MAX_PDF_PAGES}): split it")
        texts = [unwrap_lines(page.extract_text() or "") for page in reader.pages]
        info = reader.metadata
    except CorpusError:
        raise
    except Exception as exc:
        raise CorpusError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    starts: list[int] = []
    text = ""
    for page_text in texts:
        if text:
            text += "\n\n"
        starts.append(len(text))
        text += page_text
    if not text.strip():
        raise CorpusError("a PDF without text (a scan?): run OCR on it first, e.g. ocrmypdf")
    title = _clean(getattr(info, "title", None)) if info else None
    if title and re.match(r"(?i)^(untitled|microsoft word - |document\d*$)", title):
        title = None
    created = getattr(info, "creation_date", None) if info else None
    date = created.strftime("%Y-%m-%d") if created is not None and hasattr(created, "strftime") else None
    author = _clean(getattr(info, "author", None)) if info else None
    return Extracted(text + "\n", "pdf", title=title or "", author=author, date=date, pages=tuple(starts))


# -- DOCX ----------------------------------------------------------------------------


def _docx(data: bytes) -> Extracted:
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise CorpusError("not a .docx file (not a zip archive)") from None
    if unpacked > MAX_DOCX_UNPACKED:
        raise CorpusError(f"a .docx that unpacks to {unpacked / 1e6:.0f} MB: not read")
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        lines: list[str] = []
        for block in document.iter_inner_content():
            if isinstance(block, docx.table.Table):
                for row in block.rows:
                    cells = [" ".join(c.text.split()) for c in row.cells]
                    lines.append(" | ".join(dict.fromkeys(c for c in cells if c)))
            else:
                lines.append(block.text.strip())
        props = document.core_properties
    except Exception as exc:
        raise CorpusError(f"not a readable .docx ({type(exc).__name__}: {exc})") from None
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
    created = props.created
    return Extracted(
        text,
        "docx",
        title=_clean(props.title) or "",
        author=_clean(props.author),
        date=created.strftime("%Y-%m-%d") if created else None,
    )
