"""Is the web chat still responsive for a normal user while others send the largest inputs
it accepts? The real app (`python -m ui`, real model, default index) is started on
loopback in its own process, as deployed. ``--hostile`` clients call /ask in a loop with
a maximal question (RAG_MAX_QUESTION_CHARS of made-up capitalised words, the worst case
for sound-alike matching) and a history of 1 MB earlier questions (just under the
request size limit); one normal user asks the usual questions meanwhile.

    python benchmarks/ui_hostile.py [--hostile 4] [--seconds 60]

Prints the normal user's latency p50/p95/max and how many hostile requests were served.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from common import percentile  # benchmarks/ is on sys.path
from foundation import QUESTIONS


def made_up_names(n: int, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7)).capitalize() for _ in range(n))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hostile", type=int, default=4, help="clients sending maximal inputs (default 4)")
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args()

    from gradio_client import Client

    from rag import Config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "ui", "--port", str(port)], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    server.stdout.readline()  # "Citewise web chat on http://..." once the index is ready
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            Client(url, verbose=False)
            break
        except Exception:
            time.sleep(0.3)

    limit = Config.from_env().max_question_chars
    stop = threading.Event()
    served = [0] * args.hostile
    errors = [0] * args.hostile

    def hostile(n: int) -> None:
        client = Client(url, verbose=False)
        question = made_up_names(limit // 8, seed=n)[:limit] + "?"
        history = [made_up_names(125_000, seed=100 + n)[:990_000]]  # ~1 MB, under the 2 MB request limit
        while not stop.is_set():
            try:
                client.predict(question=question, history=history, api_name="/ask")
                served[n] += 1
            except Exception:
                errors[n] += 1

    workers = [threading.Thread(target=hostile, args=(n,), daemon=True) for n in range(args.hostile)]
    for w in workers:
        w.start()
    time.sleep(3)  # let them get going
    client = Client(url, verbose=False)
    latencies: list[float] = []
    normal_errors, i = 0, 0
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        t = time.perf_counter()
        try:
            client.predict(question=QUESTIONS[i % len(QUESTIONS)], history=[], api_name="/ask")
            latencies.append((time.perf_counter() - t) * 1000)
        except Exception:
            normal_errors += 1
        i += 1
    stop.set()
    for w in workers:
        w.join(timeout=60)
    server.terminate()
    server.wait(timeout=30)
    print(
        f"{args.hostile} hostile clients (question {limit} chars of made-up names, history ~1 MB), "
        f"{args.seconds:.0f} s: {sum(served)} hostile requests served, {sum(errors)} refused or failed"
    )
    if latencies:
        print(
            f"normal user: {len(latencies)} answers, {normal_errors} errors; latency ms p50 "
            f"{statistics.median(latencies):.0f}, p95 {percentile(latencies, 0.95):.0f}, max {max(latencies):.0f}"
        )


if __name__ == "__main__":
    main()
