"""Calibrate the llm answerer's support check (rag/grounding.py) on the eval set.

For every answerable eval question with a gold quote, two claims its own passages
support (positives): the quote itself, and the question restated with its gold answer in
place of the question word ("Jakub Pachocki replaced Sutskever as chief scientist"), in
the asker's words rather than the article's. Negatives: the same restatement with
another question's answer ("Sam Altman replaced Sutskever..."), and another question's
quote, which the passages do not hold (on topic, same people, a different fact).
For each pair of thresholds (share of the claim's content terms found in one sentence;
cosine to one sentence) the script prints how many positives are kept and how many
negatives wrongly pass, then the same with every rule of the check. Run: python benchmarks/grounding_calibration.py
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from rag import Config, open_index, retrieve
from rag.answer import retrieval_query
from rag.embedding import get_embedder
from rag.evaluation import load_qa
from rag.grounding import SUPPORT_COSINE, SUPPORT_TERMS, check

ROOT = Path(__file__).resolve().parent.parent


WH = re.compile(r"^(who|what|which \w+|when|where)\b( did| does| is| was)?\s*", re.I)


def restate(question: str, answer: str) -> str:
    """ "Who replaced Sutskever as chief scientist?" + "Jakub Pachocki" -> a claim."""
    return WH.sub(answer + " ", question).rstrip("?").strip() + "."


def main() -> int:
    config = Config.from_env()
    open_index(config)  # builds the default index on first use
    embedder = get_embedder(config.embedder)
    items = [i for i in load_qa(ROOT / "eval" / "qa.jsonl") if i.answerable and i.quote]
    rng = random.Random(0)
    pairs: list[tuple[bool, float, float, bool]] = []  # (positive, term share, cosine, kept)
    for item in items:
        passages = retrieve(retrieval_query(item.question, item.history, config), config=config)
        holds = [p for p in passages if item.quote in p.text]
        if not holds:
            continue  # retrieval missed the gold passage: nothing to calibrate on
        other = rng.choice([o for o in items if o.id != item.id and not any(o.quote in p.text for p in passages)])
        claims = [(True, item.quote), (False, other.quote)]
        if WH.match(item.question):
            claims += [
                (True, restate(item.question, item.answers[0])),
                (False, restate(item.question, other.answers[0])),
            ]
        for positive, claim in claims:
            [result] = check(f"{claim} [1]", passages, embedder, item.question)
            pairs.append((positive, result.terms, result.cosine, result.supported))
    pos = [p for p in pairs if p[0]]
    neg = [p for p in pairs if not p[0]]
    print(f"{len(pos)} positive and {len(neg)} negative claims (eval/qa.jsonl)\n")
    print("terms  cosine  positives kept  negatives passed")
    for terms in (0.4, 0.5, 0.6, 0.7, 0.8):
        for cosine in (0.6, 0.7, 0.8):
            kept = sum((t >= terms or c >= cosine) for _, t, c, _ in pos) / len(pos)
            passed = sum((t >= terms or c >= cosine) for _, t, c, _ in neg) / len(neg)
            mark = "  <- in use" if (terms, cosine) == (SUPPORT_TERMS, SUPPORT_COSINE) else ""
            print(f"{terms:5.1f}  {cosine:6.1f}  {kept:14.3f}  {passed:16.3f}{mark}")
    full_kept = sum(p[3] for p in pos) / len(pos)
    full_passed = sum(p[3] for p in neg) / len(neg)
    print(f"\nWith every rule (names and numbers in the sentence, relevance): positives kept {full_kept:.3f},")
    print(f"negatives passed {full_passed:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
