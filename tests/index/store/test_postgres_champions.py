"""Champion lists of the PostgreSQL store (index/store/postgres_champions.py): what a
bounded lexical search reads for a common term, and how builds keep them, against a real
PostgreSQL started on 127.0.0.1 (tests/pg_server.py)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings
from index.lexical import LexicalIndex
from index.search import HybridSearcher
from index.store import postgres_champions as champions_module
from index.store.postgres import PostgresStore
from index.store.postgres_lexical import bm25_idf, lexical_plan
from tests.index.store.test_postgres_lexical import BOUNDED
from tests.index.store.test_stores import write_sources

# Lists for terms in more than 3 chunks, 4 deep; 3 postings through the GIN index.
THRESHOLD, DEPTH, BUDGET = 3, 4, 3
SHORT = {"court.txt": "Le tramway.", "moyen.txt": "Le tramway de la ville."}
LONG = (
    "Dans le quartier numéro 12, les habitants attendent depuis des années une nouvelle "
    "ligne de bus, des pistes cyclables et des bancs sur la place du marché."
)


def test_a_common_term_brings_its_champions_and_their_floor() -> None:
    frequencies = {"rare": 2, "common": 900, "mid": 40}
    plan = lexical_plan(["common", "rare", "mid"], frequencies, 1000, budget=10, listed_df=50)
    assert plan.seeds == ["rare"] and plan.listed == ["common"] and not plan.capped
    # "mid" has no list: its idf bounds what it adds; "common" adds at most its floor.
    idf = {t: bm25_idf(frequencies[t], 1000) for t in frequencies}
    assert plan.bound({"common": 0.5}) == pytest.approx(idf["mid"] + 0.5 * idf["common"])
    alone = lexical_plan(["common"], frequencies, 1000, budget=10, listed_df=50)
    assert alone.seeds == [] and alone.listed == ["common"] and not alone.capped
    assert alone.exact([0.3 * idf["common"]], 1, {"common": 0.3})
    assert not alone.exact([0.2 * idf["common"]], 1, {"common": 0.3})
    unlisted = lexical_plan(["common"], frequencies, 1000, budget=10)
    assert unlisted.seeds == ["common"] and unlisted.capped


def _store(
    database_url: str, schema: str = "newsbot", champions: tuple[int, int] = (THRESHOLD, DEPTH)
) -> PostgresStore:
    return PostgresStore(database_url, schema=schema, lexical_budget=BUDGET,
                         champions=champions)  # fmt: skip


def _build(store: PostgresStore, embedder: VectorEmbeddings, sources: Path) -> HybridSearcher:
    build_index(sources, store, embedder, ChunkSettings())
    return HybridSearcher(store.open_reader(embedder.name, embedder.dimension), embedder)


def _lists(database_url: str, schema: str = "newsbot") -> dict[str, set[str]]:
    """Each listed term's champions, by chunk text (ids differ between stores)."""
    lists: dict[str, set[str]] = {}
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            f"SELECT ch.term, c.text FROM {schema}.champions ch "
            f"JOIN {schema}.chunks c ON c.id = ch.chunk_id"
        )
        for term, text in rows:
            lists.setdefault(term, set()).add(text)
    return lists


def _fresh_lists(
    database_url: str,
    embedder: VectorEmbeddings,
    sources: Path,
    champions: tuple[int, int] = (THRESHOLD, DEPTH),
) -> dict[str, set[str]]:
    """The lists a first build of `sources` makes, in a schema of their own."""
    store = _store(database_url, "fresh", champions)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS fresh CASCADE")
    _build(store, embedder, sources)
    store.close()
    return _lists(database_url, "fresh")


@pytest.mark.parametrize("query", ["tramway", "tramway gare", "ville quartier", "gare"])
def test_an_exact_bounded_list_is_bm25s_top(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path, query: str
) -> None:
    store = _store(database_url)
    searcher = _build(store, embedder, write_sources(tmp_path / "src", {**BOUNDED, **SHORT}))
    exact = LexicalIndex.build(c.text for c in searcher.chunks)
    expected = [m.score for m in exact.search(query, 3)]
    found = searcher.reader.retrieve(None, query, 3)
    if query == "tramway":  # 16 chunks: its 4 champions, the shortest ones first
        texts = {c.id: c.text for c in searcher.chunks}
        assert texts[found.lexical[0][0]] == "Le tramway."
    assert found.lexical_exact  # each of these is bounded by the lists
    assert [s for _, s in found.lexical] == pytest.approx(expected, rel=1e-4)
    store.close()


def test_builds_keep_the_lists_a_first_build_would_make(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The incremental paths: no recomputation for the average length's drift (below).
    monkeypatch.setattr(champions_module, "AVGDL_DRIFT", 100.0)
    src = tmp_path / "src"
    store = _store(database_url)
    _build(store, embedder, write_sources(src, BOUNDED))
    first = _lists(database_url)
    assert set(first) == {"tramway", "vill", "circul", "quarti", "numero"}
    assert "tramway" in first and all(len(v) == DEPTH for v in first.values())
    assert "gar" not in first  # in 2 chunks: below the threshold

    # New short chunks outrank the old champions and push them out; "gare", now in 4
    # chunks, gets a list.
    grown = {**BOUNDED, **SHORT, "gare3.txt": "La gare.", "gare4.txt": "Une gare neuve."}
    _build(store, embedder, write_sources(src, grown))
    assert "Le tramway." in _lists(database_url)["tramway"]
    assert len(_lists(database_url)["gar"]) == DEPTH
    assert _lists(database_url) == _fresh_lists(database_url, embedder, src)

    # Deleting most of a list leaves it under half its depth: computed again. A list
    # kept at half or more keeps its best (they were the best before), and a new chunk
    # below its floor stays out (an old one outside the list may outrank it).
    champions = _lists(database_url)["tramway"]
    kept = {n: t for n, t in grown.items() if not any(t in c for c in champions)}
    kept["long.txt"] = LONG
    _build(store, embedder, write_sources(src, kept))
    lists, fresh = _lists(database_url), _fresh_lists(database_url, embedder, src)
    assert lists["tramway"] == fresh["tramway"] and len(fresh["tramway"]) == DEPTH
    assert lists.keys() == fresh.keys()
    assert all(len(v) >= DEPTH // 2 and v <= fresh[t] for t, v in lists.items())

    # A term no longer common loses its list, even where its champions stay.
    members = [n for n, t in kept.items() if any(t in c for c in lists["tramway"])]
    _build(store, embedder, write_sources(src, {n: kept[n] for n in members[:THRESHOLD]}))
    assert _lists(database_url) == {}  # no term left in more than 3 chunks
    store.close()
    deeper = PostgresStore(database_url, champions=(1, 2))
    _build(deeper, embedder, write_sources(src, kept))
    assert all(len(v) <= 2 for v in _lists(database_url).values())
    assert len(_lists(database_url)["tramway"]) == 2
    deeper.close()
    fresh = _fresh_lists(database_url, embedder, src, champions=(1, 2))
    assert _lists(database_url).keys() == fresh.keys()


def test_a_migrated_index_gets_its_lists_from_the_next_indexer(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    store = _store(database_url)
    sources = write_sources(tmp_path / "src", BOUNDED)
    _build(store, embedder, sources)
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM newsbot.champions")
        conn.execute("UPDATE newsbot.state SET champion_df = NULL, champion_depth = NULL")
    reader = store.open_reader(embedder.name, embedder.dimension)
    found = reader.retrieve(None, "tramway", 20)
    assert len(found.lexical) == BUDGET and not found.lexical_exact  # capped, as before
    store.close()
    store = _store(database_url)
    report = build_index(sources, store, embedder, ChunkSettings())
    assert report.up_to_date  # nothing changed, no build written: the lists still come
    assert len(_lists(database_url)["tramway"]) == DEPTH
    reader = store.open_reader(embedder.name, embedder.dimension)
    assert reader.retrieve(None, "tramway", DEPTH).lexical_exact
    # Schema 4 migrated, lists not yet computed again: their floors bound nothing.
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("UPDATE newsbot.state SET champion_avgdl = NULL")
    assert not reader.retrieve(None, "tramway", DEPTH).lexical_exact
    store.close()


def test_new_list_settings_compute_every_list_again(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    first = _store(database_url)
    _build(first, embedder, write_sources(src, BOUNDED))
    first.close()
    assert "gar" not in _lists(database_url)  # in 2 chunks
    # One more chunk like the others (the average length stays), under new settings.
    more = {**BOUNDED, "t12.txt": BOUNDED["t11.txt"].replace("11", "12")}
    store = _store(database_url, champions=(1, 2))
    _build(store, embedder, write_sources(src, more))
    lists = _lists(database_url)
    assert lists.keys() == _fresh_lists(database_url, embedder, src, champions=(1, 2)).keys()
    assert len(lists["gar"]) == 2  # untouched by the change, listed by the new threshold
    store.close()


DRIFTED_BEFORE = {
    "rouge.txt": "Tramway rouge.",
    "bleu.txt": "Tramway bleu.",
    "passe.txt": "Le tramway passe par ici souvent.",
    "long.txt": "Tramway " * 4 + "poire " * 36,
}
DRIFTED_AFTER = {**DRIFTED_BEFORE, **{f"pomme{i}.txt": "pomme " * 100 for i in range(10)}}


def _drifted(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> tuple[PostgresStore, HybridSearcher]:
    """A list written when chunks were short; then long chunks without its term came,
    raising the average length (and every impact, the long chunk's most) but leaving
    the list untouched. One chunk per article."""
    store = PostgresStore(database_url, lexical_budget=3, champions=(3, 2))
    src = tmp_path / "src"
    build_index(write_sources(src, DRIFTED_BEFORE), store, embedder, ChunkSettings(size=5000))
    build_index(write_sources(src, DRIFTED_AFTER), store, embedder, ChunkSettings(size=5000))
    return store, HybridSearcher(store.open_reader(embedder.name, embedder.dimension), embedder)


def test_a_list_older_than_the_average_length_is_not_taken_for_exact(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without the recomputation past the drift, the floors must widen with the length.
    monkeypatch.setattr(champions_module, "AVGDL_DRIFT", 100.0)
    store, searcher = _drifted(database_url, embedder, tmp_path)
    assert _lists(database_url)["tramway"] == {"Tramway rouge.", "Tramway bleu."}
    exact = LexicalIndex.build(c.text for c in searcher.chunks)
    best = exact.search("tramway", 1)[0]
    assert searcher.chunks[best.row].text.startswith("Tramway Tramway")  # outside the list
    found = searcher.reader.retrieve(None, "tramway", 2)
    assert not found.lexical_exact
    store.close()


def test_lists_are_computed_again_once_the_average_length_drifts(
    database_url: str, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    store, searcher = _drifted(database_url, embedder, tmp_path)
    assert "Tramway Tramway" in " ".join(_lists(database_url)["tramway"])
    exact = LexicalIndex.build(c.text for c in searcher.chunks)
    found = searcher.reader.retrieve(None, "tramway", 2)
    assert found.lexical_exact
    assert [s for _, s in found.lexical] == pytest.approx(
        [m.score for m in exact.search("tramway", 2)], rel=1e-4
    )
    with psycopg.connect(database_url) as conn:
        least, avgdl = conn.execute(
            "SELECT champion_avgdl, total_length::float8 / chunk_count FROM newsbot.state"
        ).fetchone() or (None, None)
    assert least == pytest.approx(avgdl)
    store.close()
