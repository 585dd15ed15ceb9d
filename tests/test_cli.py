from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from rag import Config

from .conftest import ANSWER_FIELDS, file_text


def run(args: list[str], config: Config, **env: str) -> subprocess.CompletedProcess[str]:
    environ = (
        os.environ
        | {
            "RAG_INDEX_DIR": str(config.index_dir),
            "RAG_CORPUS_DIR": str(config.corpus_dir),
            "RAG_EMBEDDER": config.embedder,
        }
        | env
    )
    return subprocess.run(
        [sys.executable, "-m", "rag", *args], capture_output=True, text=True, env=environ, timeout=300
    )


def test_ask_json_schema_and_verbatim_citations(built: Config) -> None:
    out = run(["ask", "Who replaced Sutskever as chief scientist?", "--json"], built)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == ANSWER_FIELDS
    for c in data["citations"]:
        assert file_text(built.corpus_dir, c["source"])[c["start"] : c["end"]] == c["text"]


def test_retrieve_json_and_human_output(built: Config) -> None:
    out = run(["retrieve", "Pachocki chief scientist", "-k", "3", "--json"], built)
    assert out.returncode == 0, out.stderr
    passages = json.loads(out.stdout)
    assert len(passages) == 3 and all({"source", "start", "end", "text", "score"} <= set(p) for p in passages)
    human = run(["ask", "Who replaced Sutskever as chief scientist?"], built)
    assert human.returncode == 0 and "Sources:" in human.stdout and "[1] " in human.stdout


def test_exit_codes(built: Config, tmp_path: Path) -> None:
    assert run(["ask", "   "], built).returncode == 2
    assert "empty" in run(["ask", ""], built).stderr
    assert run(["ask"], built).returncode == 2  # argparse usage error
    missing = Config(corpus_dir=tmp_path / "no-corpus", index_dir=tmp_path / "no-index", embedder="hashing")
    out = run(["ask", "Who?"], missing)
    assert out.returncode == 1 and "rag ingest" in out.stderr and "Traceback" not in out.stderr
    out = run(["ingest", str(tmp_path / "nowhere")], built)
    assert out.returncode == 1 and "not found" in out.stderr


def test_first_ask_builds_the_index(config: Config) -> None:
    assert not config.index_dir.exists()
    out = run(["ask", "Who replaced Sutskever as chief scientist?", "--json"], config)
    assert out.returncode == 0, out.stderr
    assert "building it" in out.stderr
    assert (config.index_dir / "chroma.sqlite3").exists()


def test_ingest_reports_skipped_files(config: Config) -> None:
    (config.corpus_dir / "bad.txt").write_bytes(b"\xff\xfe\x00\x00")
    out = run(["ingest", str(config.corpus_dir), "-q"], config)
    assert out.returncode == 0, out.stderr
    assert "skipped bad.txt" in out.stderr and "5 added" in out.stdout


def test_sources_lines_show_outlet_author_and_date() -> None:
    from rag import Passage
    from rag.cli import _describe

    p = Passage(
        "x.txt", "Budget approved", 0, 4, "Text", 1.0, outlet="Daily Planet", date="2024-05-17", author="Jane Doe"
    )
    assert _describe(1, p).startswith("[1] x.txt [0, 4)  Budget approved (Daily Planet, by Jane Doe, 2024-05-17)")
