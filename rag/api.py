"""The top-level calls: ``ask`` and ``ask_stream`` (dispatched to the configured
answerer) and ``open_index``, the one place an index is built without an explicit
``rag ingest``: the command line and the web chat call it at start-up. Questions only
read the index; they never build it."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from .answer import Answer, ask_extractive
from .config import Config
from .errors import IndexNotFoundError
from .retrieval import searcher

log = logging.getLogger("rag")


def ask(question: str, history: list[str] | None = None, config: Config | None = None) -> Answer:
    """Answer ``question`` from the articles, every sentence cited to its exact span.
    ``history`` holds the earlier questions of the conversation, oldest first. The
    configured answerer writes it: extractive (the default) or llm."""
    *_, last = ask_stream(question, history, config)
    assert isinstance(last, Answer)
    return last


def ask_stream(question: str, history: list[str] | None = None, config: Config | None = None) -> Iterator[str | Answer]:
    """Like ``ask``, but yields the llm answerer's text as it arrives, then the checked
    ``Answer`` (the last item). The extractive answerer yields only the ``Answer``."""
    config = config or Config.from_env()
    if config.answerer == "llm":
        from .generation import stream_answer  # its HTTP client is not needed otherwise

        yield from stream_answer(question, history, config)
    else:
        yield ask_extractive(question, history, config)


def open_index(config: Config | None = None, *, build: bool = True, progress: bool = True) -> int:
    """Load the index of ``config`` into memory, as the first question would, and return
    how many documents it holds. With ``build`` (what the command line and the web chat
    do at start-up), an embedded index that does not exist yet is first built from
    ``config.corpus_dir``, with a progress bar unless ``progress`` is false. An index on
    a Chroma server is never built here: ``rag ingest`` builds it. Raises
    ``IndexNotFoundError`` when there is no index (and none is built) and
    ``IndexEmptyError`` when it holds no document."""
    config = config or Config.from_env()
    try:
        return len(searcher(config).docs)
    except IndexNotFoundError:
        if not build or config.chroma_url or not config.corpus_dir.is_dir():
            raise
    from .ingest import ingest

    log.warning("No index at %s yet: building it from %s (first use).", config.index_dir, config.corpus_dir)
    ingest([config.corpus_dir], config, progress=progress)
    return len(searcher(config).docs)
