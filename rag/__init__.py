"""Citewise: answers from a corpus of articles, every sentence cited to its exact source.

>>> import rag
>>> n = rag.open_index()  # loads the index (builds the embedded one if it is missing)
>>> answer = rag.ask("Who took over the team after its leader resigned?")
>>> print(answer.text, answer.citations[0].source, answer.citations[0].start)
"""

from .answer import Answer
from .api import ask, ask_stream, open_index
from .config import ANSWERERS, Config
from .corpus import read_document
from .documents import IndexedDocument, document_text, documents, remove
from .errors import (
    ConfigError,
    CorpusError,
    DocumentNotFoundError,
    IndexEmptyError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidQuestionError,
    LLMError,
    RagError,
    RequestTimeoutError,
    StoreUnavailableError,
)
from .evidence import Version
from .formats import SUPPORTED as SUPPORTED_SUFFIXES
from .formats import display_text
from .ingest import IngestReport, ingest
from .retrieval import retrieve
from .spans import Citation, Passage

__all__ = [
    "ANSWERERS",
    "SUPPORTED_SUFFIXES",
    "Answer",
    "Citation",
    "Config",
    "ConfigError",
    "CorpusError",
    "DocumentNotFoundError",
    "IndexEmptyError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexedDocument",
    "IngestReport",
    "InvalidQuestionError",
    "LLMError",
    "Passage",
    "RagError",
    "RequestTimeoutError",
    "StoreUnavailableError",
    "Version",
    "ask",
    "ask_stream",
    "display_text",
    "document_text",
    "documents",
    "ingest",
    "open_index",
    "read_document",
    "remove",
    "retrieve",
]
