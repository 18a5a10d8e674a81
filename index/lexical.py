"""French-aware BM25: accent folding, elisions, stopwords and Snowball stemming."""

from __future__ import annotations

import json
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

from index.lexical_counts import ScoreMatrix, TermCounts, bm25_arrays

# Elided articles and pronouns glued to the next word by an apostrophe (l'accord, qu'il).
_ELISION = re.compile(
    r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu|presqu)['’ʼ`]", re.IGNORECASE
)
_TOKEN = re.compile(r"\w+")
_FOLDED_IERE = re.compile(r"iere(s?)$")
# Ligatures users type as two letters: "coeur" must find "cœur".
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})
# Interrogatives carry no topic: dropped from queries, kept in documents.
K1, B = 1.2, 0.75  # bm25s's defaults but k1 (Lucene's 1.2)
COUNTS_FILE = "counts.npy"  # each score's term count, for the next build
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
    """BM25 over analysed chunk texts, stored as numpy arrays and JSON (no pickle).

    Beside bm25s's files, the folder keeps each chunk's term counts (`counts.npy`, one
    per score), so that the next build analyses only the chunks it did not have
    (`updated`); serving never reads them."""

    def __init__(
        self, model: bm25s.BM25, counts: NDArray[np.int32] | None = None, folder: Path | None = None
    ) -> None:
        self._model = model
        self._counts = counts
        self._folder = folder

    @classmethod
    def build(cls, texts: Iterable[str]) -> LexicalIndex:
        return cls.from_counts(TermCounts.of_tokens(analyze(t) or [""] for t in texts))

    @classmethod
    def from_counts(cls, counts: TermCounts) -> LexicalIndex:
        """The index bm25s would build over these chunks' tokens (index/lexical_counts.py)."""
        model = bm25s.BM25(k1=K1, b=B)
        if counts.size == 0:
            return cls(model)
        matrix = bm25_arrays(counts, K1, B)
        vocabulary = {term: i for i, term in enumerate(matrix.vocabulary)}
        # What bm25s.BM25.index sets: an empty token after the last column when no chunk
        # was empty, the token ids, and no non-occurrence array (lucene scoring).
        vocabulary.setdefault("", len(vocabulary))
        model.scores = {
            "data": matrix.data,
            "indices": matrix.indices,
            "indptr": matrix.indptr,
            "num_docs": matrix.size,
        }
        model.vocab_dict = vocabulary
        model.unique_token_ids_set = set(vocabulary.values())
        model.nonoccurrence_array = None
        return cls(model, matrix.counts)

    def term_counts(self) -> TermCounts | None:
        """Each chunk's term counts, None when the build has none (one made before them)."""
        counts = self._counts
        if counts is None and self._folder is not None and self.size:
            path = self._folder / COUNTS_FILE
            if not path.is_file():
                return None
            counts = np.load(path, allow_pickle=False)
        if self.size == 0:
            return TermCounts((), *(np.zeros(0, dtype=np.int32),) * 3, size=0)
        if counts is None:
            return None
        scores = self._model.scores
        if counts.shape != scores["data"].shape:
            raise ValueError(f"{counts.shape[0]} term counts for {scores['data'].shape[0]} scores")
        columns = len(scores["indptr"]) - 1
        vocabulary = sorted(self.vocabulary(), key=self.vocabulary().__getitem__)[:columns]
        matrix = ScoreMatrix(
            tuple(vocabulary),
            scores["data"],
            np.asarray(scores["indices"], dtype=np.int32),
            np.asarray(scores["indptr"], dtype=np.int64),
            np.asarray(counts, dtype=np.int32),
            self.size,
        )
        return matrix.term_counts()

    def updated(self, previous_rows: Sequence[int], texts: Sequence[str]) -> LexicalIndex:
        """The index of a new list of chunks (`texts`): chunk i has the text of row
        `previous_rows[i]` of this index, or is new where that is -1. Only the new chunks
        are analysed; the scores are those of `build(texts)`."""
        previous = self.term_counts()
        if previous is None:
            return LexicalIndex.build(texts)
        fresh = TermCounts.of_tokens(
            analyze(texts[i]) or [""] for i, row in enumerate(previous_rows) if row < 0
        )
        return LexicalIndex.from_counts(previous.reordered(previous_rows, fresh))

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
            counts = self._counts
            if counts is None and self._folder is not None:
                path = self._folder / COUNTS_FILE
                counts = np.load(path, allow_pickle=False) if path.is_file() else None
            if counts is not None:
                np.save(folder / COUNTS_FILE, counts, allow_pickle=False)
        (folder / "lexical.json").write_text(json.dumps({"num_docs": self.size}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        meta = json.loads((folder / "lexical.json").read_text())
        if not meta.get("num_docs"):
            return cls.build([])
        model = bm25s.BM25.load(str(folder), allow_pickle=False, show_progress=False)
        return cls(model, folder=folder)
