"""The onnxruntime MiniLM engine (rag/minilm.py) and the pooled chunk vectors of an ingest."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from rag import Config, ingest
from rag.chunking import chunk_text
from rag.embedding import SMALL_BATCH, MiniLMEmbedder, get_embedder, model_path
from rag.ingest import _sentence_spans, pooled_chunk_vectors
from rag.minilm import OnnxMiniLM, buckets, graph_path
from rag.store import Store

from .conftest import SEEDS

TEXTS = [
    "Who replaced Sutskever as chief scientist?",
    "Pachocki was appointed as chief scientist upon Sutskever's resignation. " * 12,
    "hi",
    "The harbour council approved the budget on Tuesday, after a long debate about the ferry.",
    "Normans",
    "In 1066 the Normans crossed the Channel; the battle was fought near Hastings.",
    "A" * 3000,  # past 256 word pieces: truncated, as sentence-transformers does
    "Économie, café, naïve — accents and dashes.",
    "The quick brown fox jumps over the lazy dog.",
    "1 2 3 4 5 6 7 8 9 10",
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.asarray((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1)))


@pytest.fixture(scope="module")
def engine() -> OnnxMiniLM:
    return get_embedder("minilm").engine()  # type: ignore[attr-defined,no-any-return]


def test_onnx_vectors_match_sentence_transformers(engine: OnnxMiniLM) -> None:
    from sentence_transformers import SentenceTransformer

    reference = SentenceTransformer(str(model_path()), device="cpu").encode(TEXTS, normalize_embeddings=True)
    ours = engine.embed(TEXTS)
    assert ours.shape == (len(TEXTS), 384) and ours.dtype == np.float32
    assert _cosines(ours, reference).min() >= 0.99
    assert np.abs(ours - reference).max() < 1e-4  # fp32: the same numbers, not an approximation


def test_questions_and_documents_are_embedded_alike() -> None:
    """A question (a small batch: the NumPy engine) and an ingest (a large one: onnxruntime)."""
    embedder = get_embedder("minilm")
    assert isinstance(embedder, MiniLMEmbedder) and len(TEXTS) > SMALL_BATCH
    large = embedder.embed(TEXTS)
    small = np.concatenate([embedder.embed([t]) for t in TEXTS])
    assert _cosines(large, small).min() >= 0.999


def test_buckets_cover_every_text_once_sorted_by_length_within_budget() -> None:
    rng = random.Random(0)
    lengths = [rng.randint(1, 256) for _ in range(1000)]
    got = list(buckets(lengths, budget=2048, most=64))
    flat = [i for b in got for i in b]
    assert sorted(flat) == list(range(1000))
    assert [lengths[i] for i in flat] == sorted(lengths)
    for batch in got:
        assert len(batch) <= 64
        assert len(batch) == 1 or len(batch) * max(lengths[i] for i in batch) <= 2048
    assert list(buckets([300], budget=100)) == [[0]]  # one long text still gets a batch


def test_bucketed_embedding_keeps_the_order_of_the_texts(engine: OnnxMiniLM) -> None:
    shuffled = TEXTS[:]
    random.Random(1).shuffle(shuffled)
    together = engine.embed(shuffled * 3)
    alone = np.concatenate([engine.embed([t]) for t in shuffled])
    for copy in range(3):
        rows = together[copy * len(shuffled) : (copy + 1) * len(shuffled)]
        assert _cosines(rows, alone).min() > 0.9999


def test_pooled_chunk_vectors_are_the_mean_of_their_sentences_token_states(engine: OnnxMiniLM) -> None:
    text = (SEEDS / "003_75fce2261b805b1d.txt").read_text(encoding="utf-8")
    chunks = chunk_text(text, 128, 1)[:4]
    sentences = _sentence_spans(chunks)
    sums, counts = engine.sums([text[a:b] for a, b in sentences])
    pooled = pooled_chunk_vectors(chunks, sentences, sums, counts)
    ids = engine.tokenize([text[a:b] for a, b in sentences])
    for row, chunk in enumerate(chunks):
        states = []
        for i, (a, b) in enumerate(sentences):
            if chunk.start <= a and b <= chunk.end:
                s, mask = engine.states([ids[i]])  # this sentence alone: no padding
                assert mask.sum() == len(ids[i])
                states.append(s[0])
        assert len(states) >= 1
        mean = np.concatenate(states).mean(0)
        assert _cosines(pooled[row : row + 1], mean[None]).min() > 0.9999
        assert abs(float(np.linalg.norm(pooled[row])) - 1) < 1e-5


def test_an_ingest_stores_pooled_chunk_vectors_and_embeds_each_sentence_once(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder = get_embedder(config.embedder)
    seen: list[str] = []
    real = embedder.sums  # type: ignore[attr-defined]

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        seen.extend(texts)
        return real(texts)

    monkeypatch.setattr(embedder, "sums", counting)
    monkeypatch.setattr(embedder, "embed", lambda texts: pytest.fail("chunks are pooled, not embedded"))
    report = ingest(config=config, progress=False)
    store = Store.open(config, embedder.name)
    source = "001_6ddc891e9fff1a6d.txt"
    doc = store.documents()[source]
    text = (config.corpus_dir / source).read_text(encoding="utf-8")
    chunks = chunk_text(text, config.chunk_tokens, config.chunk_overlap)
    sentences = _sentence_spans(chunks)
    pieces = [chunk_text(p.read_text(encoding="utf-8"), 128, 1) for p in sorted(config.corpus_dir.iterdir())]
    assert len(seen) == sum(len(_sentence_spans(c)) for c in pieces)  # each sentence once, no chunk
    assert report.embedded == len(seen) + sum(len(c) for c in pieces)  # the report counts both
    sums, counts = real([text[a:b] for a, b in sentences])
    expected = pooled_chunk_vectors(chunks, sentences, sums, counts)
    _, vectors, _, metas = store.chunk_rows(source, doc.sha256)
    stored = {int(m["chunk_index"]): np.asarray(v) for v, m in zip(vectors, metas, strict=True)}
    assert len(stored) == len(chunks)
    for i in range(len(chunks)):
        assert _cosines(stored[i][None], expected[i : i + 1]).min() > 0.9999


def test_a_large_ingest_shows_texts_per_second_and_the_time_left(
    config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    ingest(config=config, progress=True)
    err = capsys.readouterr().err
    assert "Embedding chunks and sentences" in err
    assert "texts/s" in err  # the rate
    assert "<" in err  # tqdm's [elapsed<remaining]


def test_a_corrupt_cached_graph_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    weights = model_path() / "model.safetensors"
    path = graph_path(weights)
    assert path.is_relative_to(tmp_path) and not path.exists()
    first = OnnxMiniLM(model_path()).embed(TEXTS[:3])
    assert path.is_file() and 20e6 < path.stat().st_size < 60e6  # the encoder only, not the word table
    path.write_bytes(b"not a graph")
    again = OnnxMiniLM(model_path()).embed(TEXTS[:3])
    assert path.stat().st_size > 20e6
    assert np.abs(first - again).max() < 1e-6
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind
