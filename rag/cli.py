"""The ``rag`` command: ingest, list, remove, retrieve, ask, eval. Errors become one-line messages here and
nowhere else; exit codes: 0 success, 1 failure, 2 bad usage or bad question."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .answer import Answer
    from .config import Config
    from .spans import Citation, Passage


def _config(args: argparse.Namespace) -> Config:
    from .config import Config

    return Config.from_env(
        index_dir=getattr(args, "index_dir", None),
        corpus_dir=getattr(args, "corpus_dir", None),
        chroma_url=getattr(args, "chroma_url", None),
        k=getattr(args, "k", None),
        answerer=getattr(args, "answerer", None),
        llm_base_url=getattr(args, "llm_base_url", None),
        llm_model=getattr(args, "llm_model", None),
        llm_model_path=getattr(args, "llm_model_path", None),
        llm_timeout=getattr(args, "llm_timeout", None),
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_C1 = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match[str]) -> str:
    c = m.group(0)
    return {"\n": "\\n", "\t": "\\t", "\r": "\\r"}.get(c) or (
        f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
    )


def safe(text: str) -> str:
    """Text for a terminal: control characters (terminal escapes, bells, bidi overrides)
    shown as visible escapes ("\\x1b"); line breaks and tabs kept."""
    return _CONTROL.sub(_escape, text)


def safe_line(text: str) -> str:
    """Like ``safe``, and line breaks shown as "\\n" too: for file names and titles, which
    must stay on their line."""
    return _CONTROL_OR_BREAK.sub(_escape, text)


def to_json(data: object) -> str:
    """JSON that decodes to the exact text; control characters JSON leaves raw (DEL, C1,
    bidi overrides) are written as \\u escapes so the terminal never interprets them."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _C1.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


def _snippet(text: str, width: int = 300) -> str:
    flat = " ".join(text.split())
    return safe_line(flat if len(flat) <= width else flat[: width - 1] + "…")


def _describe(n: int, p: Passage | Citation) -> str:
    from .formats import is_markdown, plain_markdown

    meta = ", ".join(x for x in (p.outlet, f"by {p.author}" if p.author else None, p.date) if x)
    page = f" p. {p.page}" if p.page else ""
    head = f"[{n}] {p.source}{page} [{p.start}, {p.end})  {p.title}" + (f" ({meta})" if meta else "")
    shown = plain_markdown(p.text) if is_markdown(p.source) else p.text  # the citation keeps the markup
    return f"{safe_line(head)}\n    “{_snippet(shown)}”"


def _named(source: str, answer: Answer) -> str:
    """An article as readers know it: “title” (outlet, date), from the answer's citations."""
    cited = next((c for c in answer.citations if c.source == source), None)
    if cited is None:
        return source
    meta = ", ".join(x for x in (cited.outlet, cited.date) if x)
    return f"“{cited.title}”" + (f" ({meta})" if meta else "")


def _print_answer(answer: Answer) -> None:
    if answer.notice:
        print(f"notice: {safe_line(answer.notice)}", file=sys.stderr)
    print(safe(answer.text))
    if answer.removed:
        print(f"\n(Removed {len(answer.removed)} sentence(s) the cited passages do not support:)")
        for sentence in answer.removed:
            print(f"  ✗ {safe_line(sentence)}")
    if answer.conflicts:
        print("\nVersions:")
        for v in answer.conflicts:
            print(safe_line(f"  {v.value}: {', '.join(_named(source, answer) for source in v.sources)}"))
    if answer.supported_by:
        print(f"\n{safe_line(answer.support_line())}")
    if answer.citations:
        print("\nSources:")
        for n, p in enumerate(answer.citations, start=1):
            print(_describe(n, p))


def cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest import ingest

    paths = [Path(p) for p in args.paths] or None
    report = ingest(paths, _config(args), rebuild=args.rebuild, progress=not args.quiet)
    for s in report.skipped:
        print(safe_line(f"warning: skipped {s.source}: {s.reason}"), file=sys.stderr)
    for old, new in report.moved:
        print(safe_line(f"moved: {old} → {new}" if old != new else f"moved: {new} (its file moved)"))
    for source in report.removed:
        print(safe_line(f"removed: {source} (its file was deleted)"))
    print(safe_line(f"Index {_config(args).index_dir}: {report.summary()}."))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from .documents import documents

    docs = documents(_config(args))
    if args.json:
        print(to_json([d.to_dict() for d in docs]))
        return 0
    if not docs:
        print("The index holds no documents: add some with `rag ingest PATH`.")
        return 0
    rows = [
        (
            d.source,
            d.title,
            d.outlet or "",
            d.date or "",
            str(d.chunks) if d.chunks else "?",
            d.ingested.replace("T", " ").rstrip("Z")[:16] if d.ingested else "?",
            "" if d.exists else "(file gone)",
        )
        for d in docs
    ]
    widths = [30, 44, 16, 10, 6, 16]
    head = ("source", "title", "outlet", "date", "chunks", "ingested (UTC)")
    print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
    for row in rows:
        cells = [_cut(safe_line(c), w).ljust(w) for c, w in zip(row, widths, strict=False)]
        print(("  ".join(cells) + "  " + row[-1]).rstrip())
    chunks = sum(d.chunks for d in docs)
    print(f"\n{len(docs)} document{'s' if len(docs) != 1 else ''}, {chunks} chunks.")
    return 0


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_remove(args: argparse.Namespace) -> int:
    from .documents import remove

    removed = remove(args.sources, _config(args))
    for source in removed:
        print(safe_line(f"removed: {source}"))
    print(f"{len(removed)} document{'s' if len(removed) != 1 else ''} removed.")
    return 0


def cmd_retrieve(args: argparse.Namespace) -> int:
    from .api import open_index
    from .retrieval import clean_question, retrieve

    config = _config(args)
    question = clean_question(args.question, config)  # a bad question fails before any index is read
    open_index(config)  # the embedded index is built on first use, here and nowhere else
    passages = retrieve(question, k=args.k, config=config)
    if args.json:
        print(to_json([p.to_dict() for p in passages]))
    else:
        for n, p in enumerate(passages, start=1):
            print(_describe(n, p) + f"\n    score {p.score:.4f}\n")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from .api import ask, open_index
    from .retrieval import clean_question

    config = _config(args)
    question = clean_question(args.question, config)  # a bad question fails before any index is read
    open_index(config)  # the embedded index is built on first use, here and nowhere else
    if config.answerer == "llm" and not args.json:
        return _ask_streaming(question, args.history, config)
    answer = ask(question, history=args.history, config=config)
    if args.json:
        print(to_json(answer.to_dict()))
    else:
        _print_answer(answer)
    return 0


def _ask_streaming(question: str, history: list[str], config: Config) -> int:
    """Print the model's text as it arrives (to stderr, a draft), then the checked answer."""
    from .answer import Answer
    from .api import ask_stream

    drafted = False
    for item in ask_stream(question, history, config):
        if isinstance(item, Answer):
            if drafted:
                print("\n\nChecked against the cited passages:\n", file=sys.stderr, flush=True)
            _print_answer(item)
        else:
            if not drafted:
                print("draft: ", end="", file=sys.stderr)
            drafted = True
            print(safe(item), end="", file=sys.stderr, flush=True)
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from .api import open_index
    from .config import PROJECT_ROOT
    from .evaluation import chart, check_thresholds, evaluate, load_qa, sample, table

    config = _config(args)
    items = load_qa(args.qa)
    open_index(config)
    if args.limit:
        items = sample(items, args.limit)
    report = evaluate(items, config, k=args.k or config.k, baseline=not args.no_baseline, progress=not args.quiet)
    thresholds = args.thresholds or PROJECT_ROOT / "eval" / "thresholds.toml"
    gated = thresholds.exists() and not args.limit  # a sample is no measure of the whole set
    failures = check_thresholds(report, thresholds) if gated else []
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(table(report, markdown=True) + "\n", encoding="utf-8")
    chart(report, args.chart)
    print(f"\nChart: {args.chart}")
    if report.failures:
        print(f"\n{len(report.failures)} questions answered wrongly (see --json for details):")
        for f in report.failures:
            print(f"  {f['id']}: {f['question']}")
    if failures:
        print(f"\nFAILED the quality gate ({thresholds}):", file=sys.stderr)
        for line in failures:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"\nQuality gate passed ({thresholds})." if gated else "\nQuality gate not checked.")
    return 0


def run_ui(args: list[str]) -> int:
    """Hand over to the web chat, which lives outside the library (`python -m ui`)."""
    import os

    os.execv(sys.executable, [sys.executable, "-m", "ui", *args])
    return 0  # pragma: no cover - execv does not return


class _SafeFormatter(logging.Formatter):
    """Warnings name files and quote text from the corpus: neutralise what they carry."""

    def format(self, record: logging.LogRecord) -> str:
        return safe(super().format(record))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rag", description="Citewise: cited answers from a corpus of articles.")
    sub = parser.add_subparsers(dest="command", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--index-dir", type=Path, help="index folder (default: index/, or RAG_INDEX_DIR)")
        p.add_argument(
            "--corpus-dir", type=Path, help="folder indexed on first use (default: seeds/, or RAG_CORPUS_DIR)"
        )
        p.add_argument("--chroma-url", help="use the Chroma server at this URL instead (or RAG_CHROMA_URL)")

    def llm_options(p: argparse.ArgumentParser) -> None:
        g = p.add_argument_group("generative answers (README: 'Generative answers')")
        g.add_argument("--answerer", choices=["extractive", "llm"], help="who writes the answer (or RAG_ANSWERER)")
        g.add_argument("--llm-base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1")
        g.add_argument("--llm-model", help="model name at the endpoint (or RAG_LLM_MODEL)")
        g.add_argument("--llm-model-path", help="local GGUF file instead of an endpoint (needs the local-llm extra)")
        g.add_argument("--llm-timeout", type=float, help="seconds to wait for the model (default 60)")

    p = sub.add_parser("ingest", help="add or update the documents under folders or files")
    p.add_argument("paths", nargs="*", help="folders or files (default: seeds/, or RAG_CORPUS_DIR)")
    p.add_argument(
        "--rebuild", action="store_true", help="drop the index and build it again (from PATH and every file it held)"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    common(p)
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("list", help="show every document in the index")
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p)
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("remove", help="take documents out of the index (the files stay)")
    p.add_argument(
        "sources", nargs="+", metavar="SOURCE", help="a document's name (see rag list), its file or a folder"
    )
    common(p)
    p.set_defaults(func=cmd_remove)

    p = sub.add_parser("retrieve", help="show the passages that best match a question")
    p.add_argument("question")
    p.add_argument("-k", type=int, default=None, help="number of passages (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p)
    p.set_defaults(func=cmd_retrieve)

    p = sub.add_parser("ask", help="answer a question with cited sentences")
    p.add_argument("question")
    p.add_argument(
        "--history",
        nargs="*",
        default=[],
        metavar="EARLIER_QUESTION",
        help="earlier questions of the conversation, oldest first",
    )
    p.add_argument("-k", type=int, default=None, help="passages to read (default 5)")
    p.add_argument("--json", action="store_true", help="print JSON")
    common(p)
    llm_options(p)
    p.set_defaults(func=cmd_ask)

    from .config import PROJECT_ROOT

    p = sub.add_parser("eval", help="score answers and retrieval on a Q&A set, beside two llama-index baselines")
    p.add_argument("--qa", type=Path, default=PROJECT_ROOT / "eval" / "qa.jsonl", help="Q&A file (eval/README.md)")
    p.add_argument("-k", type=int, default=None, help="passages per question (default 5)")
    p.add_argument("--json", type=Path, metavar="OUT", help="write the full report as JSON")
    p.add_argument("--markdown", type=Path, metavar="OUT", help="write the tables as Markdown")
    p.add_argument(
        "--chart",
        type=Path,
        metavar="OUT",
        default=Path("artifacts/eval_accuracy_by_category.png"),
        help="PNG chart of per-category accuracy (default: %(default)s)",
    )
    p.add_argument("--thresholds", type=Path, help="quality gate (default: eval/thresholds.toml)")
    p.add_argument("--no-baseline", action="store_true", help="skip the llama-index baselines")
    p.add_argument("--limit", type=int, metavar="N", help="only N questions per category (no quality gate)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    common(p)
    llm_options(p)
    p.set_defaults(func=cmd_eval)

    # `rag ui ...` is handed to `python -m ui` before parsing (see main); listed here for --help.
    sub.add_parser(
        "ui", help="serve the web chat (--host, --port, --corpus-dir, --index-dir, --user, --password-file, --no-auth)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_SafeFormatter("warning: %(message)s"))
    handler.setLevel(logging.WARNING)  # libraries that set their own loggers to DEBUG stay quiet
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["ui"]:
        return run_ui(argv[1:])
    args = build_parser().parse_args(argv)
    from .errors import ConfigError, InvalidQuestionError, RagError

    try:
        return int(args.func(args))
    except (InvalidQuestionError, ConfigError) as exc:
        print(f"error: {safe_line(str(exc))}", file=sys.stderr)
        return 2
    except RagError as exc:
        print(f"error: {safe_line(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `rag ask ... | head`
        sys.stderr.close()
        return 0
