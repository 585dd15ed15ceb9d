"""Load on the web chat's /ask API: N concurrent gradio_client users asking different
questions for a fixed time against the real app (`python -m ui`, real model, default
index) started on loopback in its own process, as it is deployed.

    python benchmarks/ui_load.py [--users 20] [--seconds 30]

Prints requests, errors and latency p50/p95/max. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from foundation import QUESTIONS  # the same questions as the latency benchmark (benchmarks/ is on sys.path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()

    from gradio_client import Client

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

    def user(n: int) -> tuple[list[float], int]:
        client = Client(url, verbose=False)
        latencies, errors, i = [], 0, n
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                client.predict(question=QUESTIONS[i % len(QUESTIONS)], history=[], api_name="/ask")
                latencies.append((time.perf_counter() - t) * 1000)
            except Exception:
                errors += 1
            i += 1
        return latencies, errors

    started = time.perf_counter()
    with ThreadPoolExecutor(args.users) as pool:
        results = list(pool.map(user, range(args.users)))
    elapsed = time.perf_counter() - started
    server.terminate()
    server.wait(timeout=30)
    latencies = sorted(x for lat, _ in results for x in lat)
    errors = sum(e for _, e in results)
    p95 = latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] if latencies else float("nan")
    print(
        f"users {args.users}, {elapsed:.0f} s: {len(latencies)} answers, {errors} errors, "
        f"{len(latencies) / elapsed:.1f} answers/s"
    )
    if latencies:
        print(f"latency ms: p50 {statistics.median(latencies):.0f}, p95 {p95:.0f}, max {latencies[-1]:.0f}")


if __name__ == "__main__":
    main()
