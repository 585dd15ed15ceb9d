from __future__ import annotations

import numpy as np

from rag.embedding import HashingEmbedder, MiniLMEmbedder, model_path


def test_numpy_minilm_matches_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    texts = ["Who replaced Sutskever as chief scientist?", "Pachocki was appointed as chief scientist. " * 20, "hi"]
    ours = MiniLMEmbedder().embed(texts)
    reference = SentenceTransformer(str(model_path()), device="cpu").encode(texts, normalize_embeddings=True)
    assert ours.shape == (3, 384)
    assert np.abs(ours - reference).max() < 1e-4


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    e = HashingEmbedder()
    a, b = e.embed(["Leike resigned", "Leike resigned"])
    assert np.array_equal(a, b) and abs(float(np.linalg.norm(a)) - 1) < 1e-6
