"""Calibrate the answerer's sentence-scoring weights on a Q&A set (eval/qa.jsonl).

    python benchmarks/answer_tuning.py [--qa FILE]

For every answerable question it collects the candidate sentences once (real model,
seeds index), labels each (from a gold source and holding an acceptable answer or the
gold quote) and grid-searches the weights of ``rag.answer.WEIGHTS`` for the share of
questions whose top sentence is a supporting one. Prints the current weights' score
and the best few settings; it changes nothing.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

from rag import Config
from rag.answer import WEIGHTS, Candidate, candidates, of_asked_type
from rag.evaluation import _Corpus, _supports, load_qa
from rag.retrieval import Passage, searcher

ROOT = Path(__file__).resolve().parent.parent
GRID = {
    "coverage": [0.25, 0.5, 1.0, 1.5],
    "context": [0.0, 0.2, 0.5],
    "answer_type": [0.0, 0.15, 0.3, 0.5],
    "rank": [0.0, 0.15, 0.3],
    "fragment": [0.0, -0.2, -0.5],
}


def top_is_support(cands: list[tuple[dict[str, float], bool]], weights: dict[str, float]) -> bool:
    if not cands:
        return False
    best = max(cands, key=lambda c: sum(weights[k] * v for k, v in c[0].items()))
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qa", type=Path, default=ROOT / "eval" / "qa.jsonl")
    args = parser.parse_args()
    config = Config.from_env()
    corpus = _Corpus(config.corpus_dir)
    s = searcher(config)
    data = []
    for item in load_qa(args.qa):
        if not item.answerable:
            continue
        cands: list[Candidate] = candidates(item.question, item.history, config)
        cands = of_asked_type(item.question, cands)
        labelled = []
        for c in cands:
            p = Passage(s.chunks[c.chunk].source, "", c.start, c.end, c.text, 0.0)
            labelled.append((c.features, _supports(item, p, corpus)))
        data.append(labelled)
    n = len(data)
    reachable = sum(any(label for _, label in d) for d in data)
    current = sum(top_is_support(d, WEIGHTS) for d in data)
    print(f"questions {n}; a supporting sentence among the candidates: {reachable}")
    print(f"current weights {WEIGHTS}: top sentence supports in {current}/{n}")
    results = []
    for values in itertools.product(*GRID.values()):
        weights = {"similarity": 1.0, **dict(zip(GRID, values, strict=True))}
        results.append((sum(top_is_support(d, weights) for d in data), weights))
    results.sort(key=lambda r: -r[0])
    for hits, weights in results[:8]:
        print(f"{hits}/{n}  {weights}")


if __name__ == "__main__":
    main()
