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


HOSTILE = (
    "Quorble weekly\n"
    "The Quorble council approved the \x1b]0;pwned\x07 harbour budget \x1b[2J of 12 million on Monday.\n"
)


def test_terminal_escapes_are_neutralised_in_text_and_kept_exact_in_json(tmp_path: Path) -> None:
    from .conftest import build_corpus

    config = build_corpus(tmp_path, {"evil\nname.txt": HOSTILE, "other.txt": "Nothing about budgets here.\n"})
    question = "What harbour budget did the Quorble council approve?"
    for command in (["ask", question], ["retrieve", question, "-k", "1"]):
        out = run(command, config)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout
        assert "\\x1b]0;pwned\\x07" in out.stdout and "\\x1b[2J" in out.stdout
        line = next(x for x in out.stdout.splitlines() if "evil" in x)
        assert "evil\\nname.txt [" in line  # the file name stays on its Sources line
    data = json.loads(run(["ask", question, "--json"], config).stdout)
    cited = data["citations"][0]
    assert cited["source"] == "evil\nname.txt" and "\x1b]0;pwned\x07" in cited["text"]
    assert file_text(config.corpus_dir, cited["source"])[cited["start"] : cited["end"]] == cited["text"]


def test_sources_lines_keep_a_newline_in_a_file_name_on_one_line() -> None:
    from rag import Passage
    from rag.cli import _describe, to_json

    p = Passage("a\nb.txt", "Title\x1b[31m", 0, 4, "Te\x9bxt", 1.0)
    lines = _describe(1, p).splitlines()
    assert len(lines) == 2 and lines[0].startswith("[1] a\\nb.txt [0, 4)  Title\\x1b[31m")
    assert "\\x9b" in lines[1]
    assert "\x9b" not in to_json(p.to_dict()) and json.loads(to_json(p.to_dict()))["text"] == "Te\x9bxt"
