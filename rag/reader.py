"""The reader: a cross-encoder that reads the question and a candidate sentence together.

The sentence model (``rag.scoring``) sees a sentence through features computed apart from
the question (cosine of two vectors, shared terms, answer types); it cannot tell "Who
succeeded X?" from "Whom did X succeed?". The reader is the bundled all-MiniLM-L6-v2's
first layers (``depth`` in its file: 4) run on the pair ``[CLS] question [SEP] sentence
[SEP]`` (the sentence as the second segment), its token states mean-pooled and scored by
a linear head: a logit that the sentence answers the question. Those layers and the head
were fitted on the SQuAD fitting split by ``python benchmarks/fit_reader.py`` and ship as
plain numbers in ``rag/data/reader.safetensors``; the word and position embeddings are
the bundled model's own.

It reads only the best few candidates of a question (``READ``). They are read by
onnxruntime (two threads when it is the only answer being read, else one: ``THREADS``)
on a graph of the reader's layers, exported once from the merged weights (torch and
onnx, a few seconds) and cached beside the embedder's under ``~/.cache/citewise``, keyed
by a hash of those weights and the torch and onnxruntime versions. Should the graph fail
to build or run, the reader logs why and reads in NumPy (``rag.embedding.bert_states``,
one BLAS thread) from then on: the same logits within 1e-5, about 2x slower. A process's
first read is in NumPy too: a one-shot answer would not win back the cost of opening
onnxruntime.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .embedding import bert_states, get_embedder, mean_pooled, model_path
from .errors import ConfigError
from .minilm import cached_graph, export_encoder, open_session, padded

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from .embedding import MiniLMEmbedder

READER_FILE = Path(__file__).with_name("data") / "reader.safetensors"
READ = 4
"""Candidates the reader reads per question (the sentence model's best)."""
MAX_PAIR_TOKENS = 128
"""Word pieces of a question-sentence pair; longer pairs lose the end of the longer text."""
HEAD = ("head.weight", "head.bias")
THREADS = 2
"""The reader's onnxruntime threads when it is the only answer being read (at most the
machine's cores). A question's 4 pairs (4 x 46 word pieces) on this 2-core machine: 18 ms
with two threads, 28 ms with one, 37 ms in NumPy. While another answer is being read, a
read takes one thread: a web chat answering 50 users gave 10.6 answers/s with one thread
and 9.2 with two (``benchmarks/ui_load.py``), two readers on two threads each splitting
the cores four ways."""
_WORDS = "embeddings.word_embeddings.weight"

log = logging.getLogger("rag")


@dataclass(frozen=True)
class ReaderInfo:
    layers: tuple[int, ...]
    """The bundled model's layers replaced by fitted ones."""
    about: dict[str, Any]


def pair_tokenizer(root: Path) -> Tokenizer:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(root / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_PAIR_TOKENS, strategy="longest_first")
    return tokenizer


def encode_pairs(tokenizer: Tokenizer, pairs: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded ids, mask and token types (1 on the second text's word pieces) of
    (question, sentence) pairs."""
    encodings = tokenizer.encode_batch(pairs)
    ids, mask = padded([e.ids for e in encodings])
    types, _ = padded([e.type_ids for e in encodings])
    return ids, mask, types


def graph_path(w: dict[str, np.ndarray]) -> Path:
    """Where the graph of the reader weights ``w`` is cached (``rag.minilm.cached_graph``,
    keyed by a hash of every weight but the word table)."""
    h = hashlib.blake2b(digest_size=12)
    for key in sorted(k for k in w if k != _WORDS):
        h.update(key.encode())
        h.update(np.ascontiguousarray(w[key]).tobytes())
    return cached_graph("reader", h.hexdigest())


class _Engine:
    """The reader's layers run by onnxruntime on the cached graph (built when missing or
    unreadable): a session with ``THREADS`` threads for a read alone, and a one-thread
    session for reads beside others (opened the first time two reads meet: a command
    line answer never needs it)."""

    def __init__(self, w: dict[str, np.ndarray]) -> None:
        path = graph_path(w)
        threads = max(1, min(THREADS, os.cpu_count() or 1))
        try:
            self._wide = open_session(path, threads)
        except Exception as exc:  # a missing, truncated or foreign file: export it again
            log.info("Building the reader's graph (once, a few seconds): %s (%s)", path, type(exc).__name__)
            export_encoder(_torch_weights(w), path, types=True)
            self._wide = open_session(path, threads)
        self._path = path
        self._narrow: Any = None if threads > 1 else self._wide  # opened when first needed
        self._words = w[_WORDS]
        self._lock = threading.Lock()
        self._reading = 0

    def states(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        feed = {"words": np.ascontiguousarray(self._words[ids]), "mask": mask, "types": types}
        with self._lock:
            alone = self._reading == 0
            self._reading += 1
            if not alone and self._narrow is None:
                self._narrow = open_session(self._path, 1)
            session = self._wide if alone else self._narrow
        try:
            (states,) = session.run(None, feed)
        finally:
            with self._lock:
                self._reading -= 1
        return cast(np.ndarray, states)


def _torch_weights(w: dict[str, np.ndarray]) -> dict[str, Any]:
    """``w`` as torch tensors in torch's orientation (the encoder's matrices transposed
    back), the word table left out."""
    import torch

    return {
        k: torch.from_numpy(np.ascontiguousarray(v.T) if k.startswith("encoder.") and v.ndim == 2 else v.copy())
        for k, v in w.items()
        if k != _WORDS
    }


def pooled_logits(states: np.ndarray, mask: np.ndarray, head_weight: np.ndarray, head_bias: np.float32) -> np.ndarray:
    return cast(np.ndarray, mean_pooled(states, mask) @ head_weight + head_bias)


class Reader:
    """Scores question-sentence pairs: ``logits(question, sentences)``."""

    def __init__(self, fitted: Path = READER_FILE, base: dict[str, np.ndarray] | None = None) -> None:
        """``base``: the bundled model's weights as ``MiniLMEmbedder.weights`` holds them
        (shared, not copied; loaded from the embedder when not given)."""
        from safetensors import safe_open
        from safetensors.numpy import load_file

        if not fitted.is_file():
            raise ConfigError(f"The reader's weights are missing ({fitted}): run python benchmarks/fit_reader.py")
        with safe_open(str(fitted), "np") as f:
            about = json.loads((f.metadata() or {}).get("about", "{}"))
        own = {k: v.astype(np.float32) for k, v in load_file(str(fitted)).items()}
        depth = int(about.get("depth", 6))
        if base is None:
            base = cast("MiniLMEmbedder", get_embedder("minilm")).weights
        w = {k: v for k, v in base.items() if not k.startswith("encoder.layer.") or int(k.split(".")[2]) < depth}
        for key, value in own.items():
            if key.startswith("encoder.") and value.ndim == 2:
                value = np.ascontiguousarray(value.T)  # x @ W, as bert_states reads them
            if key not in HEAD:
                w[key] = value
        self._w = w
        self._head = own["head.weight"].reshape(-1), np.float32(own["head.bias"].reshape(-1)[0])
        layers = tuple(sorted({int(k.split(".")[2]) for k in own if k.startswith("encoder.layer.")}))
        self.info = ReaderInfo(layers, about)
        self._tokenizer = pair_tokenizer(model_path())
        from threadpoolctl import ThreadpoolController

        self._blas = ThreadpoolController()
        self._engine: _Engine | None = None
        self._numpy_only = False
        self._read_once = False
        self._engine_lock = threading.Lock()
        self.engine = "numpy"
        """What read the last pairs: "numpy" (a process's first read, or every read once
        the graph has failed) or "onnxruntime"."""

    def logits(self, question: str, sentences: list[str]) -> np.ndarray:
        """One logit per sentence: does it answer ``question``?"""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        ids, mask, types = encode_pairs(self._tokenizer, [(question, s) for s in sentences])
        return pooled_logits(self._states(ids, mask, types), mask, *self._head)

    def _states(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        """A process's first read is in NumPy: a one-shot ``rag ask`` would spend more on
        opening onnxruntime (about 0.4 s) than it saves (about 20 ms). From the second read
        on, onnxruntime."""
        with self._engine_lock:
            first, self._read_once = not self._read_once, True
        if not first and not self._numpy_only:
            try:
                with self._engine_lock:
                    if self._engine is None:
                        self._engine = _Engine(self._w)
                states = self._engine.states(ids, mask, types)
                self.engine = "onnxruntime"
                return states
            except Exception as exc:  # no graph can be built or run here: NumPy reads the same
                log.warning("The reader's onnxruntime engine failed (%s); reading in NumPy from now on.", exc)
                self._numpy_only = True
        self.engine = "numpy"
        return self.numpy_states(ids, mask, types)

    def numpy_states(self, ids: np.ndarray, mask: np.ndarray, types: np.ndarray) -> np.ndarray:
        """The token states by ``rag.embedding.bert_states`` (the fallback, and the reference)."""
        with self._blas.limit(limits=1, user_api="blas"):
            return bert_states(self._w, ids, mask, types)


_reader: Reader | None = None
_lock = threading.Lock()


def get_reader() -> Reader:
    """The reader, loaded once per process."""
    global _reader
    with _lock:
        if _reader is None:
            _reader = Reader()
        return _reader
