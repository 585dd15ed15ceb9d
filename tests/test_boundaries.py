"""The package's boundaries: no import cycle among ``rag`` modules (lazy imports inside
functions included), llama-index kept off the ``rag ask`` path, the web chat and the
benchmarks on the public API, every error class exported, ``py.typed`` shipped."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import rag
from rag import Config

from .conftest import ROOT


def import_graph(package: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports anywhere in its code (at the
    top, inside functions, under ``TYPE_CHECKING``). A package's ``__init__`` is the
    package itself; the implicit import of a module's parent package is not an edge."""
    name = package.name
    modules: dict[str, Path] = {}
    for path in package.rglob("*.py"):
        parts = [name, *path.relative_to(package).with_suffix("").parts]
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        here = module if path.name == "__init__.py" else module.rpartition(".")[0]
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")[: len(here.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                # `from . import store` imports a module; `from rag import Config` a name of the package
                targets = [f"{target}.{a.name}" if f"{target}.{a.name}" in modules else target for a in node.names]
            else:
                continue
            edges |= {t for t in targets if t in modules and t != module}
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_cycle_check_sees_lazy_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .answer import ask\n")
    (package / "answer.py").write_text("def ask():\n    from .generation import stream\n    return stream()\n")
    (package / "generation.py").write_text("from .answer import ask\n\ndef stream():\n    return ask\n")
    (package / "store.py").write_text("import json\n")
    assert cycles(import_graph(package)) == [["pkg.answer", "pkg.generation"]]
    (package / "answer.py").write_text("def ask():\n    return 1\n")
    assert cycles(import_graph(package)) == []
    (package / "answer.py").write_text("import pkg.store\n")
    (package / "store.py").write_text("from . import answer\n")  # a module of the package
    assert cycles(import_graph(package)) == [["pkg.answer", "pkg.store"]]
    (package / "store.py").write_text("from pkg import ask\n")  # a name the package's __init__ defines
    assert cycles(import_graph(package)) == [["pkg", "pkg.answer", "pkg.store"]]


def test_no_import_cycle_among_rag_modules() -> None:
    graph = import_graph(ROOT / "rag")
    assert "rag.generation" in graph["rag.api"] and "rag.retrieval" in graph["rag.answer"]  # the graph is read
    assert cycles(graph) == []


def test_rag_and_the_ask_command_do_not_import_llama_index(built: Config) -> None:
    code = (
        "import sys\n"
        "import rag\n"
        "assert not [m for m in sys.modules if m.startswith('llama_index')], 'import rag'\n"
        "from rag.cli import main\n"
        "assert main(['ask', 'Who replaced Sutskever as chief scientist?']) == 0\n"
        "assert main(['retrieve', 'Who replaced Sutskever?', '-k', '2']) == 0\n"
        "loaded = [m for m in sys.modules if m.startswith('llama_index')]\n"
        "assert not loaded, loaded[:5]\n"
        "import rag.integrations.llama_index\n"  # and it is there when asked for
        "assert 'llama_index.core' in sys.modules\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")} | {
        "RAG_INDEX_DIR": str(built.index_dir),
        "RAG_CORPUS_DIR": str(built.corpus_dir),
        "RAG_EMBEDDER": built.embedder,
        "PYTHONPATH": str(ROOT),
    }
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "[1]" in out.stdout


def _imports_from_rag(path: Path) -> list[tuple[str, str]]:
    """(module, name) of every import from ``rag`` or its modules in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").split(".")[0] == "rag":
            found += [(node.module or "", alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(alias.name, "") for alias in node.names if alias.name.split(".")[0] == "rag"]
    return found


def test_the_web_chat_uses_the_public_api_only() -> None:
    used = [
        (path.name, module, name) for path in (ROOT / "ui").glob("*.py") for module, name in _imports_from_rag(path)
    ]
    assert used, "the web chat imports nothing from rag?"
    assert [u for u in used if u[1] != "rag"] == []
    assert [u for u in used if u[2] not in rag.__all__] == []


# The tools that fit or calibrate Citewise's own parts (the answer models, the support
# check, the contradiction rules) and measure its internals (chunking, each ranking
# alone, HNSW recall against exact search, the cached index's freshness) import the
# modules they measure; every other benchmark uses the public API.
INTERNALS_MEASURED = {
    "chunk_sweep.py": {"rag.answer", "rag.evaluation", "rag.retrieval"},
    "common.py": {"rag.chrome", "rag.chunking", "rag.ingest", "rag.retrieval"},  # + how chunk vectors are pooled
    "fit_answerer.py": {"rag.answer", "rag.reader", "rag.scoring"},  # + the reader's weights key its cached rows
    # fits the reader: sentences as the answerer splits them, the bundled weights, the torch twin of its forward pass,
    # and (--rivals answerer, the default) the answerer's own candidates as rivals
    "fit_reader.py": {"rag.answer", "rag.chunking", "rag.embedding", "rag.lexical", "rag.minilm", "rag.reader"},
    "ingest_speed.py": {"rag.chunking", "rag.embedding"},  # which word pieces each system's model reads
    "grounding_calibration.py": {"rag.answer", "rag.embedding", "rag.evaluation", "rag.grounding"},
    "grounding_contradictions.py": {"rag.contradiction", "rag.embedding", "rag.grounding"},
    "name_matching.py": {"rag.lexical"},
    # --models swaps the fitted models file; --typed-shares sets rag.answer.TYPED_SHARE for the strict questions;
    # --adjacent-shares ranks candidates once (rag.answer) and chooses quotes with the index's searcher
    "open_corpus.py": {"rag.answer", "rag.chunking", "rag.question", "rag.retrieval", "rag.scoring"},
    "paraphrase.py": {"rag.embedding", "rag.lexical"},  # rewords fitting questions with MiniLM's word pieces
    "scale.py": {"rag.chunking", "rag.corpus", "rag.embedding", "rag.retrieval", "rag.store"},
    "snapshot_format.py": {"rag.chunking", "rag.lexical", "rag.snapshot", "rag.store"},
}


def test_benchmarks_use_the_public_api_except_for_the_internals_they_measure() -> None:
    for path in sorted((ROOT / "benchmarks").glob("*.py")):
        imported = _imports_from_rag(path)
        public = [name for module, name in imported if module == "rag" and name]
        assert [n for n in public if n not in rag.__all__] == [], path.name
        internal = {module for module, _ in imported if module != "rag"}
        assert internal <= INTERNALS_MEASURED.get(path.name, set()), path.name


def test_every_error_class_is_exported() -> None:
    import inspect

    import rag.errors

    defined = {n for n, c in inspect.getmembers(rag.errors, inspect.isclass) if issubclass(c, rag.RagError)}
    assert len(defined) >= 10 and defined <= set(rag.__all__)
    for name in defined:
        assert getattr(rag, name) is getattr(rag.errors, name)


def test_the_package_ships_py_typed(tmp_path: Path) -> None:
    """A wheel built from the checkout holds rag/py.typed (and the answer models, and the
    llama-index integration)."""
    source = tmp_path / "src"
    for part in ("rag", "ui"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    [wheel] = tmp_path.glob("citewise-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {"rag/py.typed", "rag/data/answerer.json", "rag/integrations/llama_index.py"} <= set(names)


def test_tests_run_with_the_rag_environment_cleared() -> None:
    assert [n for n in os.environ if n.startswith("RAG_")] == []
    assert Config.from_env() == Config()


def test_the_environment_of_the_shell_running_the_tests_does_not_leak_into_them() -> None:
    env = os.environ | {"RAG_K": "0", "RAG_INDEX_DIR": "/nonexistent", "RAG_ANSWERER": "llm"}
    test = f"{Path(__file__).relative_to(ROOT)}::test_tests_run_with_the_rag_environment_cleared"
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and "1 passed" in out.stdout, out.stdout[-2000:]
