"""How well the llm answerer's check (rag/grounding.py) tells supported sentences from
contradicting ones, on the hand-written set tests/data/grounding_contradictions.jsonl.

Each record is a sentence of a seed article, a question it answers, rewrites that it
supports, and rewrites that contradict it, by kind: another name (the first word
included), a changed number or date, a negation added or dropped, an antonym verb or
adjective, an order word turned round (before/after), and swapped roles (who did what to
whom, or the wrong answer to the question). Every rewrite is checked, as a model's
sentence citing [1], against the article paragraph holding the sentence.

A contradiction is a positive: recall is the share of contradictions the check removes,
precision the share of removed sentences that were contradictions. The goal is recall
1.0 (no contradiction kept) with at most 10% of the supported rewrites removed.

    python benchmarks/grounding_contradictions.py [--verbose] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rag import Passage
from rag.contradiction import contradiction, ordinary_words
from rag.embedding import get_embedder
from rag.grounding import check

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "grounding_contradictions.jsonl"
"""The set the rules were written on (and which the tests hold them to)."""
HELD_OUT = ROOT / "tests" / "data" / "grounding_contradictions_heldout.jsonl"
"""Written after the rules, from other sentences, and never used to change them: their
figures on unseen rewrites (some kinds of contradiction they are known to miss included)."""
SEEDS = ROOT / "seeds"
KINDS = ("name", "number", "negation", "antonym", "order", "role")


@dataclass(frozen=True)
class Case:
    sentence: str
    """The seed sentence the claim rewrites."""
    kind: str
    """"supported", or the kind of contradiction."""
    claim: str
    question: str
    passage: Passage
    """The article paragraph holding the sentence the claim rewrites (a verbatim span)."""


def paragraph(source: str, sentence: str) -> Passage:
    """The line of ``source`` holding ``sentence``, as a passage with its offsets."""
    text = (SEEDS / source).read_bytes().decode("utf-8-sig")
    at = text.index(sentence)
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    end = len(text) if end < 0 else end
    return Passage(source, source, start, end, text[start:end], 1.0)


def load_cases(path: Path = DATA) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        passage = paragraph(record["source"], record["sentence"])
        for kind in ("supported", *KINDS):
            cases += [
                Case(record["sentence"], kind, claim, record["question"], passage) for claim in record.get(kind, [])
            ]
    return cases


@dataclass(frozen=True)
class Result:
    case: Case
    kept: bool
    reason: str


def run(cases: list[Case], embedder_name: str = "minilm") -> list[Result]:
    embedder = get_embedder(embedder_name)
    out = []
    for case in cases:
        [checked] = check(f"{case.claim} [1]", [case.passage], embedder, case.question)
        out.append(Result(case, checked.supported, checked.reason))
    return out


RULES = {
    "it is not about": "relevance",
    "no cited sentence": "similarity",
    "it names": "names",
    "it states": "numbers",
    "it counts": "numbers",
    "it speaks of": "numbers",
    "it dates": "numbers",
    "it negates": "negation",
    "the cited sentence says": "negation",
    "it says “": "antonym",
    "it orders": "order",
    "it makes": "roles",
    "it swaps": "roles",
}


def rule(reason: str) -> str:
    """Which rule of the check removed a sentence, from its reason."""
    return next((name for prefix, name in RULES.items() if reason.startswith(prefix)), "other")


def figures(results: list[Result]) -> dict[str, float | int | dict[str, dict[str, int]]]:
    """Counts per kind (and per rule that removed them), and precision / recall of the
    check as a contradiction detector."""
    per_kind: dict[str, Counter[str]] = {}
    for r in results:
        counts = per_kind.setdefault(r.case.kind, Counter())
        counts["kept" if r.kept else "removed"] += 1
        if not r.kept:
            counts[f"by {rule(r.reason)}"] += 1
    contradictions = [r for r in results if r.case.kind != "supported"]
    supported = [r for r in results if r.case.kind == "supported"]
    caught = sum(not r.kept for r in contradictions)
    false_alarms = sum(not r.kept for r in supported)
    return {
        "supported": len(supported),
        "supported_removed": false_alarms,
        "contradictions": len(contradictions),
        "contradictions_kept": len(contradictions) - caught,
        "precision": round(caught / max(1, caught + false_alarms), 3),
        "recall": round(caught / max(1, len(contradictions)), 3),
        "per_kind": {k: dict(v) for k, v in per_kind.items()},
    }


def rules_alone(cases: list[Case]) -> dict[str, int]:
    """``rag.contradiction`` on each claim and the very sentence it rewrites: what the
    new rules catch by themselves, whatever the older similarity and relevance rules do."""
    caught = flagged = 0
    for case in cases:
        reason = contradiction(case.claim, case.sentence, ordinary_words(case.question, case.passage.text))
        if case.kind == "supported":
            flagged += bool(reason)
        else:
            caught += bool(reason)
    return {"caught": caught, "flagged": flagged}


def report(path: Path, embedder: str, verbose: bool) -> dict[str, object]:
    results = run(load_cases(path), embedder)
    f: dict[str, object] = dict(figures(results))
    print(f"{path.relative_to(ROOT)}: {f['supported']} supported rewrites, {f['contradictions']} contradictions\n")
    print(f"{'kind':<10} {'kept':>5} {'removed':>8}  removed by")
    for kind, counts in f["per_kind"].items():  # type: ignore[attr-defined]
        by = ", ".join(f"{k[3:]} {n}" for k, n in sorted(counts.items()) if k.startswith("by "))
        print(f"{kind:<10} {counts.get('kept', 0):>5} {counts.get('removed', 0):>8}  {by}")
    supported, removed = int(f["supported"]), int(f["supported_removed"])  # type: ignore[call-overload]
    print(
        f"\ncontradictions kept: {f['contradictions_kept']} of {f['contradictions']}; "
        f"supported removed: {removed} of {supported} ({removed / max(1, supported):.1%})"
    )
    print(f"as a contradiction detector: precision {f['precision']:.3f}, recall {f['recall']:.3f}")
    alone = rules_alone(load_cases(path))
    print(
        f"the contradiction rules alone (each claim against its own sentence, without the similarity and "
        f"relevance rules): {alone['caught']} of {f['contradictions']} contradictions caught, "
        f"{alone['flagged']} of {supported} supported rewrites flagged"
    )
    f["rules_alone"] = alone
    if verbose:
        for r in results:
            if r.kept != (r.case.kind == "supported"):
                verdict = "KEPT" if r.kept else "REMOVED"
                print(f"\n{verdict} [{r.case.kind}] {r.case.claim}\n    reason: {r.reason or '-'}")
    return f


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="list every wrong decision with its reason")
    parser.add_argument("--embedder", default="minilm", help="minilm (default) or hashing")
    parser.add_argument("--data", type=Path, action="append", help="a set (default: the tuning and held-out sets)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write the figures to this JSON file")
    args = parser.parse_args()
    out = {}
    for n, path in enumerate(args.data or [DATA, HELD_OUT]):
        if n:
            print("\n" + "-" * 100 + "\n")
        out[path.name] = report(path.resolve(), args.embedder, args.verbose)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
