from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from rag import Citation, Config, Passage, ingest

ROOT = Path(__file__).resolve().parent.parent
ANSWER_FIELDS = {
    "text",
    "confidence",
    "answerable",
    "citations",
    "supported_by",
    "conflicts",
    "answerer",
    "model",
    "removed",
    "notice",
}  # the documented JSON of an answer (README: Command line)
SEEDS = ROOT / "seeds"


NON_NEWS = ROOT / "tests" / "data" / "nonnews"
"""Documents that are not news: company policies, Wikipedia articles, paper abstracts."""


@pytest.fixture(autouse=True)
def _no_rag_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with the ``RAG_*`` environment cleared: settings of the shell that
    runs the tests (an index folder, an LLM endpoint) never leak into them."""
    for name in [n for n in os.environ if n.startswith("RAG_")]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def other_corpus(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """A second corpus that is not news (``tests/data/nonnews``: ten company policies and
    nine Wikipedia articles) indexed once with the real bundled model."""
    tmp = tmp_path_factory.mktemp("nonnews")
    shutil.copytree(NON_NEWS, tmp / "corpus", ignore=shutil.ignore_patterns("*.md", "scifact_*"))
    config = Config(corpus_dir=tmp / "corpus", index_dir=tmp / "index")
    ingest(config=config, progress=False)
    return config


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A private copy of the five seed articles."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture
def config(tmp_path: Path, corpus: Path) -> Config:
    """Real Chroma in a temp dir, with the fast hashing embedder (the model is not under test)."""
    return Config(corpus_dir=corpus, index_dir=tmp_path / "index", embedder="hashing")


@pytest.fixture
def built(config: Config) -> Config:
    ingest(config=config, progress=False)
    return config


@pytest.fixture(scope="session")
def real_config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The seeds indexed once with the real bundled all-MiniLM-L6-v2."""
    tmp = tmp_path_factory.mktemp("real")
    cfg = Config(corpus_dir=SEEDS, index_dir=tmp / "index")
    ingest(config=cfg, progress=False)
    return cfg


def build_corpus(root: Path, files: dict[str, str], **settings: object) -> Config:
    """Write ``files`` to ``root/corpus`` and index them in ``root/index`` (real Chroma;
    the fast hashing embedder unless ``settings`` say otherwise)."""
    corpus = root / "corpus"
    corpus.mkdir()
    for name, text in files.items():
        (corpus / name).write_text(text, encoding="utf-8")
    config = Config(**({"corpus_dir": corpus, "index_dir": root / "index", "embedder": "hashing"} | settings))  # type: ignore[arg-type]
    ingest(config=config, progress=False)
    return config


NONNEWS = Path(__file__).parent / "data" / "nonnews"


@pytest.fixture(scope="module")
def policy_folder(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The ten company policies of tests/data/nonnews, indexed with the real model."""
    files = {p.name: p.read_text(encoding="utf-8") for p in sorted(NONNEWS.glob("policy_*.txt"))}
    return build_corpus(tmp_path_factory.mktemp("policy-folder"), files, embedder="minilm")


def file_text(corpus: Path, source: str) -> str:
    return (corpus / source).read_bytes().decode("utf-8-sig")


def assert_verbatim(corpus: Path, citations: Iterable[Passage | Citation | dict[str, Any]]) -> None:
    """Every citation (or its JSON) is its file's text at its offsets: ``text == file_text[start:end]``."""
    for c in citations:
        d = c if isinstance(c, dict) else c.to_dict()
        assert file_text(corpus, d["source"])[d["start"] : d["end"]] == d["text"]


def wait_until_serving(process: subprocess.Popen[bytes], url: str, what: str, timeout: float = 120) -> None:
    """Poll ``url`` until it answers 200; fail (and kill ``process``) if it dies or times out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                pytest.fail(f"{what} did not start: {stderr[-2000:]}")
            time.sleep(0.3)


def free_port() -> int:
    """A loopback port nobody listens on (for the servers the tests start)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(config: Config, manage: bool = True, auth: tuple[str, str] | None = None) -> Iterator[str]:
    """The web chat of ``config`` served on loopback (as ``rag ui`` serves it); yields its URL."""
    from ui.app import build, launch_options

    demo = build(config, manage=manage)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1",
        server_port=port,
        prevent_thread_lock=True,
        quiet=True,
        auth=auth,
        **launch_options(config, manage=manage),
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
