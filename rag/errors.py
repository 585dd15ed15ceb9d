"""The exceptions Citewise raises. Each message says what went wrong and how to fix it;
the CLI and the web UI turn them into user messages, the library never prints."""

from __future__ import annotations


class RagError(Exception):
    """Base class of every error Citewise raises on purpose."""


class ConfigError(RagError):
    """A setting is invalid or a required package is missing."""


class InvalidQuestionError(RagError, ValueError):
    """The question is empty or otherwise unusable."""


class CorpusError(RagError):
    """The corpus folder is missing, empty, or holds no readable document."""


class IndexNotFoundError(RagError):
    """There is no index yet (run ``rag ingest``)."""


class IndexMismatchError(RagError):
    """The index was built with a different embedder or format than the one configured."""


class LLMError(RagError):
    """The language model could not be reached or gave no usable answer."""


class StoreUnavailableError(RagError):
    """The Chroma server cannot be reached, or the index cannot be read."""


class RequestTimeoutError(RagError):
    """A question took longer to answer than its time budget (``Config.request_timeout``)."""


class IndexEmptyError(RagError):
    """The index exists but holds no document (its first ingest was interrupted)."""


class DocumentNotFoundError(RagError, KeyError):
    """A document named to remove or read is not in the index."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
