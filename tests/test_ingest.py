from __future__ import annotations

from pathlib import Path

import pytest

from rag import Config, ingest, retrieve
from rag.chunking import chunk_text
from rag.corpus import read_document
from rag.embedding import get_embedder
from rag.errors import CorpusError
from rag.ingest import _Batcher, _sentence_spans
from rag.store import Store


def _store(config: Config) -> Store:
    return Store.open(config, get_embedder(config.embedder).name)


def _chunk_keys(config: Config) -> list[tuple[str, int, int]]:
    return sorted((c.source, c.start, c.end) for c in _store(config).all_chunks())


def test_reingesting_an_unchanged_corpus_embeds_nothing_and_duplicates_nothing(config: Config) -> None:
    first = ingest(config=config, progress=False)
    assert len(first.added) == 5 and first.embedded > 0
    before = _chunk_keys(config)
    second = ingest(config=config, progress=False)
    assert second.embedded == 0 and len(second.unchanged) == 5 and not second.added
    assert _chunk_keys(config) == before
    assert len(before) == len(set(before))


def test_a_changed_file_replaces_its_chunks(built: Config) -> None:
    path = built.corpus_dir / "000_338d512e274bc2d7.txt"
    path.write_text("Zyxwv Quorble was appointed chief gardener of OpenAI on Monday.", encoding="utf-8")
    report = ingest(config=built, progress=False)
    assert report.updated == ["000_338d512e274bc2d7.txt"] and len(report.unchanged) == 4
    chunks = [c for c in _store(built).all_chunks() if c.source == "000_338d512e274bc2d7.txt"]
    assert [c.text for c in chunks] == ["Zyxwv Quorble was appointed chief gardener of OpenAI on Monday."]
    assert retrieve("Quorble gardener", k=1, config=built)[0].source == "000_338d512e274bc2d7.txt"


def test_a_removed_file_has_its_chunks_removed(built: Config) -> None:
    (built.corpus_dir / "004_490dfad3ab3b0151.txt").unlink()
    report = ingest(config=built, progress=False)
    assert report.removed == ["004_490dfad3ab3b0151.txt"]
    assert all(c.source != "004_490dfad3ab3b0151.txt" for c in _store(built).all_chunks())
    assert "004_490dfad3ab3b0151.txt" not in _store(built).documents()


def test_bad_files_are_skipped_and_the_rest_ingested(config: Config) -> None:
    (config.corpus_dir / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (config.corpus_dir / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1") + b"\xff\xfe")
    (config.corpus_dir / "empty.md").write_bytes(b"")
    report = ingest(config=config, progress=False)
    assert sorted(s.source for s in report.skipped) == ["binary.txt", "empty.md", "latin1.txt"]
    assert len(report.added) == 5


def test_an_empty_corpus_is_an_error_and_the_index_is_kept(built: Config, tmp_path: Path) -> None:
    before = _chunk_keys(built)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(CorpusError):
        ingest([empty], built, progress=False)
    with pytest.raises(CorpusError):
        ingest([tmp_path / "missing"], built, progress=False)
    assert _chunk_keys(built) == before


def test_an_ingest_that_fails_halfway_loses_nothing_and_is_completed_next_time(
    built: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _chunk_keys(built)
    old = _store(built).documents()
    for name in ("001_6ddc891e9fff1a6d.txt", "003_75fce2261b805b1d.txt"):
        path = built.corpus_dir / name
        extra = "\nA new closing sentence about Quorble.\n"
        path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    # Crash a few batches into the second changed document.
    first = read_document(built.corpus_dir / "001_6ddc891e9fff1a6d.txt", "001_6ddc891e9fff1a6d.txt")
    pieces = chunk_text(first.text, built.chunk_tokens, built.chunk_overlap)
    first_texts = len(pieces) + len(_sentence_spans(pieces))
    assert first_texts > 4
    monkeypatch.setattr(_Batcher, "SIZE", 4)  # one document per group: the first is embedded alone
    embedder = get_embedder(built.embedder)
    real_sums = embedder.sums  # type: ignore[attr-defined]
    calls = {"n": 0}

    def failing(texts: list[str]):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 1:
            raise RuntimeError("simulated crash")
        return real_sums(texts)

    monkeypatch.setattr(embedder, "sums", failing)
    with pytest.raises(RuntimeError):
        ingest(config=built, progress=False)
    monkeypatch.setattr(embedder, "sums", real_sums)
    halfway = _store(built).documents()
    assert halfway["001_6ddc891e9fff1a6d.txt"].sha256 == first.sha256  # committed
    assert halfway["003_75fce2261b805b1d.txt"].sha256 == old["003_75fce2261b805b1d.txt"].sha256  # not yet
    # Still answers from committed, verbatim spans: the old version of 003, nothing lost.
    passages = retrieve("OpenAI disperses superalignment safety team Pachocki", k=10, config=built)
    assert any(p.source == "003_75fce2261b805b1d.txt" for p in passages)
    for p in passages:
        assert "Quorble" not in p.text or p.source == "001_6ddc891e9fff1a6d.txt"
    report = ingest(config=built, progress=False)
    assert report.updated == ["003_75fce2261b805b1d.txt"]
    keys = _chunk_keys(built)
    assert len(keys) == len(set(keys))
    assert len(keys) >= len(before)
    stored = _store(built)
    docs = stored.documents()
    assert all(c.sha256 == docs[c.source].sha256 for c in stored.all_chunks())  # no orphans


def test_rebuild_keeps_other_files_in_the_index_folder(built: Config) -> None:
    (built.index_dir / "README.md").write_text("keep me", encoding="utf-8")
    report = ingest(config=built, rebuild=True, progress=False)
    assert len(report.added) == 5
    assert (built.index_dir / "README.md").read_text(encoding="utf-8") == "keep me"


def test_a_one_line_dump_is_cut_into_pieces_and_a_large_ingest_says_how_long_it_takes(
    config: Config, caplog: pytest.LogCaptureFixture
) -> None:
    import random

    from rag.chunking import count_tokens
    from rag.retrieval import searcher

    rng = random.Random(0)
    words = "alpha beta gamma delta quorble harbour budget council".split()
    (config.corpus_dir / "dump.txt").write_text(" ".join(rng.choice(words) for _ in range(120_000)) + "\n", "utf-8")
    with caplog.at_level("WARNING", logger="rag"):
        ingest(config=config, progress=False)
    assert "dump.txt has a sentence of" in caplog.text and "cut into" in caplog.text
    assert "This ingest embeds" in caplog.text and "about" in caplog.text and "Ctrl+C" in caplog.text
    pieces = [c for c in searcher(config).chunks if c.source == "dump.txt"]
    assert len(pieces) > 500 and max(count_tokens(c.text) for c in pieces) <= config.chunk_tokens
