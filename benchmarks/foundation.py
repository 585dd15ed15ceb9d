"""Foundation figures on this machine: cold and unchanged re-ingest of the seeds, warm
retrieve/ask latency, cold `rag ask` wall time in a new process, peak memory.

    python benchmarks/foundation.py            # prints a table; --json for machines
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Who took over the superalignment team after Jan Leike left?",
    "Who replaced Sutskever as chief scientist?",
    "When was the Superalignment team formed?",
    "What share of compute did OpenAI promise?",
    "Why did Jan Leike resign?",
    "What did Brockman write about the future?",
    "What is the capital of Australia?",
    "Which outlet reported the safety work was redistributed?",
    "Name the five voice profiles.",
    "When did Kokotajlo join OpenAI?",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5, help="passes over the questions for warm latency")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from rag import Config, ask, ingest, retrieve

    index_dir = Path(tempfile.mkdtemp(prefix="citewise-bench-")) / "index"
    config = Config(corpus_dir=ROOT / "seeds", index_dir=index_dir)
    t = time.perf_counter()
    report = ingest(config=config, progress=False)
    cold_ingest = time.perf_counter() - t
    t = time.perf_counter()
    again = ingest(config=config, progress=False)
    reingest = time.perf_counter() - t
    assert again.embedded == 0

    retrieve(QUESTIONS[0], config=config)  # warm-up: model, BM25, Chroma segments
    ask(QUESTIONS[0], config=config)
    r_times, a_times = [], []
    for _ in range(args.rounds):
        for q in QUESTIONS:
            t = time.perf_counter()
            retrieve(q, config=config)
            r_times.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            ask(q, config=config)
            a_times.append((time.perf_counter() - t) * 1000)

    env = os.environ | {"RAG_INDEX_DIR": str(index_dir)}
    # The child reports its own peak RSS from /proc (VmHWM starts afresh at exec, unlike
    # ru_maxrss, which Linux carries over from the forking parent).
    child = (
        "import re, sys; from rag.cli import main; code = main(sys.argv[1:]); "
        "print(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1), file=sys.stderr); "
        "sys.exit(code)"
    )
    cold, child_rss = [], []
    for _ in range(3):
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", child, "ask", QUESTIONS[1]], env=env, check=True, capture_output=True, text=True
        )
        cold.append(time.perf_counter() - t)
        child_rss.append(int(out.stderr.strip().splitlines()[-1]) / 1024)
    figures = {
        "chunks_and_sentences_embedded": report.embedded,
        "cold_ingest_s": round(cold_ingest, 2),
        "unchanged_reingest_s": round(reingest, 3),
        "retrieve_ms_p50": round(statistics.median(r_times), 1),
        "retrieve_ms_p95": round(percentile(r_times, 0.95), 1),
        "ask_ms_p50": round(statistics.median(a_times), 1),
        "ask_ms_p95": round(percentile(a_times, 0.95), 1),
        "cold_rag_ask_s_median_of_3": round(statistics.median(cold), 2),
        "peak_rss_mb_ingest_and_queries": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "peak_rss_mb_cold_rag_ask": round(max(child_rss), 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:34} {value}")


if __name__ == "__main__":
    main()
