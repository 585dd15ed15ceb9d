"""What the index holds, and taking documents out of it: ``documents()``, ``remove()``,
``document_text()``."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .corpus import identity
from .embedding import get_embedder
from .errors import DocumentNotFoundError
from .ingest import WRITE_LOCK
from .store import DocRecord, Store

log = logging.getLogger("rag")


@dataclass(frozen=True)
class IndexedDocument:
    """One document of the index, as ``rag list`` shows it."""

    source: str
    """Its name in the index: what citations give and ``remove`` takes."""
    title: str
    outlet: str | None
    date: str | None
    author: str | None
    chunks: int
    ingested: str
    """When this version was ingested (UTC, ISO 8601; "" for an index built before this was kept)."""
    path: str
    """The file it was read from ("" for an index built before paths were kept)."""
    kind: str
    """"text", "markdown", "html", "pdf" or "docx"."""
    pages: int
    """Pages of a PDF (0 for other formats)."""
    sha256: str
    exists: bool
    """Whether its file is still there (a document whose file is gone stays until removed)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _store(config: Config) -> Store:
    return Store.open(config, get_embedder(config.embedder).name)


def _indexed(r: DocRecord) -> IndexedDocument:
    return IndexedDocument(
        r.source,
        r.title,
        r.outlet,
        r.date,
        r.author,
        r.chunks,
        r.ingested,
        r.path,
        r.kind or _kind(r.source),
        len(r.pages),
        r.sha256,
        bool(r.path) and os.path.exists(r.path),
    )


def _kind(source: str) -> str:
    from .formats import kind_of

    return kind_of(Path(source).suffix) or ""


def documents(config: Config | None = None) -> list[IndexedDocument]:
    """Every document in the index, by name. Raises ``IndexNotFoundError`` when there is
    no index yet (``rag ingest`` builds it)."""
    config = config or Config.from_env()
    return [_indexed(r) for _, r in sorted(_store(config).documents().items())]


def document_text(source: str, config: Config | None = None) -> str:
    """The stored text of a document: every citation of it is ``text[start:end]``. Raises
    ``DocumentNotFoundError`` when the index holds no document named ``source``."""
    return _store(config or Config.from_env()).document_text(source)


def _matches(name: str, records: dict[str, DocRecord]) -> list[str]:
    """The documents ``name`` stands for: a document's name, the path of its file however
    typed, or a folder (every document whose file is under it)."""
    if name in records:
        return [name]
    path = Path(os.path.expanduser(name))
    wanted = identity(path)
    folder = Path(wanted) if not path.is_file() else None
    return [
        r.source
        for r in records.values()
        if r.path and (r.path == wanted or (folder is not None and Path(r.path).is_relative_to(folder)))
    ]


def remove(sources: str | Iterable[str], config: Config | None = None) -> list[str]:
    """Take documents out of the index: each of ``sources`` is a document's name (as
    ``documents()`` and citations give it), the path of its file, or a folder (all its
    documents). Files stay where they are, except uploads the web chat keeps
    (``Config.uploads()``), which are deleted with their document. Returns the names
    removed. Raises ``DocumentNotFoundError``, removing nothing, when one matches no
    document."""
    config = config or Config.from_env()
    names = [sources] if isinstance(sources, str) else list(sources)
    with WRITE_LOCK:
        store = _store(config)
        records = store.documents()
        chosen: list[str] = []
        unknown: list[str] = []
        for name in names:
            found = _matches(name, records)
            (chosen.extend(found) if found else unknown.append(name))
        if unknown:
            raise DocumentNotFoundError(
                f"Not in the index: {', '.join(map(repr, unknown))}. `rag list` shows what is; nothing was removed."
            )
        removed = list(dict.fromkeys(chosen))
        uploads = config.uploads().resolve()
        for source in removed:
            store.delete_document(source)
            path = records[source].path
            if path and Path(path).is_relative_to(uploads):
                Path(path).unlink(missing_ok=True)
        if removed:
            store.bump_version()
    log.info("removed %s", ", ".join(removed))
    return removed
