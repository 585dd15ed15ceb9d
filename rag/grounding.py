"""Checking what a language model wrote against the passages it cites.

The model answers in sentences ending with ``[n]`` markers that point at numbered
passages. Each sentence is kept only when one sentence of a passage it cites supports
it: most of its content words are there, or it says nearly the same thing (cosine of
the sentence embeddings), and every number and name it states is in the cited passages.
Markers pointing at no passage are dropped; a sentence citing nothing is unsupported.

The citation the user sees is the supporting span of the article (file, offsets,
verbatim text), never text the model wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from .chunking import split_sentences
from .embedding import Embedder
from .evidence import is_named
from .lexical import terms
from .question import name_words
from .retrieval import Passage

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
_SPECIFIC = re.compile(r"\b\d[\d,.:%]*\b|(?<=\s)[A-Z][\w'’\-]+")


@dataclass(frozen=True)
class Claim:
    """One sentence the model wrote, with the passage numbers it cites (1-based)."""

    text: str
    cited: tuple[int, ...]


@dataclass(frozen=True)
class Checked:
    """A claim and the article span that supports it, or None when nothing does."""

    claim: Claim
    support: Passage | None
    terms: float
    cosine: float

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


def _sentences(passage: Passage) -> list[Passage]:
    """The sentences of a passage as spans of the article (offsets stay verbatim)."""
    return [
        replace(passage, start=passage.start + a, end=passage.start + b, text=passage.text[a:b])
        for a, b in split_sentences(passage.text)
    ]


def _term_share(claim: str, sentence: str) -> float:
    wanted = set(terms(claim))
    return len(wanted & set(terms(sentence))) / len(wanted) if wanted else 0.0


def _specifics_present(claim: str, sentence: str) -> bool:
    """Every number and capitalised word (but the first) of the claim is in the supporting
    sentence; a name may be spelled differently ("Tchaikovsky" for "Chaikovsky")."""
    names = name_words(sentence)
    for found in _SPECIFIC.findall(claim):
        word = re.sub(r"['’]s$", "", found).rstrip(".,:")
        if word.lower() not in sentence.lower() and not (word[:1].isupper() and is_named(word, names)):
            return False
    return True


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
    out = []
    for claim, vector in zip(found, claim_vectors, strict=True):
        cited = [n for n in dict.fromkeys(claim.cited) if n in spans] or list(spans)
        about = float(vector @ asked) >= RELEVANCE
        many_terms = len(set(terms(claim.text))) >= MIN_TERMS
        best: tuple[bool, float, float, Passage] | None = None
        for n in cited:
            for sentence, sv in zip(spans[n], span_vectors[n], strict=True):
                share, cosine = _term_share(claim.text, sentence.text), float(sv @ vector)
                # every number and name of the claim must be in this very sentence
                ok = (
                    about
                    and ((share >= SUPPORT_TERMS and many_terms) or cosine >= SUPPORT_COSINE)
                    and _specifics_present(claim.text, sentence.text)
                )
                if best is None or (ok, max(share, cosine)) > (best[0], max(best[1], best[2])):
                    best = (ok, share, cosine, sentence)
        if best is None:
            out.append(Checked(Claim(claim.text, tuple(cited)), None, 0.0, 0.0))
            continue
        ok, share, cosine, sentence = best
        out.append(Checked(Claim(claim.text, tuple(cited)), sentence if ok else None, share, cosine))
    return out
