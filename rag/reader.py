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

It reads only the best few candidates of a question (``READ``), in NumPy with one BLAS
thread like the question embedder: no torch or onnxruntime at question time.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from .embedding import bert_states, get_embedder, mean_pooled, model_path
from .errors import ConfigError
from .minilm import padded

if TYPE_CHECKING:
    from tokenizers import Tokenizer

    from .embedding import MiniLMEmbedder

READER_FILE = Path(__file__).with_name("data") / "reader.safetensors"
READ = 4
"""Candidates the reader reads per question (the sentence model's best)."""
MAX_PAIR_TOKENS = 128
"""Word pieces of a question-sentence pair; longer pairs lose the end of the longer text."""
HEAD = ("head.weight", "head.bias")


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

    def logits(self, question: str, sentences: list[str]) -> np.ndarray:
        """One logit per sentence: does it answer ``question``?"""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        ids, mask, types = encode_pairs(self._tokenizer, [(question, s) for s in sentences])
        with self._blas.limit(limits=1, user_api="blas"):
            states = bert_states(self._w, ids, mask, types)
        return pooled_logits(states, mask, *self._head)


_reader: Reader | None = None
_lock = threading.Lock()


def get_reader() -> Reader:
    """The reader, loaded once per process."""
    global _reader
    with _lock:
        if _reader is None:
            _reader = Reader()
        return _reader
