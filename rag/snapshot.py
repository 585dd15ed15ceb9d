"""A per-process start-up cache: the committed chunks and their BM25 index, saved next to
the index after they are first built, so that a new process (`rag ask`) loads them in a
fraction of a second instead of reading every chunk from Chroma and re-indexing it.

A snapshot belongs to one version of the index (bumped by every ingest commit): a stale
one is never used, and an unreadable one is rebuilt. The file is a pickle written by
Citewise into the index folder; like the index itself, that folder must be trusted.
"""

from __future__ import annotations

import logging
import os
import pickle
from pathlib import Path
from typing import Any

from .config import Config

log = logging.getLogger("rag")

FORMAT = 3


def _name(config: Config, version: int) -> Path:
    where = (
        "server-" + config.chroma_url.split("//", 1)[-1].replace("/", "_").replace(":", "_")
        if config.chroma_url
        else "local"
    )
    return config.index_dir / "snapshots" / f"{config.collection}-{where}-v{version}.pickle"


def load_snapshot(config: Config, version: int) -> Any | None:
    """What ``save_snapshot`` saved for this version of the index, or None."""
    path = _name(config, version)
    try:
        with path.open("rb") as f:
            stored_format, stored_version, data = pickle.load(f)
    except FileNotFoundError:
        return None
    except Exception as exc:  # a truncated or foreign file: rebuild it
        log.warning("Ignoring the unreadable start-up cache %s (%s).", path, exc)
        return None
    return data if (stored_format, stored_version) == (FORMAT, version) else None


def save_snapshot(config: Config, version: int, data: Any) -> None:
    """Save ``data`` for this version, atomically; older versions' files are removed."""
    path = _name(config, version)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        with tmp.open("wb") as f:
            pickle.dump((FORMAT, version, data), f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        prefix = path.name.rsplit("-v", 1)[0]
        for old in path.parent.glob(f"{prefix}-v*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError as exc:  # a read-only index folder: work without the cache
        log.debug("Could not save the start-up cache %s: %s", path, exc)
