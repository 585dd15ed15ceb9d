"""A per-process start-up cache: the committed chunks and their BM25 index, saved next to
the index after they are first built, so that a new process (`rag ask`) loads them in a
fraction of a second instead of reading every chunk from Chroma and re-indexing it.

A snapshot is plain data: one NumPy ``.npz`` file of number arrays and a UTF-8 JSON
document (the records and texts), read with ``allow_pickle=False``, so loading one runs
no code whatever the file holds. Its name is a content hash of what produced it: the
index (its location, collection and version, which every ingest commit changes) and the
code and stemmer that built it. A stale snapshot is never read, a changed format needs no
version bumped by hand, and an unreadable file is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from .config import Config
from .lexical import BM25
from .store import DocRecord, StoredChunk

log = logging.getLogger("rag")

_PRODUCERS = ("snapshot.py", "lexical.py", "store.py")
"""The modules whose code decides what a snapshot holds (a change to any makes a new key)."""


def _code_hash() -> str:
    import Stemmer

    digest = hashlib.sha256(str(Stemmer.version()).encode())
    here = Path(__file__).parent
    for name in _PRODUCERS:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def _where(config: Config) -> str:
    return f"{config.collection}-" + (
        "server-" + config.chroma_url.split("//", 1)[-1].replace("/", "_").replace(":", "_")
        if config.chroma_url
        else "local"
    )


def snapshot_key(config: Config, version: int) -> str:
    """The content hash a snapshot of this version of the index is saved under."""
    inputs = {
        "index": config.chroma_url or str(config.index_dir.resolve()),
        "where": _where(config),
        "version": version,
        "code": _code_hash(),
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def _path(config: Config, key: str) -> Path:
    return config.index_dir / "snapshots" / f"{_where(config)}-{key[:32]}.npz"


Snapshot = tuple[dict[str, DocRecord], list[StoredChunk], BM25]


def load_snapshot(config: Config, version: int) -> Snapshot | None:
    """What ``save_snapshot`` saved for this version of the index, or None."""
    key = snapshot_key(config, version)
    path = _path(config, key)
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {name: npz[name] for name in npz.files}
        meta = json.loads(arrays.pop("meta").tobytes().decode("utf-8"))
        if meta["key"] != key:
            return None
        docs = {d["source"]: DocRecord(**(d | {"pages": tuple(d["pages"])})) for d in meta["docs"]}
        sources = meta["sources"]
        chunks = [
            StoredChunk(cid, text, sources[s], int(a), int(b), docs[sources[s]].sha256)
            for cid, text, s, a, b in zip(
                meta["ids"], meta["texts"], arrays["source"], arrays["start"], arrays["end"], strict=True
            )
        ]
        bm25 = BM25.from_arrays(meta["terms"], {k[5:]: v for k, v in arrays.items() if k.startswith("bm25_")})
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: rebuild it
        log.warning("Ignoring the unreadable start-up cache %s (%s).", path, exc)
        return None
    return docs, chunks, bm25


def save_snapshot(
    config: Config, version: int, docs: dict[str, DocRecord], chunks: list[StoredChunk], bm25: BM25
) -> None:
    """Save the committed chunks of this version of the index and their BM25 index,
    atomically; the snapshots of other versions are removed (and any older pickled one)."""
    key = snapshot_key(config, version)
    path = _path(config, key)
    sources = sorted({c.source for c in chunks})
    number = {s: i for i, s in enumerate(sources)}
    terms, bm25_arrays = bm25.to_arrays()
    meta = {
        "key": key,
        "docs": [asdict(d) for d in docs.values()],
        "sources": sources,
        "ids": [c.id for c in chunks],
        "texts": [c.text for c in chunks],
        "terms": terms,
    }
    arrays: dict[str, Any] = {
        "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        "source": np.array([number[c.source] for c in chunks], dtype=np.int32),
        "start": np.array([c.start for c in chunks], dtype=np.int64),
        "end": np.array([c.end for c in chunks], dtype=np.int64),
    } | {f"bm25_{name}": array for name, array in bm25_arrays.items()}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.tmp{os.getpid()}.npz")
        np.savez(tmp, **arrays)
        tmp.replace(path)
        for old in [*path.parent.glob(f"{_where(config)}-*.npz"), *path.parent.glob(f"{config.collection}-*.pickle")]:
            if old != path and ".tmp" not in old.name:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only index folder: work without the cache
        log.debug("Could not save the start-up cache %s: %s", path, exc)
