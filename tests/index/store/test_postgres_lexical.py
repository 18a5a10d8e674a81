"""The PostgreSQL store's bounded BM25 (index/store/postgres_lexical.py), against a real
PostgreSQL started on 127.0.0.1 (tests/pg_server.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.lexical import LexicalIndex
from index.search import HybridSearcher
from index.store.postgres import PostgresStore
from index.store.postgres_lexical import bm25_idf, lexical_plan
from tests.index.store.test_stores import write_sources


def test_lexical_plan_takes_the_rarest_terms_within_the_budget() -> None:
    frequencies = {"rare": 2, "mid": 5, "common": 900}
    plan = lexical_plan(["common", "rare", "mid", "common"], frequencies, 1000, budget=10)
    assert plan.seeds == ["rare", "mid"] and not plan.capped
    # "common" is left out twice, as often as the query repeats it.
    assert plan.bound() == pytest.approx(2 * bm25_idf(900, 1000))
    assert plan.exact([9.0, 8.0], 2) and not plan.exact([9.0, 0.1], 2)
    assert not plan.exact([9.0], 2)  # fewer found than asked: a skipped chunk may follow
    everything = lexical_plan(["common", "rare"], frequencies, 1000, budget=1000)
    assert everything.seeds == ["rare", "common"] and everything.bound() == 0
    assert everything.exact([], 5)
    capped = lexical_plan(["common"], frequencies, 1000, budget=10)
    assert capped.seeds == ["common"] and capped.capped and not capped.exact([9.0], 1)


COMMON = "Le tramway de la ville circule"
BOUNDED = {
    **{f"t{i:02d}.txt": f"{COMMON} dans le quartier numéro {i}." for i in range(12)},
    "gare1.txt": f"{COMMON} jusqu'à la gare centrale.",
    "gare2.txt": f"{COMMON} vers la gare du nord, puis la gare de l'est.",
}


def _bounded_store(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path, budget: int
) -> tuple[PostgresStore, HybridSearcher]:
    sources = write_sources(tmp_path / "src", BOUNDED)
    store = PostgresStore(database_url, lexical_budget=budget)
    build_index(sources, store, embedder, ChunkSettings())
    return store, HybridSearcher(store.open_reader(embedder.name, embedder.dimension), embedder)


def test_a_bounded_lexical_search_scores_its_candidates_with_the_whole_query(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    # Budget 3: "gare" (2 chunks) finds the candidates, "tramway" (14) does not, but
    # still counts in their scores.
    store, searcher = _bounded_store(database_url, embedder, tmp_path, budget=3)
    exact = LexicalIndex.build(c.text for c in searcher.chunks)
    by_text = {c.id: c.text for c in searcher.chunks}
    order = [c.id for c in searcher.chunks]
    expected = exact.search("tramway gare", 10)
    found = searcher.lexical_search("tramway gare", 2)
    assert len(found) == 2
    assert [by_text[row] for row, _ in found] == [by_text[order[m.row]] for m in expected[:2]]
    for (_, score), match in zip(found, expected, strict=False):
        assert score == pytest.approx(match.score, rel=1e-4)  # both terms scored
    plan = lexical_plan(["tramway", "gar"], searcher.lexical.vocabulary(), 14, 3)
    assert plan.seeds == ["gar"] and plan.exact([s for _, s in found], 2)
    # Asked for 10: only the 2 candidates come back, where full BM25 has 14 (the bound).
    assert len(searcher.lexical_search("tramway gare", 10)) == 2 < len(expected)
    store.close()


def test_a_term_above_the_budget_alone_reads_its_newest_chunks_only(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    store, searcher = _bounded_store(database_url, embedder, tmp_path, budget=4)
    found = searcher.lexical_search("tramway", 10)
    newest = sorted(c.id for c in searcher.chunks)[-4:]
    assert sorted(row for row, _ in found) == newest
    store.close()
    unbounded = PostgresStore(database_url, lexical_budget=100)
    reader = unbounded.open_reader(embedder.name, embedder.dimension)
    assert len(reader.retrieve(None, "tramway", 20).lexical) == 14
    unbounded.close()
