"""Citewise inside llama-index pipelines: a retriever and a query engine.

>>> from llama_index.core.llms import MockLLM
>>> from llama_index.core.query_engine import RetrieverQueryEngine
>>> from rag.integrations.llama_index import CitewiseQueryEngine, CitewiseRetriever
>>> retriever = CitewiseRetriever(k=3)  # Config.from_env() unless a config is given
>>> nodes = retriever.retrieve("Who took over the team?")  # doctest: +SKIP
>>> engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())  # llama-index's own engine
>>> answer = CitewiseQueryEngine().query("Who took over the team?")  # doctest: +SKIP

Every node is a verbatim span of its article: ``node.text == document_text(source)[
node.start_char_idx : node.end_char_idx]``, with the article's ``source``, ``title``,
``outlet``, ``date`` and ``author`` as metadata (and ``page`` for a PDF); its
``ref_doc_id`` is the article's name. The query engine answers with ``rag.ask``: the
response text is Citewise's cited answer and its source nodes are the citations.

This module imports llama-index; ``import rag`` does not import this module.
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.response.schema import Response
from llama_index.core.callbacks import CallbackManager
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode
from pydantic import Field

from ..api import ask
from ..config import Config
from ..retrieval import retrieve
from ..spans import Citation, Passage

__all__ = ["CitewiseQueryEngine", "CitewiseRetriever", "node"]


def node(span: Passage | Citation) -> NodeWithScore:
    """A passage or a citation as a llama-index node: its verbatim text, its offsets into
    the article and the article's metadata. A passage's score is its retrieval score; a
    citation has none."""
    metadata: dict[str, Any] = {
        "source": span.source,
        "title": span.title,
        "outlet": span.outlet or "",
        "date": span.date or "",
        "author": span.author or "",
    }
    if span.page is not None:
        metadata["page"] = span.page
    text_node = TextNode(
        id_=span.chunk_id if isinstance(span, Passage) and span.chunk_id else f"{span.source}:{span.start}-{span.end}",
        text=span.text,
        start_char_idx=span.start,
        end_char_idx=span.end,
        metadata=metadata,
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=span.source)},
    )
    return NodeWithScore(node=text_node, score=span.score if isinstance(span, Passage) else None)


class CitewiseRetriever(BaseRetriever):
    """Citewise's hybrid retrieval (dense + BM25, near-duplicates demoted) as a
    llama-index retriever: ``k`` passages per query (default ``config.k``), best first.
    ``config`` defaults to ``Config.from_env()``, read when the retriever is made."""

    def __init__(
        self, config: Config | None = None, k: int | None = None, callback_manager: CallbackManager | None = None
    ) -> None:
        super().__init__(callback_manager=callback_manager)
        self._config = config or Config.from_env()
        self._k = k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [node(p) for p in retrieve(query_bundle.query_str, k=self._k, config=self._config)]


class CitewiseQueryEngine(CustomQueryEngine):
    """Citewise's answer (``rag.ask``) as a llama-index query engine. The response's
    ``source_nodes`` are the citations, in the order of the answer's ``[n]`` markers;
    its ``metadata`` holds ``answerable``, ``supported_by`` and ``conflicts``."""

    config: Any = Field(default=None, description="a rag.Config (default: Config.from_env() at each query)")
    history: list[str] = Field(default_factory=list, description="earlier questions, oldest first")

    def custom_query(self, query_str: str) -> Response:
        answer = ask(query_str, history=self.history, config=self.config or Config.from_env())
        return Response(
            response=answer.text,
            source_nodes=[node(c) for c in answer.citations],
            metadata={
                "answerable": answer.answerable,
                "supported_by": answer.supported_by,
                "conflicts": [v.to_dict() for v in answer.conflicts],
            },
        )
