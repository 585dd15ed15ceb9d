"""Checking what a language model wrote against the passages it cites.

The model answers in sentences ending with ``[n]`` markers that point at numbered
passages. Each sentence is kept only when one sentence of a passage it cites supports
it: most of its content words are there, or it says nearly the same thing (cosine of
the sentence embeddings), and it does not contradict that sentence: the same names,
numbers and dates, negation, no antonym, the same order of events and the same roles
(``rag.contradiction``). For a who-question the answer is such a name in such a role.
Markers pointing at no passage are dropped; a sentence citing nothing is unsupported.

The citation the user sees is the supporting span of the article (file, offsets,
verbatim text), never text the model wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .chunking import split_sentences
from .contradiction import contradiction, ordinary_words
from .embedding import Embedder
from .lexical import terms
from .spans import Citation, Passage

SUPPORT_TERMS = 0.6
"""A sentence is supported when this share of its content terms is in one cited sentence..."""
SUPPORT_COSINE = 0.7
"""...or when its embedding is at least this close to one cited sentence's. Both are
calibrated on the eval set by ``python benchmarks/grounding_calibration.py``."""

MIN_TERMS = 2
"""A claim needs this many content terms to be supported on shared words alone."""
RELEVANCE = 0.2
"""Least cosine between a claim and the question: a supported sentence must also be about it."""

_MARKER = re.compile(r"\s*\[(\d+)\]")
_LEADING_MARKERS = re.compile(r"^(\s*\[\d+\])+")


@dataclass(frozen=True)
class Claim:
    """One sentence the model wrote, with the passage numbers it cites (1-based)."""

    text: str
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Checked:
    """A claim and the article span that supports it (a sentence of a cited passage),
    or None when nothing does."""

    claim: Claim
    support: Citation | None
    terms: float
    cosine: float
    reason: str = ""
    """Why no sentence supports the claim (empty when one does)."""

    @property
    def supported(self) -> bool:
        return self.support is not None


def claims(generated: str) -> list[Claim]:
    """Split generated text into sentences and their ``[n]`` markers. Markers standing
    after the full stop ("... in May. [2][3] Next ...") belong to the sentence before."""
    out: list[Claim] = []
    for a, b in split_sentences(generated):
        piece = generated[a:b]
        leading = _LEADING_MARKERS.match(piece)
        if leading and out:
            moved = tuple(int(n) for n in _MARKER.findall(leading.group(0)))
            out[-1] = Claim(out[-1].text, out[-1].cited + moved)
            piece = piece[leading.end() :]
        cited = tuple(int(n) for n in _MARKER.findall(piece))
        text = _MARKER.sub("", piece).strip()
        if re.search(r"\w", text):
            out.append(Claim(text, cited))
    return out


def _sentences(passage: Passage) -> list[Citation]:
    """The sentences of a passage as spans of the article (offsets stay verbatim)."""
    return [Citation.of(passage, passage.start + a, passage.start + b) for a, b in split_sentences(passage.text)]


def _term_share(claim: str, sentence: str) -> float:
    wanted = set(terms(claim))
    return len(wanted & set(terms(sentence))) / len(wanted) if wanted else 0.0


def check(generated: str, passages: list[Passage], embedder: Embedder, question: str) -> list[Checked]:
    """Every claim of ``generated`` with its best supporting sentence among the passages
    it cites. Markers pointing at no passage are ignored; a claim citing no passage is
    checked against all of them (small models often forget markers). A claim must also
    be about the question: "I have been pwned", copied from an article, is not."""
    found = claims(generated)
    spans = {n: _sentences(p) for n, p in enumerate(passages, start=1)}
    texts = [question] + [c.text for c in found] + [s.text for n in spans for s in spans[n]]
    vectors = embedder.embed(texts)
    asked, claim_vectors = vectors[0], vectors[1 : len(found) + 1]
    offset = len(found) + 1
    span_vectors: dict[int, np.ndarray] = {}
    for n in spans:
        span_vectors[n] = vectors[offset : offset + len(spans[n])]
        offset += len(spans[n])
    ordinary = ordinary_words(question, *(p.text for p in passages))
    out = []
    for claim, vector in zip(found, claim_vectors, strict=True):
        cited = [n for n in dict.fromkeys(claim.cited) if n in spans] or list(spans)
        about = float(vector @ asked) >= RELEVANCE
        many_terms = len(set(terms(claim.text))) >= MIN_TERMS
        context = "\n".join(passages[n - 1].text for n in cited)
        best: tuple[bool, float, float, Citation, str] | None = None
        for n in cited:
            for sentence, sv in zip(spans[n], span_vectors[n], strict=True):
                share, cosine = _term_share(claim.text, sentence.text), float(sv @ vector)
                if not about:
                    reason = "it is not about the question"
                elif not ((share >= SUPPORT_TERMS and many_terms) or cosine >= SUPPORT_COSINE):
                    reason = "no cited sentence says it"
                else:  # close enough: now it must not contradict this very sentence
                    reason = contradiction(claim.text, sentence.text, ordinary, context)
                ok = not reason
                if best is None or (ok, max(share, cosine)) > (best[0], max(best[1], best[2])):
                    best = (ok, share, cosine, sentence, reason)
        if best is None:
            out.append(Checked(Claim(claim.text, tuple(cited)), None, 0.0, 0.0, "it cites no passage"))
            continue
        ok, share, cosine, sentence, reason = best
        out.append(Checked(Claim(claim.text, tuple(cited)), sentence if ok else None, share, cosine, reason))
    return out
