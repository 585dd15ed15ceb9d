"""Chunk size and overlap, measured on the hand-written Q&A set (eval/qa.jsonl).

    python benchmarks/chunk_sweep.py

For each setting: the seeds are indexed with the real model, then for the answerable
questions it reports hit@1/hit@5/MRR@10 of a passage from a gold source containing an
acceptable answer, and the share of answers containing an acceptable answer.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rag import Config, ask, ingest
from rag.answer import retrieval_query
from rag.evaluation import load_qa
from rag.retrieval import rank, searcher

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = [(48, 1), (64, 1), (96, 0), (96, 1), (96, 2), (128, 1), (192, 1), (256, 1)]


def main() -> None:
    qa = [item for item in load_qa(ROOT / "eval" / "qa.jsonl") if item.answerable]
    print(f"{'tokens':>6} {'overlap':>7} {'chunks':>6} {'hit@1':>6} {'hit@5':>6} {'MRR@10':>6} {'answer':>6}")
    for size, overlap in SETTINGS:
        config = Config(
            corpus_dir=ROOT / "seeds",
            index_dir=Path(tempfile.mkdtemp()) / "index",
            chunk_tokens=size,
            chunk_overlap=overlap,
        )
        ingest(config=config, progress=False)
        s = searcher(config)
        hit1 = hit5 = correct = 0
        mrr = 0.0
        for d in qa:
            hits = rank(retrieval_query(d.question, d.history, config), config, 40)[:10]
            good = [
                i
                for i, h in enumerate(hits)
                if s.chunks[h.index].source in d.sources
                and any(a.lower() in s.chunks[h.index].text.lower() for a in d.answers)
            ]
            hit1 += bool(good) and good[0] == 0
            hit5 += bool(good) and good[0] < 5
            mrr += 1 / (good[0] + 1) if good else 0.0
            text = ask(d.question, d.history, config).text.lower()
            found = [a.lower() in text for a in d.answers]
            correct += all(found) if d.category == "list" else any(found)
        n = len(qa)
        print(
            f"{size:>6} {overlap:>7} {len(s.chunks):>6} {hit1 / n:>6.3f} {hit5 / n:>6.3f} {mrr / n:>6.3f} "
            f"{correct / n:>6.3f}"
        )


if __name__ == "__main__":
    main()
