from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from rag import Config
from rag.errors import ConfigError
from rag.evaluation import Report, check_thresholds, is_correct, load_qa, normalize, token_f1

from .conftest import ROOT, SEEDS

QA = ROOT / "eval" / "qa.jsonl"
CATEGORIES = {
    "fact",
    "number_date",
    "quote",
    "list",
    "multi_source",
    "conflict",
    "follow_up",
    "spelling",
    "paraphrase",
    "unanswerable",
}


def test_the_qa_set_is_well_formed_and_every_quote_is_verbatim() -> None:
    items = load_qa(QA)
    assert len(items) >= 60
    assert len({i.id for i in items}) == len(items)
    counts = Counter(i.category for i in items)
    assert set(counts) == CATEGORIES and min(counts.values()) >= 5
    for item in items:
        if item.answerable:
            text = (SEEDS / item.sources[0]).read_text(encoding="utf-8")
            assert item.quote and item.quote in text, item.id
            assert item.answers and all((SEEDS / s).exists() for s in item.sources)
        else:
            assert not item.answers and not item.sources and not item.quote
        if item.category == "follow_up":
            assert item.history, item.id


def test_load_qa_rejects_a_malformed_line(tmp_path: Path) -> None:
    bad = tmp_path / "qa.jsonl"
    bad.write_text('{"id": "x", "question": "q"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"qa\.jsonl:1"):
        load_qa(bad)


def test_squad_normalisation_and_f1() -> None:
    assert normalize("The  Superalignment team!") == "superalignment team"
    assert token_f1("John Schulman took over", "Schulman") == pytest.approx(2 * (1 / 4) * 1 / (1 / 4 + 1))
    assert token_f1("nothing here", "Schulman") == 0.0


def test_list_questions_need_every_item() -> None:
    items = {i.id: i for i in load_qa(QA)}
    five = items["list-01"]
    assert is_correct(five, "Breeze, Cove, Ember, Juniper and Sky")
    assert not is_correct(five, "Breeze, Cove, Ember and Sky")


def test_the_gate_fails_below_a_floor_and_above_a_ceiling(tmp_path: Path) -> None:
    report = Report(overall={"ours": {"hit_at_5": 0.9, "answerable_refused": 0.1}})
    limits = tmp_path / "t.toml"
    limits.write_text("[min]\nhit_at_5 = 0.95\n[max]\nanswerable_refused = 0.05\n", encoding="utf-8")
    failures = check_thresholds(report, limits)
    assert len(failures) == 2 and "hit_at_5" in failures[0] and "answerable_refused" in failures[1]
    limits.write_text("[min]\nhit_at_5 = 0.5\n", encoding="utf-8")
    assert check_thresholds(report, limits) == []
    report.categories = {"conflict": {"ours": {"answer_accuracy": 0.5}}}
    limits.write_text("[category_accuracy_min]\nconflict = 0.8\n", encoding="utf-8")
    assert check_thresholds(report, limits) == ["answer_accuracy of category conflict = 0.5 is below its threshold 0.8"]


def _tiny_qa(tmp_path: Path) -> Path:
    items = [json.loads(line) for line in QA.read_text(encoding="utf-8").splitlines()]
    keep = [i for i in items if i["id"] in {"fact-06", "multi-source-01", "list-02", "unanswerable-01"}]
    path = tmp_path / "tiny.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in keep) + "\n", encoding="utf-8")
    return path


def run_eval(tmp_path: Path, config: Config, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "RAG_INDEX_DIR": str(config.index_dir),
        "RAG_CORPUS_DIR": str(config.corpus_dir),
        "RAG_EMBEDDER": "hashing",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PYTHONPATH": str(ROOT),  # this checkout, whichever one the environment installed
    }
    return subprocess.run(
        [sys.executable, "-m", "rag", "eval", "-q", "--qa", str(_tiny_qa(tmp_path)), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=tmp_path,
    )


def test_rag_eval_writes_every_output_and_compares_with_both_baselines(tmp_path: Path, built: Config) -> None:
    lenient = tmp_path / "lenient.toml"
    lenient.write_text("[min]\ncitation_validity = 1.0\n", encoding="utf-8")
    out = run_eval(
        tmp_path, built, "--json", "r.json", "--markdown", "r.md", "--chart", "c.png", "--thresholds", str(lenient)
    )
    assert out.returncode == 0, out.stderr
    assert "answer accuracy" in out.stdout and "fusion baseline" in out.stdout and "warning" not in out.stderr
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert set(report["overall"]) == {"ours", "dense baseline", "fusion baseline"}
    assert report["overall"]["ours"]["citation_validity"] == 1.0
    for baseline in ("dense baseline", "fusion baseline"):
        assert report["overall"][baseline]["unanswerable_refused"] == 0.0  # a baseline never refuses
        assert report["overall"][baseline]["citation_validity"] == 1.0  # its passages are spans of the articles
    assert set(report["categories"]) == {"fact", "multi_source", "list", "unanswerable"}
    markdown = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert markdown.startswith("| metric | ours | dense baseline | fusion baseline |")
    assert (tmp_path / "c.png").read_bytes()[:4] == b"\x89PNG"


def test_the_fusion_baseline_reads_chunks_of_citewise_size_and_the_dense_one_default_chunks(built: Config) -> None:
    from rag.chunking import count_tokens
    from rag.evaluation import BASELINE_TOP_K, Item, baseline_runners

    runners = baseline_runners(built)
    item = Item("x", "fact", "Who replaced Sutskever as chief scientist?", ["Pachocki"], [], "", [], True)
    fusion, dense = runners["fusion"](item), runners["dense"](item)
    assert len(fusion.passages) == BASELINE_TOP_K and fusion.answerable and fusion.citations
    assert max(count_tokens(p.text) for p in fusion.passages) <= built.chunk_tokens
    assert max(count_tokens(p.text) for p in dense.passages) > 4 * built.chunk_tokens  # 1,024-token chunks


def test_rag_eval_exits_non_zero_below_a_threshold(tmp_path: Path, built: Config) -> None:
    strict = tmp_path / "strict.toml"
    strict.write_text("[min]\nanswer_accuracy = 1.01\n", encoding="utf-8")
    out = run_eval(tmp_path, built, "--no-baseline", "--thresholds", str(strict), "--chart", "c.png")
    assert out.returncode == 1
    assert "FAILED the quality gate" in out.stderr and "answer_accuracy" in out.stderr
