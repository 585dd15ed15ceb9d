"""Citewise inside llama-index: its retriever in llama-index's own query engine, and its
answers as a llama-index query engine whose source nodes are the citations."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine

import rag
from rag import Config
from rag.integrations.llama_index import CitewiseQueryEngine, CitewiseRetriever

from .conftest import ROOT

METADATA = {"source", "title", "outlet", "date", "author"}


def _assert_spans_of_their_articles(nodes: list, config: Config) -> None:  # type: ignore[type-arg]
    records = {d.source: d for d in rag.documents(config)}
    for n in nodes:
        node = n.node
        source = node.metadata["source"]
        article = rag.document_text(source, config)
        assert node.text == article[node.start_char_idx : node.end_char_idx] and node.text
        assert set(node.metadata) >= METADATA and node.ref_doc_id == source
        record = records[source]
        assert node.metadata["title"] == record.title
        assert (node.metadata["outlet"], node.metadata["date"]) == (record.outlet or "", record.date or "")


def test_the_retriever_runs_inside_llama_index_own_query_engine(built: Config) -> None:
    question = "Who replaced Sutskever as chief scientist?"
    retriever = CitewiseRetriever(config=built, k=3)
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM())
    response = engine.query(question)
    nodes = response.source_nodes
    assert len(nodes) == 3 and isinstance(response.response, str)
    _assert_spans_of_their_articles(nodes, built)
    expected = rag.retrieve(question, k=3, config=built)
    assert [(n.node.metadata["source"], n.node.start_char_idx, n.score) for n in nodes] == [
        (p.source, p.start, p.score) for p in expected
    ]
    again = asyncio.run(retriever.aretrieve(question))  # the async path of llama-index too
    assert [n.node.node_id for n in again] == [n.node.node_id for n in nodes]


def test_the_retriever_works_on_a_corpus_that_is_not_news(other_corpus: Config) -> None:
    retriever = CitewiseRetriever(config=other_corpus)  # k from the config
    nodes = retriever.retrieve("How many days of paid annual leave do full-time employees get?")
    assert len(nodes) == other_corpus.k
    _assert_spans_of_their_articles(nodes, other_corpus)
    assert nodes[0].node.metadata["source"] == "policy_leave.txt"


def test_the_query_engine_answers_with_the_citations_as_source_nodes(real_config: Config) -> None:
    built = real_config
    question = "Who replaced Sutskever as chief scientist?"
    response = CitewiseQueryEngine(config=built).query(question)
    answer = rag.ask(question, config=built)
    assert response.response == answer.text and response.metadata["answerable"]
    assert response.metadata["supported_by"] == answer.supported_by
    assert [(n.node.metadata["source"], n.node.start_char_idx, n.node.end_char_idx) for n in response.source_nodes] == [
        (c.source, c.start, c.end) for c in answer.citations
    ]
    assert response.source_nodes and all(n.score is None for n in response.source_nodes)  # citations have no score
    _assert_spans_of_their_articles(response.source_nodes, built)
    refused = CitewiseQueryEngine(config=built).query("What is the boiling point of tungsten?")
    assert not refused.metadata["answerable"] and refused.source_nodes == []


def _readme_code(heading: str) -> str:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_python_snippets_run(built: Config) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
        "RAG_INDEX_DIR": str(built.index_dir),
        "RAG_CORPUS_DIR": str(built.corpus_dir),
        "RAG_EMBEDDER": built.embedder,
        "PYTHONPATH": str(ROOT),
    }
    for heading in ("## Python", "### llama-index"):
        code = _readme_code(heading)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, (heading, out.stderr[-2000:])
        assert ".txt" in out.stdout, heading
