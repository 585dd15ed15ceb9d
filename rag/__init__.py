"""Citewise: answers from a corpus of articles, every sentence cited to its exact source.

>>> import rag
>>> answer = rag.ask("Who took over the team after its leader resigned?")
>>> print(answer.text, answer.citations[0].source, answer.citations[0].start)
"""

from .answer import Answer, ask, ask_stream
from .config import Config
from .documents import IndexedDocument, document_text, documents, remove
from .errors import RagError
from .ingest import IngestReport, ingest
from .retrieval import Passage, retrieve

__all__ = [
    "Answer",
    "Config",
    "IndexedDocument",
    "IngestReport",
    "Passage",
    "RagError",
    "ask",
    "ask_stream",
    "document_text",
    "documents",
    "ingest",
    "remove",
    "retrieve",
]
