"""The one settings object. Every field can be set from an environment variable named
``RAG_<FIELD>`` (e.g. ``RAG_INDEX_DIR``); code passes a ``Config`` explicitly."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError

# The checkout this package lives in (an editable install): its seeds/ and index/ folders
# are the defaults, so `rag ask` works from any working directory.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_dir(name: str) -> Path:
    here = PROJECT_ROOT / name
    return here if (PROJECT_ROOT / "pyproject.toml").exists() else Path.cwd() / name


ANSWERERS = ("extractive", "llm")


@dataclass(frozen=True)
class Config:
    """Where the corpus and the index live, and how retrieval and answering behave.

    >>> Config(index_dir=Path("/tmp/my-index"), k=3)  # doctest: +ELLIPSIS
    Config(...)
    """

    corpus_dir: Path = field(default_factory=lambda: _default_dir("seeds"))
    """Folder of .txt/.md/.html articles; built into the index on first use."""
    index_dir: Path = field(default_factory=lambda: _default_dir("index"))
    """Where the embedded Chroma index is persisted (and, in server mode, local caches)."""
    chroma_url: str = ""
    """A Chroma server (``chroma run``), e.g. http://127.0.0.1:8000: the index lives there
    instead of in ``index_dir``."""
    chroma_timeout: float = 30.0
    """Seconds to wait for the Chroma server before giving up."""
    collection: str = "citewise"
    """Name prefix of the Chroma collections."""
    embedder: str = "minilm"
    """'minilm' (the bundled all-MiniLM-L6-v2) or 'hashing' (a fast fake for tests)."""
    chunk_tokens: int = 128
    """Chunk size in tiktoken (cl100k_base) tokens; chosen on the eval set (see README)."""
    chunk_overlap: int = 1
    """Sentences shared by consecutive chunks."""
    k: int = 5
    """Passages returned by retrieve() and read by ask()."""
    max_question_chars: int = 2000
    """Longer questions are truncated (with a warning) before retrieval; so is each
    earlier question of a conversation."""
    max_history: int = 20
    """Earlier questions of a conversation kept (the newest); older ones are dropped."""
    request_timeout: float = 10.0
    """Seconds one question may take to answer (retrieval and the extractive answer; the
    llm answerer's model has its own deadline, ``llm_timeout``)."""
    answerer: str = "extractive"
    """'extractive' (quotes the best sentences; the default) or 'llm' (a language model
    writes the answer, every sentence checked against its cited passages)."""
    llm_base_url: str = ""
    """An OpenAI-compatible endpoint for the llm answerer, e.g. http://127.0.0.1:11434/v1."""
    llm_model: str = ""
    """The model name the endpoint serves."""
    llm_api_key: str = field(default="", repr=False)
    """The endpoint's API key, if it needs one (never printed)."""
    llm_model_path: str = ""
    """A local GGUF file run in-process instead of an endpoint (pip install -e '.[local-llm]')."""
    llm_timeout: float = 60.0
    """Seconds to wait for the endpoint to connect or to send the next piece of text."""
    llm_max_tokens: int = 256
    """Longest answer the model may write, in tokens."""
    examples: str = ""
    """Example questions the web chat offers, separated by ``;`` (RAG_EXAMPLES); by default
    they are made from the titles of the indexed articles."""
    upload_dir: str = ""
    """Where the web chat keeps the files uploaded to it (default: ``uploads/`` in the
    index folder); removing such a document deletes its file there."""
    max_upload_mb: int = 20
    """Largest upload the web chat accepts, in MB (all files of one upload together)."""

    def uploads(self) -> Path:
        """The folder uploaded files are kept in."""
        return Path(self.upload_dir).expanduser() if self.upload_dir else self.index_dir / "uploads"

    def example_questions(self) -> list[str]:
        """``examples`` split at ``;``, blanks dropped."""
        return [q.strip() for q in self.examples.split(";") if q.strip()]

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if self.k < 1:
            raise ConfigError(f"k must be at least 1, got {self.k}.")
        if self.chunk_tokens < 16:
            raise ConfigError(f"chunk_tokens must be at least 16, got {self.chunk_tokens}.")
        if self.answerer not in ANSWERERS:
            raise ConfigError(f"answerer must be one of {', '.join(ANSWERERS)}, got {self.answerer!r}.")
        if self.chroma_url and not self.chroma_url.startswith(("http://", "https://")):
            raise ConfigError(f"RAG_CHROMA_URL must start with http:// or https://, got {self.chroma_url!r}.")
        if self.llm_timeout <= 0 or self.chroma_timeout <= 0 or self.request_timeout <= 0:
            raise ConfigError("llm_timeout, chroma_timeout and request_timeout must be positive.")
        if self.max_question_chars < 1 or self.max_history < 0:
            raise ConfigError("max_question_chars must be at least 1 and max_history cannot be negative.")
        if self.max_upload_mb < 1:
            raise ConfigError(f"max_upload_mb must be at least 1, got {self.max_upload_mb}.")
        if self.chunk_overlap < 0:
            raise ConfigError(f"chunk_overlap cannot be negative, got {self.chunk_overlap}.")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Config:
        """Defaults, then ``RAG_*`` environment variables, then ``overrides``."""
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            if f.type in ("int", int):
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ConfigError(f"RAG_{f.name.upper()} must be a whole number, got {raw!r}.") from None
            elif f.type in ("float", float):
                try:
                    values[f.name] = float(raw)
                except ValueError:
                    raise ConfigError(f"RAG_{f.name.upper()} must be a number, got {raw!r}.") from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
