"""Sound-alike name matching (``BM25.sound_alikes`` in rag/lexical.py): difflib against
rapidfuzz, on the same phonetic keys and the same 0.75 similarity floor.

Two vocabularies: the seed articles, and the 5,183 SciFact abstracts (the size at which
lookup speed matters). Queries: the capitalised words of the eval questions (seeds) and
of 300 SciFact claims, each as typed and with one letter dropped (a typo). For each
implementation it prints the time of a lookup with nothing cached, and how often the two
return the same sound-alikes. Answer quality (the spelling category) is `rag eval`'s.

    python benchmarks/name_matching.py
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from difflib import SequenceMatcher
from pathlib import Path

from rapidfuzz import fuzz, process

from rag.lexical import BM25, FUZZY_MIN, names, phonetic

ROOT = Path(__file__).resolve().parent.parent
SCIFACT = next(
    (p for p in (ROOT.parent / "shared" / "bench" / "scifact", Path("/work/shared/bench/scifact")) if p.is_dir()),
    None,
)

Lookup = Callable[[str], list[tuple[str, float]]]


def _grams(key: str) -> set[str]:
    padded = f"^{key}$"
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def difflib_lookup(vocabulary: list[str]) -> Lookup:
    """The matcher Citewise used before: trigram candidates, then difflib's ratio."""
    by_gram: dict[str, set[str]] = {}
    for t in vocabulary:
        for g in _grams(phonetic(t)):
            by_gram.setdefault(g, set()).add(t)

    def lookup(term: str) -> list[tuple[str, float]]:
        key = phonetic(term)
        candidates = set().union(*(by_gram.get(g, set()) for g in _grams(key))) - {term}
        matcher = SequenceMatcher(None, b=key)
        scored = []
        for t in candidates:
            if len(t) < 3:
                continue
            matcher.set_seq1(phonetic(t))
            if matcher.real_quick_ratio() >= FUZZY_MIN and matcher.quick_ratio() >= FUZZY_MIN:
                scored.append((t, matcher.ratio()))
        return sorted((x for x in scored if x[1] >= FUZZY_MIN), key=lambda x: (-x[1], x[0]))[:3]

    return lookup


def rapidfuzz_lookup(vocabulary: list[str]) -> Lookup:
    """rapidfuzz's ratio (normalised InDel similarity) over every phonetic key at once."""
    terms = [t for t in vocabulary if len(t) >= 3]
    keys = [phonetic(t) for t in terms]

    def lookup(term: str) -> list[tuple[str, float]]:
        found = process.extract(phonetic(term), keys, scorer=fuzz.ratio, score_cutoff=100 * FUZZY_MIN, limit=None)
        scored = [(terms[i], score / 100) for _, score, i in found if terms[i] != term]
        return sorted(scored, key=lambda x: (-x[1], x[0]))[:3]

    return lookup


def rapidfuzz_trigram_lookup(vocabulary: list[str]) -> Lookup:
    """The same trigram candidates as before, scored by rapidfuzz's ratio."""
    by_gram: dict[str, set[str]] = {}
    keys: dict[str, str] = {}
    for t in vocabulary:
        if len(t) >= 3:
            keys[t] = phonetic(t)
            for g in _grams(keys[t]):
                by_gram.setdefault(g, set()).add(t)

    def lookup(term: str) -> list[tuple[str, float]]:
        key = phonetic(term)
        candidates = sorted(set().union(*(by_gram.get(g, set()) for g in _grams(key))) - {term})
        found = process.extract(
            key, [keys[t] for t in candidates], scorer=fuzz.ratio, score_cutoff=100 * FUZZY_MIN, limit=None
        )
        return sorted(((candidates[i], score / 100) for _, score, i in found), key=lambda x: (-x[1], x[0]))[:3]

    return lookup


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]


def queries(questions: list[str], rng: random.Random) -> list[str]:
    found = list(dict.fromkeys(n for q in questions for n in names(q)))
    return found + [_typo(n, rng) for n in found if len(n) > 4]


def _terms(found: list[tuple[str, float]]) -> list[str]:
    return [t for t, _ in found]


def measure(vocabulary: list[str], asked: list[str], repeat: int = 3) -> dict[str, object]:
    out: dict[str, object] = {"vocabulary": len(vocabulary), "queries": len(asked)}
    results: dict[str, list[list[tuple[str, float]]]] = {}
    makers = {"difflib": difflib_lookup, "rapidfuzz": rapidfuzz_lookup, "rapidfuzz+trigrams": rapidfuzz_trigram_lookup}
    for name, make in makers.items():
        t = time.perf_counter()
        lookup = make(vocabulary)
        out[f"{name} setup ms"] = round(1000 * (time.perf_counter() - t), 1)
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            results[name] = [lookup(q) for q in asked]
            times.append((time.perf_counter() - t) / len(asked))
        out[f"{name} ms/lookup"] = round(1000 * statistics.median(times), 3)
    for name in ("rapidfuzz", "rapidfuzz+trigrams"):
        pairs = list(zip(asked, results["difflib"], results[name], strict=True))
        out[f"{name}: same top-3 as difflib"] = round(sum(_terms(a) == _terms(b) for _, a, b in pairs) / len(pairs), 3)
        out[f"{name}: same best as difflib"] = round(
            sum(_terms(a)[:1] == _terms(b)[:1] for _, a, b in pairs) / len(pairs), 3
        )
        out[f"{name}: where the best differs"] = [
            f"{q}: {_terms(a)} vs {_terms(b)}" for q, a, b in pairs if _terms(a)[:1] != _terms(b)[:1]
        ][:4]
    return out


def main() -> None:
    rng = random.Random(0)
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    eval_questions = [json.loads(line)["question"] for line in (ROOT / "eval" / "qa.jsonl").open(encoding="utf-8")]
    report = {"seeds": measure(BM25(seeds).to_arrays()[0], queries(eval_questions, rng))}
    if SCIFACT is not None:
        rows = [json.loads(line) for line in (SCIFACT / "corpus.jsonl").open(encoding="utf-8")]
        claims = [json.loads(line)["text"] for line in (SCIFACT / "queries.jsonl").open(encoding="utf-8")][:300]
        bm25 = BM25([f"{r['title']}\n{r['text']}" for r in rows])
        report["scifact"] = measure(bm25.to_arrays()[0], queries(claims, rng), repeat=1)
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
