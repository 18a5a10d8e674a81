"""BM25 from term counts: bm25s's own scores, and an incremental index equal to a fresh one."""

from __future__ import annotations

import random
from pathlib import Path

import bm25s
import numpy as np
import pytest

from index.chunk import ChunkSettings, chunk_articles
from index.clean import make_article
from index.lexical import LexicalIndex, analyze
from index.lexical_counts import TermCounts, bm25_arrays
from index.models import SourceDocument

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
QUESTIONS = [
    "Qui accompagne Poutine ?",
    "Quand Kim a-t-il invité Poutine ?",
    "Quel traité de partenariat stratégique a été signé à Pyongyang ?",
    "Les sanctions du Conseil de sécurité de l'ONU",
    "munitions livrées à la Russie en échange de technologie",
    "Il a été et il est.",
]


def seed_chunk_texts() -> list[str]:
    documents = [
        SourceDocument(text=p.read_text(encoding="utf-8"), origin=p.name)
        for p in sorted(SEEDS.glob("*.txt"))
    ]
    articles = [a for a in (make_article(d) for d in documents) if a is not None]
    return [c.text for c in chunk_articles(articles, ChunkSettings(size=300))]


def columns_by_term(vocab: dict[str, int], scores: dict[str, np.ndarray]) -> dict[str, dict]:
    """{term: {row: score}} of a bm25s score matrix, whatever its column order."""
    indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
    out: dict[str, dict] = {}
    for term, column in vocab.items():
        if column + 1 < len(indptr):
            span = slice(indptr[column], indptr[column + 1])
            out[term] = dict(zip(indices[span].tolist(), data[span].tolist(), strict=True))
    return out


def test_scores_are_bm25s_own_float_for_float() -> None:
    texts = [*seed_chunk_texts(), "Il a été et il est."]  # an empty chunk too
    tokens = [analyze(t) or [""] for t in texts]
    reference = bm25s.BM25(k1=1.2, b=0.75)
    reference.index(tokens, show_progress=False)
    matrix = bm25_arrays(TermCounts.of_tokens(tokens), 1.2, 0.75)
    ours = {term: i for i, term in enumerate(matrix.vocabulary)}
    mine = {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr}
    expected = columns_by_term(reference.vocab_dict, reference.scores)
    assert columns_by_term(ours, mine) == expected  # exact float32 equality, every entry
    assert matrix.data.dtype == np.float32
    index = LexicalIndex.build(texts)
    for question in QUESTIONS:
        terms = [t for t in analyze(question, query=True) if t in reference.vocab_dict]
        if terms:
            assert np.array_equal(index.scores(terms), reference.get_scores(terms))
    assert set(index.vocabulary()) == set(reference.vocab_dict)


def test_counts_survive_a_save_and_load(tmp_path: Path) -> None:
    texts = seed_chunk_texts()
    built = LexicalIndex.build(texts)
    built.save(tmp_path / "lexical")
    assert (tmp_path / "lexical" / "counts.npy").is_file()
    loaded = LexicalIndex.load(tmp_path / "lexical")
    a, b = built.term_counts(), loaded.term_counts()
    assert a is not None and b is not None
    assert a.vocabulary == b.vocabulary and a.size == b.size
    for field in ("rows", "terms", "counts"):
        assert np.array_equal(getattr(a, field), getattr(b, field))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_updated_index_equals_a_fresh_one(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    texts = seed_chunk_texts()
    old = rng.sample(texts, len(texts) * 2 // 3)
    previous = LexicalIndex.build(old)
    previous.save(tmp_path / "old")
    previous = LexicalIndex.load(tmp_path / "old")  # counts read back from the folder
    new = [t for t in texts if t not in old[:5]]  # some left, some stayed, some arrived
    rng.shuffle(new)
    new.append("Une correction : le bilan s'établit désormais à 120 personnes.")
    rows = [old.index(t) if t in old else -1 for t in new]
    assert min(rows) == -1 and max(rows) >= 0
    updated = previous.updated(rows, new)
    fresh = LexicalIndex.build(new)
    assert updated.vocabulary() == fresh.vocabulary()
    assert updated.size == fresh.size == len(new)
    for question in [*QUESTIONS, "bilan correction personnes"]:
        assert updated.search(question, 10) == fresh.search(question, 10)
        terms = analyze(question, query=True)
        assert np.array_equal(updated.scores(terms), fresh.scores(terms))
    # A term only the chunks that left used is gone, as in a fresh build.
    gone = set(previous.vocabulary()) - {t for x in new for t in analyze(x)} - {""}
    assert gone and not gone & set(updated.vocabulary())


def test_an_index_without_counts_is_rebuilt_in_full(tmp_path: Path) -> None:
    texts = seed_chunk_texts()
    LexicalIndex.build(texts).save(tmp_path / "lexical")
    (tmp_path / "lexical" / "counts.npy").unlink()  # a build made before counts were kept
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.term_counts() is None
    updated = loaded.updated([0, -1], [texts[0], "Pyongyang accueille Moscou."])
    assert updated.search("Pyongyang", 2) == LexicalIndex.build(
        [texts[0], "Pyongyang accueille Moscou."]
    ).search("Pyongyang", 2)
