"""An incremental build updates the previous HNSW graphs, BM25 and word counts, and answers
like a full rebuild."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import Iterable
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index import build as build_module
from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.lexical import LexicalIndex, analyze
from index.models import Article, Chunk
from index.search import HybridSearcher
from index.store import faiss as store
from index.store import faiss_update, slots
from index.store.faiss import load_index

pytestmark = pytest.mark.slow  # the real embedder

QUERIES = [
    "Qui accompagne Poutine ?",
    "Quand Poutine va-t-il en Corée du Nord ?",
    "accord de partenariat stratégique",
    "What did Putin sign?",
]


def answers(index_dir: Path, embedder: VectorEmbeddings) -> list[list[tuple[str, int, float]]]:
    searcher = HybridSearcher.from_index(load_index(index_dir), embedder)
    return [
        [(h.article.id, h.chunk.start, round(h.score, 6)) for h in searcher.search(q, 5)]
        for q in QUERIES
    ]


# Score drift allowed when sentence vectors are 8-bit: the incremental graph keeps the
# quantiser trained on the first build, a full rebuild trains it on today's vectors.
QUANTISED_TOLERANCE = 1e-3


@pytest.mark.parametrize("quantised", [False, True])
def test_an_incremental_build_answers_like_a_full_rebuild(
    seed_dir: Path,
    tmp_path: Path,
    embedder: VectorEmbeddings,
    monkeypatch: pytest.MonkeyPatch,
    quantised: bool,
) -> None:
    monkeypatch.setattr(store, "HNSW_THRESHOLD", 1)  # graphs even for five articles
    if not quantised:
        flat = store.build_dense_index
        monkeypatch.setattr(faiss_update, "build_dense_index", lambda v, quantized=False: flat(v))
    monkeypatch.setattr(slots, "COMPACT_FRACTION", 0.9)  # keep the graph whatever changes
    sources = tmp_path / "sources"
    shutil.copytree(seed_dir, sources)
    held_back = sources / "004_e9cc385765b94f2b.txt"
    text = held_back.read_text(encoding="utf-8")
    held_back.unlink()
    incremental = tmp_path / "incremental"
    build_index(sources, incremental, embedder, ChunkSettings())

    # One article added, one changed, one removed.
    held_back.write_text(text, encoding="utf-8")
    changed = sources / "003_461a80f96c7b2d8d.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nUne phrase ajoutée.\n")
    (sources / "001_9094e598d010c395.txt").unlink()
    report = build_index(sources, incremental, embedder, ChunkSettings())
    live = incremental / "builds" / str(report.build_id)
    # Both graphs were updated in place: the rows that left are tombstones.
    assert (live / "dense.rows.npy").is_file() and (live / "sentences.rows.npy").is_file()

    full = tmp_path / "full"
    build_index(sources, full, embedder, ChunkSettings(), rebuild=True)
    assert not (full / "builds" / str(current_id(full)) / "dense.rows.npy").exists()
    if not quantised:
        assert answers(incremental, embedder) == answers(full, embedder)
        return
    for got, want in zip(answers(incremental, embedder), answers(full, embedder), strict=True):
        assert_alike(got, want, QUANTISED_TOLERANCE)


def assert_alike(
    got: list[tuple[str, int, float]], want: list[tuple[str, int, float]], tolerance: float
) -> None:
    """The same hits with scores within `tolerance`; a hit only one side has, and a swapped
    pair, only where the scores are that close (near-ties at the cut or in the order)."""
    mine = {(a, s): score for a, s, score in got}
    theirs = {(a, s): score for a, s, score in want}
    for key in mine.keys() & theirs.keys():
        assert abs(mine[key] - theirs[key]) <= tolerance, key
    cut = min(want[-1][2], got[-1][2])
    for key in mine.keys() ^ theirs.keys():
        assert abs(mine.get(key, theirs.get(key, 0.0)) - cut) <= tolerance, key
    for (a, b), (c, d) in zip(pairwise(got), pairwise(want), strict=True):
        if (a[0], a[1]) == (d[0], d[1]) and (b[0], b[1]) == (c[0], c[1]):
            assert abs(a[2] - b[2]) <= tolerance


def current_id(index_dir: Path) -> str:
    return (index_dir / "CURRENT").read_text(encoding="utf-8").strip()


GOLD = Path(__file__).resolve().parents[1] / "data" / "gold.jsonl"


def test_an_incremental_build_counts_only_what_moved_and_scores_like_a_fresh_one(
    seed_dir: Path, tmp_path: Path, embedder: VectorEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(seed_dir, sources)
    incremental = tmp_path / "incremental"
    build_index(sources, incremental, embedder, ChunkSettings())
    changed = sources / "003_461a80f96c7b2d8d.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\nUne correction ajoutée.\n")
    (sources / "001_9094e598d010c395.txt").unlink()

    # The second build must neither analyse every chunk for BM25 nor count every
    # chunk's words, nor split the unchanged articles again.
    full_counts: list[int] = []
    split: list[str] = []
    real_word_counts, real_chunk_article = build_module.word_counts, build_module.chunk_article

    def counting(texts: Iterable[str]) -> Counter[str]:
        texts = list(texts)
        full_counts.append(len(texts))
        return real_word_counts(texts)

    def chunking(article: Article, *args: Any, **kwargs: Any) -> list[Chunk]:
        split.append(article.id)
        return real_chunk_article(article, *args, **kwargs)

    def no_full_bm25(cls: type[LexicalIndex], texts: Iterable[str]) -> LexicalIndex:
        raise AssertionError("BM25 rebuilt from every text")

    with monkeypatch.context() as patch:
        patch.setattr(build_module, "word_counts", counting)
        patch.setattr(build_module, "chunk_article", chunking)
        patch.setattr(LexicalIndex, "build", classmethod(no_full_bm25))
        build_index(sources, incremental, embedder, ChunkSettings())
    assert full_counts == [] and len(split) == 1

    full = tmp_path / "full"
    build_index(sources, full, embedder, ChunkSettings(), rebuild=True)
    a, b = load_index(incremental), load_index(full)
    assert list(a.chunks) == list(b.chunks) and list(a.sentences) == list(b.sentences)
    assert a.words.words == b.words.words
    assert word_counts_of(incremental) == word_counts_of(full) is not None
    assert a.lexical.vocabulary().keys() == b.lexical.vocabulary().keys()
    questions = [json.loads(line)["question"] for line in GOLD.read_text("utf-8").splitlines()]
    assert len(questions) > 100
    searchers = [HybridSearcher.from_index(x, embedder) for x in (a, b)]
    for question in questions:
        terms = analyze(question, query=True)
        assert np.array_equal(a.lexical.scores(terms), b.lexical.scores(terms)), question
        assert a.lexical.search(question, 50) == b.lexical.search(question, 50), question
        ranked = [
            [
                (h.article.id, h.chunk.start, h.lexical_score, h.lexical_rank)
                for h in s.search(question, 5)
            ]
            for s in searchers
        ]
        assert ranked[0] == ranked[1], question


def word_counts_of(index_dir: Path) -> dict[str, int] | None:
    return store.read_word_counts(index_dir, store.read_manifest(index_dir))
