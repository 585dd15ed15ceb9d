"""Faults and bad input: an ingest killed with SIGKILL, queries during an ingest, and
each kind of bad input with a clear outcome."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rag import Config, ask, ingest, retrieve
from rag.cli import main
from rag.embedding import get_embedder
from rag.errors import InvalidQuestionError, RagError
from rag.store import Store

from .conftest import ROOT, assert_verbatim, file_text

CHILD = """
import sys, time
from rag import Config, ingest
from rag.embedding import get_embedder
from rag.ingest import _Batcher
from rag.store import Store

_Batcher.SIZE = 64  # embed, write and commit every few documents, as on a large corpus
real_put = Store.put_documents
def put_documents(self, records, texts):
    real_put(self, records, texts)
    print("committed", " ".join(r.source for r in records), flush=True)
    time.sleep(0.5)  # leave the parent time to kill us before the next documents commit
Store.put_documents = put_documents
ingest(config=Config(corpus_dir=sys.argv[1], index_dir=sys.argv[2], embedder="hashing"), progress=False)
print("done", flush=True)
"""


def _consistent(config: Config) -> tuple[int, int]:
    """(chunks, distinct chunk keys); asserts that no chunk is an orphan."""
    store = Store.open(config, get_embedder(config.embedder).name)
    docs = store.documents()
    chunks = store.all_chunks()
    assert all(c.source in docs and c.sha256 == docs[c.source].sha256 for c in chunks)  # no orphans
    return len(chunks), len({(c.source, c.start, c.end) for c in chunks})


def test_an_ingest_killed_with_sigkill_leaves_a_working_index_and_is_completed_next_time(built: Config) -> None:
    for f in sorted(built.corpus_dir.iterdir()):  # every article changed: all five need ingesting
        f.write_text(f.read_text(encoding="utf-8") + "\nA closing sentence about the Quorble project.\n", "utf-8")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(built.corpus_dir), str(built.index_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.startswith("committed"), line
    os.kill(child.pid, signal.SIGKILL)  # no cleanup, no finally: the hard way
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    # the index still answers, from committed spans only
    for p in retrieve("Who replaced Sutskever as chief scientist?", k=8, config=built):
        assert file_text(built.corpus_dir, p.source)[p.start : p.end] == p.text or "Quorble" not in p.text
    committed = line.split()[1:]
    assert len(committed) < 5  # killed halfway
    report = ingest(config=built, progress=False)
    assert report.updated and not set(committed) & set(report.updated)  # the committed ones are not redone
    chunks, distinct = _consistent(built)
    assert chunks == distinct  # no duplicates
    assert not ingest(config=built, progress=False).updated  # complete
    assert any("Quorble" in p.text for p in retrieve("Quorble project", k=5, config=built))


def test_queries_keep_working_while_an_ingest_runs(built: Config) -> None:
    for f in sorted(built.corpus_dir.iterdir()):
        f.write_text(f.read_text(encoding="utf-8") + "\nA closing sentence about the Quorble project.\n", "utf-8")
    errors: list[BaseException] = []

    def run() -> None:
        try:
            ingest(config=built, progress=False)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    answered = 0
    while worker.is_alive() or answered < 3:
        passages = retrieve("Who replaced Sutskever as chief scientist?", k=5, config=built)
        assert len(passages) == 5
        for p in passages:  # verbatim in the version of the file that was indexed when asked
            assert p.text in file_text(built.corpus_dir, p.source) or "Quorble" not in p.text
        ask("Who replaced Sutskever as chief scientist?", config=built)  # answers or refuses, never fails
        answered += 1
    worker.join()
    assert not errors and answered >= 3


@pytest.mark.parametrize("question", ["", "   ", "\n\t", "\x00\x07"])
def test_empty_and_whitespace_questions_are_clear_errors(built: Config, question: str) -> None:
    with pytest.raises(InvalidQuestionError, match=r"empty|question"):
        ask(question, config=built)
    assert main(["ask", question, "--index-dir", str(built.index_dir)]) == 2


@pytest.mark.parametrize(
    "question",
    [
        "Who\u200b replaced \u202eSutskever\u202c as chief scientist?",  # zero-width and bidi controls
        "Who replaced 𝐒𝐮𝐭𝐬𝐤𝐞𝐯𝐞𝐫 as chief scientist? 🤖🤖",  # mathematical letters, emoji
        "who REPLACED sutskever\x1b[31m as chief scientist\x07?",  # terminal escapes
        "Qui a remplacé Sutskever ? 谁接替了苏茨克维？",  # other languages and scripts
    ],
)
def test_control_characters_and_unusual_unicode_get_an_answer_or_a_refusal(built: Config, question: str) -> None:
    answer = ask(question, config=built)
    assert_verbatim(built.corpus_dir, answer.citations)
    assert answer.answerable or not answer.citations


def test_a_100000_character_question_is_truncated_and_answered(built: Config) -> None:
    answer = ask("Who replaced Sutskever as chief scientist? " + "x" * 100_000, config=built)
    assert answer.citations or not answer.answerable


def test_a_50_mb_file_a_zero_byte_file_and_a_binary_txt_are_skipped_with_reasons(config: Config) -> None:
    with open(config.corpus_dir / "dump.txt", "w", encoding="utf-8") as f:
        line = "Jan Leike resigned from OpenAI and the superalignment team was dissolved. " * 20 + "\n"
        while f.tell() < 50_000_000:
            f.write(line)
    (config.corpus_dir / "zero.txt").write_bytes(b"")
    (config.corpus_dir / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    report = ingest(config=config, progress=False)
    reasons = {s.source: s.reason for s in report.skipped}
    assert "too large" in reasons["dump.txt"] and "split it" in reasons["dump.txt"]
    assert reasons["zero.txt"] == "empty file" and "binary" in reasons["image.txt"]
    assert len(report.added) == 5  # the seeds are in, nothing lost


def test_a_corrupt_index_is_a_clear_error_and_a_rebuild_recovers(
    built: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    (built.index_dir / "README.md").write_text("keep me", encoding="utf-8")
    (built.index_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    fresh = Config(corpus_dir=built.corpus_dir, index_dir=built.index_dir, embedder="hashing", collection="again")
    with pytest.raises(RagError, match=r"rebuild|delete"):
        retrieve("Who replaced Sutskever?", config=fresh)
    assert main(["ask", "Who replaced Sutskever?", "--index-dir", str(built.index_dir)]) == 1
    assert "Traceback" not in capsys.readouterr().err
    ingest(config=fresh, rebuild=True, progress=False)
    assert retrieve("Who replaced Sutskever?", config=fresh)
    assert (built.index_dir / "README.md").read_text(encoding="utf-8") == "keep me"


def test_a_missing_index_and_a_missing_corpus_are_clear_errors(tmp_path: Path) -> None:
    config = Config(corpus_dir=tmp_path / "no-corpus", index_dir=tmp_path / "no-index", embedder="hashing")
    with pytest.raises(RagError, match="rag ingest"):
        ask("Who replaced Sutskever?", config=config)


def test_an_index_left_empty_by_a_killed_first_ingest_says_so_and_how_to_fix_it(
    config: Config, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAG_EMBEDDER", config.embedder)
    Store.open(config, get_embedder(config.embedder).name, create=True)  # collections made, nothing committed
    with pytest.raises(RagError, match=r"holds no documents.*rag ingest"):
        ask("Who replaced Sutskever as chief scientist?", config=config)
    assert main(["ask", "Who replaced Sutskever?", "--index-dir", str(config.index_dir)]) == 1
    assert "holds no documents" in capsys.readouterr().err
    ingest(config=config, progress=False)  # the fix the message names (`rag ingest`: another process)
    from rag.retrieval import forget

    forget(config)
    assert ask("Who replaced Sutskever as chief scientist?", config=config).answerable


def test_an_ingest_that_stopped_halfway_warns_and_a_removal_does_not(
    built: Config, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag import remove
    from rag.retrieval import forget

    remove("000_338d512e274bc2d7.txt", built)  # on purpose: no warning about a partial index
    forget(built)
    with caplog.at_level("WARNING", logger="rag"):
        ask("Who replaced Sutskever as chief scientist?", config=built)
    assert "did not finish" not in caplog.text
    (built.corpus_dir / "new.txt").write_text("The Quorble council approved the harbour budget.\n", "utf-8")
    embedder = get_embedder(built.embedder)

    def crash(texts: list[str]) -> None:
        raise RuntimeError("simulated crash")

    monkeypatch.setattr(embedder, "sums", crash)  # sentences and pooled chunks
    with pytest.raises(RuntimeError):
        ingest(config=built, progress=False)
    monkeypatch.undo()
    forget(built)
    with caplog.at_level("WARNING", logger="rag"):
        ask("Who replaced Sutskever as chief scientist?", config=built)
    assert "did not finish" in caplog.text and f"rag ingest {built.corpus_dir}" in caplog.text
    ingest(config=built, progress=False)  # the fix the warning names
    caplog.clear()
    forget(built)
    with caplog.at_level("WARNING", logger="rag"):
        ask("Who replaced Sutskever as chief scientist?", config=built)
    assert "did not finish" not in caplog.text
