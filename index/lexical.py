"""French-aware BM25: accent folding, elisions, stopwords and Snowball stemming."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import Stemmer
from numpy.typing import NDArray

# Elided articles and pronouns glued to the next word by an apostrophe (l'accord, qu'il).
_ELISION = re.compile(
    r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)['’ʼ`]", re.IGNORECASE
)
_TOKEN = re.compile(r"\w+")
_FOLDED_IERE = re.compile(r"iere(s?)$")
# Ligatures users type as two letters: "coeur" must find "cœur".
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# Interrogatives carry no topic: dropped from queries, kept in documents.
QUESTION_WORDS = frozenset(
    "qui quoi quand ou comment combien quel quelle quels quelles lequel laquelle lesquels "
    "what who whom whose when where why how which much many est-ce".split()
)


@cache
def stopwords() -> frozenset[str]:
    """Folded French and English stopwords, read once from the package data."""
    text = resources.files("index").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    words = (w for line in text.splitlines() if not line.startswith("#") for w in line.split())
    return frozenset(words)


@cache
def _stemmer() -> Any:
    return Stemmer.Stemmer("french")


@cache
def _fold_table() -> dict[int, str]:
    """Latin letters with diacritics -> their base letters, for `str.translate`."""
    table: dict[int, str] = {}
    for code in range(0xC0, 0x250):
        decomposed = unicodedata.normalize("NFKD", chr(code))
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        if base != chr(code):
            table[code] = base
    return table


def fold_accents(text: str) -> str:
    """Lower-case and strip diacritics: "Élysée" -> "elysee"."""
    folded = text.lower().translate(_fold_table())
    if folded.isascii():
        return folded
    # Rarer scripts and combining marks: the slow, general path.
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def analyze(text: str, *, query: bool = False) -> list[str]:
    """Index terms of `text`: elisions cut, accent-folded, stopwords dropped, then stemmed."""
    words = _TOKEN.findall(fold_accents(_ELISION.sub(" ", text)).translate(_LIGATURES))
    stop = stopwords()
    kept = [w for w in words if len(w) > 1 and w not in stop]
    if query:
        kept = [w for w in kept if w not in QUESTION_WORDS]
    # Fold before stemming, so that a question typed without accents gets the same terms
    # as the accented text ("coree" and "Corée" both give "cor"). Snowball's French rules
    # read "é" and "è", so two of them are redone by hand on folded words.
    return stem_words(kept)


def stem_words(folded: Sequence[str]) -> list[str]:
    """Snowball stems of already folded words, keeping stopwords: "ans" -> "an".

    "-ière" is mapped to "-ier" before stemming and the "e" left by "-ée" is dropped after.
    """
    stems = _stemmer().stemWords([_FOLDED_IERE.sub(r"ier\1", w) for w in folded])
    return [s[:-1] if len(s) > 3 and s.endswith("e") else s for s in stems]


@lru_cache(maxsize=200_000)
def document_terms(text: str) -> frozenset[str]:
    """The distinct index terms of a passage or sentence, cached across questions."""
    return frozenset(analyze(text))


@dataclass(frozen=True)
class LexicalMatch:
    """A chunk row and its BM25 score."""

    row: int
    score: float


class LexicalIndex:
    """BM25 over analysed chunk texts, stored as numpy arrays and JSON (no pickle)."""

    def __init__(self, model: bm25s.BM25) -> None:
        self._model = model

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        corpus = [analyze(t) or [""] for t in texts]
        # bm25s logs every build at DEBUG through its own handler; keep the CLI quiet.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        model = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            model.index(corpus, show_progress=False)
        return cls(model)

    @property
    def size(self) -> int:
        return int(getattr(self._model, "scores", {}).get("num_docs", 0))

    def vocabulary(self) -> dict[str, int]:
        vocab: dict[str, int] = getattr(self._model, "vocab_dict", None) or {}
        return vocab

    def idf(self, term: str) -> float:
        """log(1 + N/df): how rare a term is; a term the corpus never uses gets the maximum."""
        n = max(self.size, 1)
        column = self.vocabulary().get(term)
        if column is None:
            return float(np.log1p(n))
        indptr = self._model.scores["indptr"]
        df = max(int(indptr[column + 1] - indptr[column]), 1)
        return float(np.log1p(n / df))

    def scores(self, terms: Sequence[str]) -> NDArray[np.float32]:
        """BM25 score of every chunk for already-analysed query terms."""
        vocab = self.vocabulary()
        known = [t for t in terms if t in vocab]
        if not known or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._model.get_scores(known), dtype=np.float32)

    def search(self, query: str, k: int) -> list[LexicalMatch]:
        """Top `k` chunks with a positive score, best first."""
        scores = self.scores(analyze(query, query=True))
        if scores.size == 0:
            return []
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        # Equal scores by row, a defined order that the PostgreSQL store's SQL follows too
        # (argpartition leaves ties in an order of its own).
        top = top[np.lexsort((top, -scores[top]))]
        return [LexicalMatch(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._model.save(str(folder), allow_pickle=False, show_progress=False)
        (folder / "lexical.json").write_text(json.dumps({"num_docs": self.size}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        meta = json.loads((folder / "lexical.json").read_text())
        if not meta.get("num_docs"):
            return cls.build([])
        model = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)
        return cls(model)
