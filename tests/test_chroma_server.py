"""Server mode: the index in a real Chroma server (`chroma run`, shipped with chromadb)
started on loopback by the test; every feature works as with the embedded index."""

from __future__ import annotations

import contextlib
import dataclasses
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rag import Config, IndexNotFoundError, StoreUnavailableError, ask, ingest, open_index, retrieve

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


class StallingProxy:
    """A TCP proxy in front of the Chroma server that can stop answering: connections are
    still accepted and requests read, but nothing comes back (a hung server, a dead
    network path), the case an HTTP client without a timeout waits for forever."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.stalled = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                while self.stalled.is_set():  # hold what was read: no reply ever arrives
                    time.sleep(0.05)
                target.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, target):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


def test_a_server_that_stops_answering_fails_within_the_chroma_timeout(
    chroma_server: tuple[str, subprocess.Popen[bytes]], built: Config
) -> None:
    """The timeout applies to every request, and to connecting: without it, each call
    below would wait for the stalled proxy forever."""
    url, _ = chroma_server
    proxy = StallingProxy(int(url.rsplit(":", 1)[1]))
    served = dataclasses.replace(
        built, chroma_url=f"http://127.0.0.1:{proxy.port}", chroma_timeout=2.0, index_dir=built.index_dir.parent / "c"
    )
    ingest(config=served, progress=False)
    assert ask(QUESTIONS[0], config=served).answerable  # through the proxy while it forwards
    proxy.stalled.set()
    outcomes: list[BaseException | None] = []

    def attempt(call: Callable[[], object]) -> None:
        try:
            call()
            outcomes.append(None)
        except BaseException as exc:
            outcomes.append(exc)

    fresh = dataclasses.replace(served, collection="other")  # a new client: stalls while connecting
    for call in (lambda: ask(QUESTIONS[1], config=served), lambda: retrieve(QUESTIONS[0], config=fresh)):
        t = time.perf_counter()
        worker = threading.Thread(target=attempt, args=(call,), daemon=True)
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the call is still waiting for the stalled server"
        assert time.perf_counter() - t < 2.0 + 5
        assert isinstance(outcomes[-1], StoreUnavailableError), outcomes[-1]
        assert "no reply within 2 s" in str(outcomes[-1])
    proxy.close()


def test_questions_against_a_server_without_the_index_build_nothing(
    chroma_server: tuple[str, subprocess.Popen[bytes]], config: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    """A question (or the start-up) never builds an index on a Chroma server: `rag ingest` does."""
    url, _ = chroma_server
    served = dataclasses.replace(config, chroma_url=url)
    for call in (lambda: retrieve(QUESTIONS[0], config=served), lambda: open_index(served)):
        with pytest.raises(IndexNotFoundError, match="rag ingest"):
            call()
    from rag.cli import main

    assert main(["ask", QUESTIONS[0], "--chroma-url", url, "--corpus-dir", str(config.corpus_dir)]) == 1
    assert "rag ingest" in capsys.readouterr().err
    import chromadb

    port = int(url.rsplit(":", 1)[1])
    assert chromadb.HttpClient(host="127.0.0.1", port=port).list_collections() == []
