"""The corpus's words and their vectors: a bridge from a question's words to the articles'.

An English question over French articles shares almost no word with them, so term
coverage and BM25 see nothing ("treaty" is never "traité"). The multilingual embedding
model knows the two are close: each corpus word is embedded once at index time, and a
question word is read as the nearest corpus word when they are close enough.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from index.lexical import QUESTION_WORDS, fold_accents, stopwords

# Words of three letters or more; digits and underscores are no word.
_WORD = re.compile(r"[^\W\d_]{3,}")
# The most widely used words are kept: rare ones are mostly names, spelt alike in both
# languages, and each word costs one embedding at index time.
MAX_WORDS = 10_000


def content_words(text: str) -> list[str]:
    """The lower-cased words of `text` that carry meaning (no stopword, no wh-word)."""
    out = []
    for word in _WORD.findall(text):
        lower = word.lower()
        folded = fold_accents(lower)
        if folded not in stopwords() and folded not in QUESTION_WORDS:
            out.append(lower)
    return out


def corpus_words(texts: Iterable[str], limit: int = MAX_WORDS) -> list[str]:
    """The distinct content words of `texts`, the `limit` used in most texts, sorted."""
    return most_used(word_counts(texts), limit)


def word_counts(texts: Iterable[str]) -> Counter[str]:
    """How many of `texts` use each content word."""
    return Counter(word for text in texts for word in set(content_words(text)))


def updated_word_counts(
    previous: Mapping[str, int], removed: Iterable[str], added: Iterable[str]
) -> Counter[str]:
    """`word_counts` of a corpus that lost the texts `removed` and gained `added`, from
    the previous corpus's counts: the same numbers, counting only the texts that moved."""
    counts = Counter(previous)
    counts.subtract(word_counts(removed))
    counts.update(word_counts(added))
    return +counts  # words no text uses any more are dropped


def most_used(counts: Mapping[str, int], limit: int = MAX_WORDS) -> list[str]:
    """The `limit` words used in most texts (ties by spelling), sorted."""
    kept = sorted(counts, key=lambda w: (-counts[w], w))[:limit]
    return sorted(kept)


@dataclass(frozen=True)
class WordVectors:
    """Corpus words and one L2-normalised vector each (row i is words[i])."""

    words: tuple[str, ...]
    vectors: NDArray[np.float32]

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError(f"{len(self.words)} words but vectors of shape {self.vectors.shape}")

    def by_word(self) -> dict[str, NDArray[np.float32]]:
        """Each word's vector, for reuse by the next build."""
        return dict(zip(self.words, self.vectors, strict=True))

    def nearest(self, vector: NDArray[np.float32]) -> tuple[str, float] | None:
        """The corpus word closest to `vector` and its cosine, None for no words."""
        if not self.words:
            return None
        similarities = self.vectors @ vector
        row = int(np.argmax(similarities))
        return self.words[row], float(similarities[row])
