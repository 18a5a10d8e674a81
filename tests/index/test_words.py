"""Corpus words and their vectors (index/words.py): what is kept, and nearest neighbours."""

from __future__ import annotations

import numpy as np
import pytest

from index.words import (
    WordVectors,
    content_words,
    corpus_words,
    most_used,
    updated_word_counts,
    word_counts,
)


def test_content_words_drop_stopwords_wh_words_digits_and_short_words() -> None:
    assert content_words("Which treaty did they sign in 2024, and why?") == ["treaty", "sign"]
    assert content_words("Qu'a dit l'OTAN du traité ?") == ["dit", "otan", "traité"]


def test_corpus_words_keep_the_most_used_and_are_sorted() -> None:
    texts = ["traité signé", "traité accord", "traité accord munitions"]
    assert corpus_words(texts) == ["accord", "munitions", "signé", "traité"]
    # Three texts use "traité", two "accord", one each of the others.
    assert corpus_words(texts, limit=2) == ["accord", "traité"]


def test_updated_counts_equal_counts_of_the_new_corpus() -> None:
    before = ["Le traité est signé.", "Un traité, un accord.", "Les munitions livrées."]
    after = ["Le traité est signé.", "Un nouvel accord signé.", "Accord sur les munitions."]
    counts = updated_word_counts(word_counts(before), before[1:], after[1:])
    assert counts == word_counts(after)
    assert "livrées" not in counts  # a word no text uses any more is gone
    assert most_used(counts, 2) == corpus_words(after, limit=2) == ["accord", "signé"]


def test_word_vectors_find_the_nearest_word() -> None:
    vectors = np.eye(3, dtype=np.float32)
    words = WordVectors(("accord", "munitions", "traité"), vectors)
    query = np.array([0.1, 0.2, 0.97], dtype=np.float32)
    word, similarity = words.nearest(query) or ("", 0.0)
    assert word == "traité"
    assert similarity == pytest.approx(0.97)
    assert words.by_word()["munitions"].tolist() == [0.0, 1.0, 0.0]
    assert WordVectors((), np.zeros((0, 3), np.float32)).nearest(query) is None


def test_word_vectors_must_match_their_words() -> None:
    with pytest.raises(ValueError, match="2 words"):
        WordVectors(("a", "b"), np.zeros((3, 4), np.float32))
