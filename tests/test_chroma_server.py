"""Server mode: the index in a real Chroma server (`chroma run`, shipped with chromadb)
started on loopback by the test; every feature works as with the embedded index."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import Config, ask, ingest, retrieve
from rag.errors import StoreUnavailableError

from .conftest import assert_verbatim, free_port, wait_until_serving


def _start(path: Path, port: int) -> subprocess.Popen[bytes]:
    chroma = Path(sys.executable).parent / "chroma"
    command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_serving(process, f"http://127.0.0.1:{port}/api/v2/heartbeat", "chroma run", timeout=60)
    return process


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    process = _start(tmp_path / "chroma-server", port)
    yield f"http://127.0.0.1:{port}", process
    process.terminate()
    process.wait(timeout=30)


QUESTIONS = ["Who replaced Sutskever as chief scientist?", "When did Jan Leike resign?", "What is GPT-4o?"]


def test_every_feature_works_the_same_in_server_mode(
    chroma_server: tuple[str, subprocess.Popen[bytes]], built: Config
) -> None:
    url, _ = chroma_server
    served = dataclasses.replace(built, chroma_url=url, index_dir=built.index_dir.parent / "cache")
    report = ingest(config=served, progress=False)
    assert report.added and not (served.index_dir / "chroma.sqlite3").exists()  # nothing embedded locally
    assert not ingest(config=served, progress=False).added  # incremental: unchanged files are skipped
    for q in QUESTIONS:
        here, there = retrieve(q, config=built), retrieve(q, config=served)
        assert [(p.source, p.start, p.end) for p in here] == [(p.source, p.start, p.end) for p in there]
        a, b = ask(q, config=built), ask(q, config=served)
        assert a.text == b.text and a.supported_by == b.supported_by
        assert_verbatim(served.corpus_dir, b.citations)
    conversation = ask("When was it formed?", history=["Who led the Superalignment team?"], config=served)
    assert (
        conversation.text == ask("When was it formed?", history=["Who led the Superalignment team?"], config=built).text
    )


def test_a_server_that_goes_away_gives_a_clear_error_not_a_hang(
    chroma_server: tuple[str, subprocess.Popen[bytes]], built: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    url, process = chroma_server
    served = dataclasses.replace(built, chroma_url=url, chroma_timeout=3.0)
    ingest(config=served, progress=False)
    assert ask(QUESTIONS[0], config=served).answerable
    process.terminate()
    process.wait(timeout=30)
    t = time.perf_counter()
    with pytest.raises(StoreUnavailableError, match=r"does not answer.*chroma run"):
        ask(QUESTIONS[1], config=served)
    assert time.perf_counter() - t < 10
    fresh = dataclasses.replace(served, collection="other")  # a new process: fails at connect
    with pytest.raises(StoreUnavailableError, match="does not answer"):
        retrieve(QUESTIONS[0], config=fresh)
    from rag.cli import main

    code = main(["ask", QUESTIONS[0], "--chroma-url", url])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: The Chroma server at") and "Traceback" not in err
