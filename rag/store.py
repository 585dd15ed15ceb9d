"""The Chroma index: a collection of chunks (with their vectors) and one of documents.

Vectors are always computed by Citewise and passed in explicitly (Chroma's own default
embedding function would try to download a model). A document's record is written
last, after its chunks: it is the commit marker that makes an ingest safe to interrupt
(see ``ingest.py``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import shutil
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config
from .errors import DocumentNotFoundError, IndexMismatchError, IndexNotFoundError, RagError, StoreUnavailableError

# chromadb's own annotations are narrower than what it accepts (dict configs, numpy
# rows); collections are handled as Any at this one boundary.
Collection = Any

log = logging.getLogger("rag")

FORMAT = "citewise-1"
# HNSW parameters chosen on purpose: Chroma's default ef_search (100 with M=16) loses
# recall on large collections; see benchmarks/README.md.
HNSW = {"space": "cosine", "ef_construction": 200, "ef_search": 200, "max_neighbors": 32}


@dataclass(frozen=True)
class DocRecord:
    """A document as the index knows it (its text is stored beside it)."""

    source: str
    """The document's name in the index: unique, stable, what citations give."""
    sha256: str
    chunker: str
    title: str
    outlet: str | None
    date: str | None
    author: str | None = None
    path: str = ""
    """The absolute path of the file it was read from: its identity ("" in older indexes)."""
    kind: str = ""
    """"text", "markdown", "html", "pdf" or "docx" ("" in older indexes)."""
    pages: tuple[int, ...] = ()
    """Where each page starts in the document text (PDF only)."""
    ingested: str = ""
    """When this version was ingested, UTC, ISO 8601."""
    chunks: int = 0
    """How many chunks it was cut into."""


def sentence_id(source: str, sha256: str, start: int, end: int) -> str:
    """The id of the vector of the sentence ``[start, end)`` of one version of a document."""
    return f"{source}#{sha256[:16]}@{start}-{end}"


_drops: dict[str, int] = {}
"""How often each index was dropped in this process (``Store.drop``): a ``Store`` opened
before holds collections that are gone."""


def _location(config: Config) -> str:
    return f"{config.chroma_url or config.index_dir.resolve()}|{config.collection}"


@dataclass(frozen=True)
class StoredChunk:
    id: str
    text: str
    source: str
    start: int
    end: int
    sha256: str


def _client(config: Config, create: bool) -> Any:
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if config.chroma_url:
        return _server_client(config, settings)
    path = config.index_dir
    if not create and not (path / "chroma.sqlite3").exists():
        raise IndexNotFoundError(f"No index at {path}: build it with `rag ingest` (or set RAG_INDEX_DIR).")
    path.mkdir(parents=True, exist_ok=True)
    try:
        return chromadb.PersistentClient(path=str(path), settings=settings)
    except Exception as exc:
        raise RagError(
            f"The index at {path} cannot be opened ({exc}). Delete that folder and run `rag ingest` to rebuild it."
        ) from exc


def _server_client(config: Config, settings: Any) -> Any:
    """A client of the Chroma server at ``config.chroma_url`` whose every request has a
    deadline of ``config.chroma_timeout`` seconds. Chroma's HTTP clients set no timeout
    of their own (their httpx client waits forever, and no setting changes that), so
    Citewise uses the async client (``chromadb.AsyncHttpClient``) and awaits each request
    with ``asyncio.wait_for``: a server that stops answering fails the call in time, and
    the cancelled request closes its connection (see ``_Guarded``)."""
    from urllib.parse import urlparse

    import chromadb

    url = urlparse(config.chroma_url)
    ssl = url.scheme == "https"
    connect = chromadb.AsyncHttpClient(
        host=url.hostname or "localhost", port=url.port or (443 if ssl else 8000), ssl=ssl, settings=settings
    )
    try:
        return _Guarded(_run(connect, config.chroma_timeout), config)
    except Exception as exc:
        raise StoreUnavailableError(_unreachable(config, exc)) from exc


def _unreachable(config: Config, exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return (
            f"The Chroma server at {config.chroma_url} does not answer (no reply within {config.chroma_timeout:g} s, "
            "RAG_CHROMA_TIMEOUT). Check that it is running (`chroma run --path DIR --port PORT`) or unset "
            "RAG_CHROMA_URL to use the embedded index."
        )
    return (
        f"The Chroma server at {config.chroma_url} does not answer ({type(exc).__name__}: {exc}). "
        "Start it (`chroma run --path DIR --port PORT`) or unset RAG_CHROMA_URL to use the embedded index."
    )


_loop: asyncio.AbstractEventLoop | None = None
_loop_lock = threading.Lock()


def _run(awaitable: Awaitable[Any], timeout: float) -> Any:
    """Await ``awaitable`` on the event loop of the Chroma server clients (a daemon thread,
    started on first use), cancelled after ``timeout`` seconds (``TimeoutError``)."""
    global _loop
    with _loop_lock:
        if _loop is None:
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="citewise-chroma", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(_bounded(awaitable, timeout), _loop).result()


async def _bounded(awaitable: Awaitable[Any], timeout: float) -> Any:
    return await asyncio.wait_for(awaitable, timeout)


def _remove_chroma_files(path: Path) -> None:
    """Delete Chroma's own files in ``path`` (its database and segment folders)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    log.warning("The index at %s cannot be opened: deleting its Chroma files to rebuild it.", path)
    SharedSystemClient.clear_system_cache()  # forget clients still holding the old files open
    for child in path.iterdir():
        if child.name.startswith("chroma.sqlite3"):
            child.unlink()
        elif child.is_dir() and _UUID.fullmatch(child.name):
            shutil.rmtree(child)


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class _Guarded:
    """A Chroma client or collection whose failures (a server gone away, a corrupt file)
    surface as ``StoreUnavailableError`` with a message that says what to do. A call
    that returns an awaitable (the async client of a Chroma server) is awaited here,
    with ``config.chroma_timeout`` as its deadline."""

    def __init__(self, target: Any, config: Config) -> None:
        self._target = target
        self._config = config

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attr(*args, **kwargs)
                return _run(result, self._config.chroma_timeout) if inspect.isawaitable(result) else result
            except RagError:
                raise
            except Exception as exc:
                if self._config.chroma_url:
                    raise StoreUnavailableError(_unreachable(self._config, exc)) from exc
                raise StoreUnavailableError(
                    f"The index at {self._config.index_dir} cannot be read ({type(exc).__name__}: {exc}). "
                    "Run `rag ingest --rebuild` (or delete that folder) to build it again."
                ) from exc

        return call


class Store:
    """One open index. Cheap to keep; open it with ``Store.open``."""

    def __init__(
        self,
        chunks: Collection,
        sentences: Collection,
        docs: Collection,
        location: str = "",
        reopen: Callable[[], Any] | None = None,
    ) -> None:
        self._chunks = chunks
        self._sentences = sentences
        self._docs = docs
        self._location = location
        self._drops = _drops.get(location, 0)
        self._reopen = reopen
        """Gets the docs collection afresh: its metadata (the version) is read when the
        collection is opened, and another ``Store`` may have changed it since."""

    def dropped(self) -> bool:
        """Was this index dropped (``rag ingest --rebuild``) in this process since this
        ``Store`` was opened? Then its collections are gone: open it again."""
        return _drops.get(self._location, 0) != self._drops

    @classmethod
    def open(cls, config: Config, embedder: str, create: bool = False, any_embedder: bool = False) -> Store:
        """The index of ``config``. ``any_embedder`` opens one built with another embedder
        too (to read its records before a rebuild)."""
        client = _client(config, create)
        try:
            return cls._open(client, config, embedder, create, any_embedder)
        except RagError:
            raise
        except Exception as exc:  # a corrupt index file, a server that went away
            where = config.chroma_url or config.index_dir
            raise StoreUnavailableError(
                f"The index at {where} cannot be opened ({type(exc).__name__}: {exc}). "
                "Run `rag ingest --rebuild` (or delete that folder) to build it again."
            ) from exc

    @classmethod
    def _open(cls, client: Any, config: Config, embedder: str, create: bool, any_embedder: bool = False) -> Store:
        names = {c.name for c in client.list_collections()}
        chunks_name, docs_name = f"{config.collection}-chunks", f"{config.collection}-docs"
        if not create and chunks_name not in names:
            where = config.chroma_url or config.index_dir
            raise IndexNotFoundError(f"The index at {where} has no collection {chunks_name!r}: run `rag ingest`.")
        chunks = client.get_or_create_collection(
            chunks_name,
            embedding_function=None,
            configuration={"hnsw": HNSW},
            metadata={"format": FORMAT, "embedder": embedder},
        )
        meta = chunks.metadata or {}
        if (meta.get("embedder") != embedder or meta.get("format") != FORMAT) and not any_embedder:
            raise IndexMismatchError(
                f"The index at {config.index_dir} was built with embedder {meta.get('embedder')!r} "
                f"(format {meta.get('format')!r}) but {embedder!r} is configured: rebuild it with "
                "`rag ingest --rebuild`, or set RAG_INDEX_DIR to another folder."
            )
        sentences = client.get_or_create_collection(
            f"{config.collection}-sentences", embedding_function=None, configuration={"hnsw": HNSW}
        )
        docs = client.get_or_create_collection(docs_name, embedding_function=None, metadata={"version": 0})
        guarded = _Guarded(client, config)
        return cls(
            _Guarded(chunks, config),
            _Guarded(sentences, config),
            _Guarded(docs, config),
            _location(config),
            lambda: guarded.get_collection(docs_name, embedding_function=None),
        )

    @staticmethod
    def drop(config: Config) -> None:
        """Delete both collections (``rag ingest --rebuild``); other files stay."""
        if not config.chroma_url and not (config.index_dir / "chroma.sqlite3").exists():
            return
        _drops[_location(config)] = _drops.get(_location(config), 0) + 1
        try:
            client = _client(config, create=False)
            client.list_collections()
        except Exception:
            if config.chroma_url:
                raise
            _remove_chroma_files(config.index_dir)  # corrupt: start afresh, keep other files
            return
        for name in (f"{config.collection}-{part}" for part in ("chunks", "sentences", "docs")):
            if name in {c.name for c in client.list_collections()}:
                client.delete_collection(name)

    # -- documents -------------------------------------------------------------------
    def documents(self) -> dict[str, DocRecord]:
        got = self._docs.get(include=["metadatas"])
        records = {}
        for m in got["metadatas"] or []:
            pages = str(m.get("pages") or "")
            records[str(m["source"])] = DocRecord(
                source=str(m["source"]),
                sha256=str(m["sha256"]),
                chunker=str(m["chunker"]),
                title=str(m["title"]),
                outlet=_opt(m.get("outlet")),
                date=_opt(m.get("date")),
                author=_opt(m.get("author")),
                path=str(m.get("path") or ""),
                kind=str(m.get("kind") or ""),
                pages=tuple(int(x) for x in pages.split(",")) if pages else (),
                ingested=str(m.get("ingested") or ""),
                chunks=int(str(m.get("chunks") or 0)),
            )
        return records

    def document_text(self, source: str) -> str:
        got = self._docs.get(ids=[source], include=["documents"])
        if not got["ids"]:
            raise DocumentNotFoundError(f"{source!r} is not in the index: `rag list` shows what is.")
        return str((got["documents"] or [""])[0])

    def put_documents(self, records: list[DocRecord], texts: list[str]) -> None:
        metas: list[dict[str, Any]] = [
            {
                k: ",".join(map(str, v)) if isinstance(v, tuple) else v
                for k, v in r.__dict__.items()
                if v is not None and v != "" and v != ()
            }
            for r in records
        ]
        # Chroma needs a vector for every record; documents are never searched by vector.
        self._docs.upsert(
            ids=[r.source for r in records], embeddings=[[1.0]] * len(records), documents=texts, metadatas=metas
        )

    def delete_document(self, source: str) -> None:
        self._chunks.delete(where={"source": source})
        self._sentences.delete(where={"source": source})
        self._docs.delete(ids=[source])

    def version(self) -> int:
        """A number that changes whenever an ingest commits (to refresh caches)."""
        return int(str(self._metadata().get("version", 0)))

    def _metadata(self) -> dict[str, Any]:
        """The docs collection's metadata as stored now (written by any process)."""
        collection = self._reopen() if self._reopen is not None else self._docs
        return dict(collection.metadata or {})

    def bump_version(self) -> None:
        self._set_meta(version=time.time_ns())

    def unfinished_ingest(self) -> str:
        """What an ingest that has not finished (stopped, or still running) was given ("" if none)."""
        return str(self._metadata().get("ingesting", ""))

    def mark_ingest(self, what: str) -> None:
        """Record that an ingest of ``what`` is under way ("" when it has finished)."""
        self._set_meta(ingesting=what or None)

    def _set_meta(self, **changes: Any) -> None:
        # Chroma replaces a collection's metadata as a whole: write every key each time.
        meta = self._metadata() | changes
        self._docs.modify(metadata={k: v for k, v in meta.items() if v is not None})

    def chunk_rows(self, source: str, sha256: str) -> tuple[list[str], list[Any], list[str], list[dict[str, Any]]]:
        """(ids, vectors, texts, metadata) of the chunks of one version of a document."""
        where: Any = {"$and": [{"source": source}, {"sha256": sha256}]}
        got = self._chunks.get(where=where, include=["embeddings", "documents", "metadatas"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return list(got["ids"]), list(vectors), list(got["documents"] or []), [dict(m) for m in got["metadatas"] or []]

    def sentence_rows(self, source: str, sha256: str) -> tuple[list[Any], list[dict[str, Any]]]:
        """(vectors, metadata) of the sentence vectors of one version of a document."""
        where: Any = {"$and": [{"source": source}, {"sha256": sha256}]}
        got = self._sentences.get(where=where, include=["embeddings", "metadatas"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return list(vectors), [dict(m) for m in got["metadatas"] or []]

    # -- chunks ----------------------------------------------------------------------
    def add_chunks(self, ids: list[str], vectors: np.ndarray, texts: list[str], metas: list[dict[str, Any]]) -> None:
        self._chunks.upsert(ids=ids, embeddings=vectors, documents=texts, metadatas=metas)

    def delete_stale_chunks(self, source: str, sha256: str) -> None:
        """Remove chunks of ``source`` that belong to another version of it."""
        stale: Any = {"$and": [{"source": source}, {"sha256": {"$ne": sha256}}]}
        self._chunks.delete(where=stale)
        self._sentences.delete(where=stale)

    def add_sentences(self, ids: list[str], vectors: np.ndarray, metas: list[dict[str, Any]]) -> None:
        self._sentences.upsert(ids=ids, embeddings=vectors, metadatas=metas)

    def nearest_sentences(self, vector: np.ndarray, n: int) -> list[tuple[str, int, int, str, float]]:
        """(source, start, end, sha256, cosine similarity) of the ``n`` nearest sentences."""
        n = min(n, self._sentences.count())
        if n == 0:
            return []
        got = self._sentences.query(query_embeddings=[vector], n_results=n, include=["metadatas", "distances"])
        # After a killed ingest, Chroma can return a vector whose record was never written
        # (metadata None): it belongs to no committed document and is left out.
        return [
            (str(m["source"]), int(m["start"]), int(m["end"]), str(m["sha256"]), 1.0 - float(d))
            for m, d in zip((got["metadatas"] or [[]])[0], (got["distances"] or [[]])[0], strict=True)
            if m is not None
        ]

    def sentence_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the sentences with these ids (missing ids are left out)."""
        if not ids:
            return {}
        got = self._sentences.get(ids=ids, include=["embeddings"])
        vectors = got["embeddings"] if got["embeddings"] is not None else []
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], vectors, strict=True)}

    def all_chunks(self) -> list[StoredChunk]:
        out: list[StoredChunk] = []
        total, page = self._chunks.count(), 5000
        for offset in range(0, total, page):
            got = self._chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            for cid, text, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True):
                if m is None or text is None:  # a half-written record of a killed ingest
                    continue
                out.append(
                    StoredChunk(
                        cid,
                        str(text),
                        str(m["source"]),
                        int(m["start"]),
                        int(m["end"]),
                        str(m["sha256"]),
                    )
                )
        return out

    def nearest(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """Ids and cosine similarities of the ``n`` chunks nearest to ``vector``."""
        n = min(n, self._chunks.count())
        if n == 0:
            return []
        got = self._chunks.query(query_embeddings=[vector], n_results=n, include=["distances"])
        return [(cid, 1.0 - float(d)) for cid, d in zip(got["ids"][0], (got["distances"] or [[]])[0], strict=True)]


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)
