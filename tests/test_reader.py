"""The reader (rag/reader.py): plain-data parameters fitted on the fitting split, the same
logits in NumPy as in the torch module it was fitted as, and pairs read as pairs."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.embedding import model_path
from rag.reader import HEAD, READER_FILE, Reader, encode_pairs, get_reader, pair_tokenizer, pooled_logits

QUESTION = "In what year did the harbour bridge open to traffic?"
SENTENCES = [
    "The harbour bridge opened to traffic in 1932, four years after work began.",
    "The harbour is home to a large fleet of ferries.",
    "Its steel arch was painted grey by a crew of sixty workers.",
    "The opera house was completed decades later.",
]


def test_parameters_are_plain_data_fitted_on_the_fitting_split() -> None:
    from safetensors import safe_open

    assert READER_FILE.stat().st_size < 25_000_000
    with safe_open(str(READER_FILE), "np") as f:
        about = json.loads((f.metadata() or {})["about"])
        keys = set(f.keys())
    assert "i % 3 == 1" in about["data"]  # not the measuring or reserved splits, not the seeds
    assert set(HEAD) <= keys
    reader = get_reader()
    assert reader.info.layers and max(reader.info.layers) < about["depth"]
    # the held-out articles: the reader picks the answering sentence more often than the cosine
    assert about["held_out"]["reader_top1"] > about["held_out"]["cosine_top1"]


def test_answering_sentence_scores_highest_and_order_does_not_matter() -> None:
    reader = get_reader()
    logits = reader.logits(QUESTION, SENTENCES)
    assert logits.shape == (len(SENTENCES),) and np.all(np.isfinite(logits))
    assert int(np.argmax(logits)) == 0
    # each pair is read on its own: batching and padding change nothing
    alone = np.array([reader.logits(QUESTION, [s])[0] for s in SENTENCES])
    np.testing.assert_allclose(alone, logits, atol=1e-4)
    assert reader.logits(QUESTION, []).shape == (0,)


def test_numpy_logits_match_the_torch_module_it_was_fitted_as() -> None:
    torch = pytest.importorskip("torch")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        import fit_reader
    finally:
        sys.path.pop(0)
    from safetensors.numpy import load_file

    reader = get_reader()
    model = fit_reader.Model(reader.info.about["depth"], len(reader.info.layers))
    fitted = {k: torch.from_numpy(v.astype(np.float32)) for k, v in load_file(str(READER_FILE)).items()}
    with torch.no_grad():
        for key in model.names:
            model.encoder.g(key).copy_(fitted[key])
        model.head.weight.copy_(fitted[HEAD[0]].reshape(1, -1))
        model.head.bias.copy_(fitted[HEAD[1]])
        tokenizer = pair_tokenizer(model_path())
        expected = model.logits(*encode_pairs(tokenizer, [(QUESTION, s) for s in SENTENCES])).numpy()
    np.testing.assert_allclose(reader.logits(QUESTION, SENTENCES), expected, atol=1e-3)


def test_long_pairs_are_truncated_not_refused() -> None:
    logits = get_reader().logits(QUESTION * 20, ["word " * 500])
    assert logits.shape == (1,) and np.isfinite(logits[0])


def test_missing_weights_say_how_to_make_them(tmp_path: Path) -> None:
    from rag.errors import ConfigError

    with pytest.raises(ConfigError, match=r"fit_reader\.py"):
        Reader(tmp_path / "reader.safetensors")


def test_onnxruntime_reads_what_numpy_reads() -> None:
    reader = Reader()
    first = reader.logits(QUESTION, SENTENCES)
    assert reader.engine == "numpy"  # a process's first read: opening onnxruntime would cost more
    logits = reader.logits(QUESTION, SENTENCES)
    assert reader.engine == "onnxruntime"
    np.testing.assert_allclose(logits, first, atol=1e-4)
    ids, mask, types = encode_pairs(pair_tokenizer(model_path()), [(QUESTION, s) for s in SENTENCES])
    reference = pooled_logits(reader.numpy_states(ids, mask, types), mask, *reader._head)
    np.testing.assert_allclose(logits, reference, atol=1e-4)


def test_a_corrupt_cached_reader_graph_is_built_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    reader = Reader()
    reader.logits(QUESTION, SENTENCES)  # the first read is in NumPy
    first = reader.logits(QUESTION, SENTENCES)
    (path,) = (tmp_path / "citewise").iterdir()
    assert path.name.startswith("reader-") and path.stat().st_size > 10e6
    path.write_bytes(b"not a graph")
    again = Reader()
    again.logits(QUESTION, SENTENCES)
    np.testing.assert_allclose(again.logits(QUESTION, SENTENCES), first, atol=1e-5)
    assert again.engine == "onnxruntime" and path.stat().st_size > 10e6
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_without_a_graph_the_reader_reads_in_numpy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import rag.reader

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(rag.reader, "export_encoder", broken)
    expected = get_reader().logits(QUESTION, SENTENCES)
    reader = Reader()
    with caplog.at_level("WARNING", logger="rag"):
        reader.logits(QUESTION, SENTENCES)
        np.testing.assert_allclose(reader.logits(QUESTION, SENTENCES), expected, atol=1e-4)
    assert reader.engine == "numpy"
    assert "read-only file system" in caplog.text and "NumPy" in caplog.text


def test_reads_side_by_side_give_what_a_read_alone_gives() -> None:
    from concurrent.futures import ThreadPoolExecutor

    reader = get_reader()
    alone = reader.logits(QUESTION, SENTENCES)
    questions = [QUESTION, "Who painted the steel arch?", "What was completed decades later?"] * 8
    expected = {q: reader.logits(q, SENTENCES) for q in set(questions)}
    with ThreadPoolExecutor(8) as pool:  # the web chat reads up to 8 answers at once
        together = list(pool.map(lambda q: reader.logits(q, SENTENCES), questions))
    for q, logits in zip(questions, together, strict=True):
        np.testing.assert_allclose(logits, expected[q], atol=1e-5)
    np.testing.assert_allclose(expected[QUESTION], alone, atol=1e-4)
