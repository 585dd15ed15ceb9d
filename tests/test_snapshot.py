"""The start-up snapshot is plain data (NumPy arrays and JSON, no pickle), keyed by a
content hash of what produced it, and used instead of reading every chunk again."""

from __future__ import annotations

import ast
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from rag import Config
from rag import snapshot as snapshot_module
from rag.retrieval import Searcher, forget
from rag.snapshot import load_snapshot, snapshot_key
from rag.store import Store

from .conftest import ROOT


def _forbid_pickle(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle was used")

    for name in ("load", "loads", "dump", "dumps", "Unpickler", "Pickler"):
        monkeypatch.setattr(pickle, name, refuse)


def _snapshots(config: Config) -> list[Path]:
    return sorted((config.index_dir / "snapshots").iterdir())


def test_the_snapshot_is_plain_data_and_gives_back_the_same_index(
    built: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_pickle(monkeypatch)
    forget(built)
    for old in (built.index_dir / "snapshots").glob("*"):
        old.unlink()
    first = Searcher(built)  # reads the chunks from Chroma and saves the snapshot
    [path] = _snapshots(built)
    assert path.suffix == ".npz" and snapshot_key(built, first.store.version())[:32] in path.name
    with np.load(path, allow_pickle=False) as npz:  # no object arrays: nothing to unpickle
        assert {npz[name].dtype.kind for name in npz.files} <= {"i", "u", "f"}
    assert all(n.endswith(".npy") for n in zipfile.ZipFile(path).namelist())

    monkeypatch.setattr(Store, "all_chunks", lambda self: pytest.fail("the snapshot was not used"))
    second = Searcher(built)
    assert second.chunks == first.chunks and second.docs == first.docs
    for question in ("Who replaced Sutskever as chief scientist?", "superalignment team Kokotajlo", "zzz"):
        assert np.array_equal(second.bm25.scores(question), first.bm25.scores(question))
    assert second.bm25.sound_alikes("sutskevar") == first.bm25.sound_alikes("sutskevar")


def test_a_snapshot_is_read_only_for_what_produced_it(built: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    version = Searcher(built).store.version()
    assert load_snapshot(built, version) is not None
    assert load_snapshot(built, version + 1) is None  # another version of the index
    other = Config(corpus_dir=built.corpus_dir, index_dir=built.index_dir, collection="other", embedder="hashing")
    assert load_snapshot(other, version) is None  # another index
    monkeypatch.setattr(snapshot_module, "_code_hash", lambda: "changed code or stemmer")
    assert load_snapshot(built, version) is None


def test_a_damaged_snapshot_is_ignored_and_rebuilt(
    built: Config, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    _forbid_pickle(monkeypatch)
    expected = Searcher(built).chunks
    [path] = _snapshots(built)
    path.write_bytes(path.read_bytes()[:200])  # truncated
    with caplog.at_level("WARNING", logger="rag"):
        assert Searcher(built).chunks == expected
    assert "unreadable start-up cache" in caplog.text
    [rebuilt] = _snapshots(built)
    assert rebuilt.stat().st_size > 200


def test_an_old_pickled_snapshot_is_never_loaded_and_is_removed(built: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = built.index_dir / "snapshots"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*"):
        old.unlink()
    planted = folder / f"{built.collection}-local-v1.pickle"
    planted.write_bytes(b"\x80\x04 not to be unpickled")
    _forbid_pickle(monkeypatch)
    forget(built)
    Searcher(built)
    assert not planted.exists() and [p.suffix for p in _snapshots(built)] == [".npz"]


def test_no_rag_module_uses_pickle() -> None:
    for path in (ROOT / "rag").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not {a.name.split(".")[0] for a in node.names} & {"pickle", "dill", "joblib"}, path
            elif isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] not in {"pickle", "dill", "joblib"}, path
            elif isinstance(node, ast.keyword) and node.arg == "allow_pickle":
                assert isinstance(node.value, ast.Constant) and node.value.value is False, path
