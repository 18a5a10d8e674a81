"""Both stores behind one interface: the same results, the same incremental updates, the
same guarantees to readers. Every test here runs on the FAISS folder and on a real
PostgreSQL (tests/pg_server.py), so that the two cannot drift."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import index.build
from bot.answer import answer_question
from bot.answer.ranker import load_answer_model
from index.build import build_index
from index.chunk import ChunkSettings, chunk_article, split_sentences
from index.embed import VectorEmbeddings
from index.lexical import LexicalIndex
from index.models import Article, Chunk
from index.search import HybridSearcher
from index.store.base import IndexStore
from index.store.faiss import LoadedIndex
from index.store.faiss_store import update_of
from index.store.postgres import PostgresStore
from index.words import word_counts
from tests.index.store.conftest import StoreMaker

ROOT = Path(__file__).resolve().parents[3]

ARTICLES = {
    "a.txt": "Le port de Brest accueille une flotte de voiliers anciens. Les marins "
    "réparent les coques en chêne pendant l'hiver.",
    "b.txt": "La mairie de Lyon inaugure un tramway électrique. La ligne relie la gare "
    "Part-Dieu au campus de la Doua en vingt minutes.",
    "c.txt": "Un glacier des Alpes a perdu trente mètres en un an. Les guides de Chamonix "
    "déplacent leurs itinéraires vers le nord.",
}


def spans(hits: list) -> list[tuple[str, int, int]]:
    return [(h.chunk.article_id, h.chunk.start, h.chunk.end) for h in hits]


def gold_questions(count: int) -> list[str]:
    lines = (ROOT / "tests" / "data" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:count]]


def test_both_stores_search_and_answer_alike(
    seed_index: LoadedIndex, embedder: VectorEmbeddings, database_url: str
) -> None:
    store = PostgresStore(database_url)
    with store.lock():
        store.write(update_of(seed_index))
    postgres = HybridSearcher(store.open_reader(embedder.name, embedder.dimension), embedder)
    faiss = HybridSearcher.from_index(seed_index, embedder)
    model = load_answer_model()
    for question in gold_questions(30):
        vector = embedder.embed_question(question)
        for mode in ("hybrid", "dense", "lexical"):
            ours = postgres.search(question, 5, mode=mode, vector=vector)
            theirs = faiss.search(question, 5, mode=mode, vector=vector)
            assert spans(ours) == spans(theirs), (question, mode)
            for a, b in zip(ours, theirs, strict=True):
                assert (a.dense_rank, a.lexical_rank) == (b.dense_rank, b.lexical_rank)
                assert (a.dense_score is None) == (b.dense_score is None)
                assert (a.lexical_score is None) == (b.lexical_score is None)
                if a.dense_score is not None:
                    assert a.dense_score == pytest.approx(b.dense_score, abs=1e-5)
                if a.lexical_score is not None:
                    assert a.lexical_score == pytest.approx(b.lexical_score, rel=1e-4)
                assert a.score == pytest.approx(b.score)
        with postgres.reader.snapshot():
            ours_answer = answer_question(question, postgres, model)
        theirs_answer = answer_question(question, faiss, model)
        assert ours_answer.text == theirs_answer.text, question
        assert ours_answer.confidence == pytest.approx(theirs_answer.confidence, abs=1e-4)
    assert postgres.lexical.size == faiss.lexical.size
    # bm25s also lists "", its stand-in for a chunk without terms, which no query has.
    assert set(postgres.lexical.vocabulary()) == set(faiss.lexical.vocabulary()) - {""}
    for term in list(faiss.lexical.vocabulary())[:200]:
        assert postgres.lexical.idf(term) == pytest.approx(faiss.lexical.idf(term))
    assert postgres.words.words == faiss.words.words
    assert np.allclose(postgres.words.vectors, faiss.words.vectors)
    english = "Who did Putin meet in Pyongyang and which treaty did they sign?"
    assert postgres.bridge(english, 0.88) == faiss.bridge(english, 0.88)


def write_sources(folder: Path, articles: dict[str, str]) -> Path:
    if folder.exists():
        for old in folder.iterdir():
            old.unlink()
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in articles.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def searcher_of(store: IndexStore, embedder: VectorEmbeddings) -> HybridSearcher:
    return HybridSearcher(store.open_reader(embedder.name, embedder.dimension), embedder)


def test_incremental_add_replace_delete(
    make_store: StoreMaker, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    store = make_store()
    sources = write_sources(tmp_path / "src", ARTICLES)
    first = build_index(sources, store, embedder, ChunkSettings())
    assert (first.added, first.removed, first.articles) == (3, 0, 3)
    changed = {
        "a.txt": ARTICLES["a.txt"],
        "b.txt": "La mairie de Lyon suspend le tramway électrique après une panne géante.",
        "d.txt": "Les vendanges commencent en Bourgogne avec trois semaines d'avance.",
    }
    second = build_index(write_sources(sources, changed), store, embedder, ChunkSettings())
    assert (second.added, second.changed, second.removed, second.unchanged) == (1, 1, 1, 1)
    assert second.embedded == 2  # the new b.txt and d.txt, each one sentence: one chunk
    state = store.state()
    assert state is not None and set(state.articles) == set(changed)
    searcher = searcher_of(store, embedder)
    assert searcher.search("vendanges en Bourgogne", 1)[0].article.source == "d.txt"
    assert all(h.article.source != "c.txt" for h in searcher.search("glacier Chamonix", 5))
    assert "panne" in searcher.search("tramway de Lyon", 1)[0].chunk.text
    # Term statistics kept by deltas equal those of a fresh count over the chunks left.
    fresh = LexicalIndex.build(c.text for c in searcher.chunks)
    assert set(searcher.lexical.vocabulary()) - {""} == set(fresh.vocabulary()) - {""}
    for term in set(fresh.vocabulary()) - {""}:
        assert searcher.lexical.idf(term) == pytest.approx(fresh.idf(term))
    again = build_index(sources, store, embedder, ChunkSettings())
    assert again.up_to_date and again.build_id == second.build_id


def test_a_reader_sees_one_state_while_an_ingest_runs(
    make_store: StoreMaker, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    store = make_store()
    sources = write_sources(tmp_path / "src", ARTICLES)
    build_index(sources, store, embedder, ChunkSettings())
    question = "Que fait la mairie de Lyon avec le tramway ?"
    before = searcher_of(store, embedder)
    old = spans(before.search(question, 3))
    replaced = {**ARTICLES, "b.txt": "Le tramway de Lyon roule désormais la nuit."}
    write_sources(sources, replaced)
    seen: list[list[tuple[str, int, int]]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def ingest() -> None:
        try:
            build_index(sources, store, embedder, ChunkSettings())
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
        finally:
            done.set()

    with before.reader.snapshot():
        writer = threading.Thread(target=ingest)
        writer.start()
        while not done.wait(0.05):
            # Readers opened during the ingest: each sees the old state or the new one.
            current = searcher_of(store, embedder)
            with current.reader.snapshot():
                seen.append(spans(current.search(question, 3)))
        writer.join()
        assert not errors
        # The reader that started before the ingest still answers from its own state.
        assert spans(before.search(question, 3)) == old
    new = spans(searcher_of(store, embedder).search(question, 3))
    assert new != old
    assert all(result in (old, new) for result in seen)


def test_a_snapshot_is_the_state_of_entering_it(
    make_store: StoreMaker, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    # A whole ingest commits after the snapshot is opened and before anything is read in
    # it: the reads still see the state of the moment it was opened (PostgreSQL takes a
    # repeatable-read snapshot at the first query unless one is made at once).
    store = make_store()
    sources = write_sources(tmp_path / "src", ARTICLES)
    build_index(sources, store, embedder, ChunkSettings())
    question = "Que fait la mairie de Lyon avec le tramway ?"
    before = searcher_of(store, embedder)
    old = spans(before.search(question, 3))
    write_sources(sources, {**ARTICLES, "b.txt": "Le tramway de Lyon roule désormais la nuit."})
    with before.reader.snapshot():
        build_index(sources, store, embedder, ChunkSettings())
        assert spans(before.search(question, 3)) == old
        # Another reader opened meanwhile has its own view: the new state.
        fresh = searcher_of(store, embedder)
        with fresh.reader.snapshot():
            assert spans(fresh.search(question, 3)) != old


def test_a_failed_build_leaves_the_previous_state(
    make_store: StoreMaker, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    store = make_store()
    sources = write_sources(tmp_path / "src", ARTICLES)
    first = build_index(sources, store, embedder, ChunkSettings())
    question = "glacier des Alpes"
    old = spans(searcher_of(store, embedder).search(question, 3))

    class Interrupted(Exception):
        pass

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "embedding passages" and done > 0:
            raise Interrupted  # as Ctrl-C in the middle of embedding

    write_sources(sources, {"z.txt": "Une autre histoire, sans glacier ni Alpes."})
    with pytest.raises(Interrupted):
        build_index(sources, store, embedder, ChunkSettings(), progress=interrupt)
    assert store.current_build_id() == first.build_id
    assert spans(searcher_of(store, embedder).search(question, 3)) == old


def test_kept_articles_keep_their_stored_vectors(
    make_store: StoreMaker, embedder: VectorEmbeddings, tmp_path: Path
) -> None:
    # The build asks the store which spans it holds (PreviousBuild.stored) and hands it
    # zero rows for those: the store keeps its own vectors, never the zeros.
    store = make_store()
    sources = write_sources(tmp_path / "src", ARTICLES)
    build_index(sources, store, embedder, ChunkSettings())
    reader = store.open_reader(embedder.name, embedder.dimension)
    sentences = [
        (article_id, start, end)
        for article_id, article in reader.articles.items()
        for start, end in split_sentences(article.text)
    ]
    before = reader.sentence_vectors(sentences)
    assert len(before) == len(sentences) > 3
    write_sources(sources, {**ARTICLES, "d.txt": "Les vendanges commencent en Bourgogne."})

    report = build_index(sources, store, embedder, ChunkSettings())

    assert report.embedded == 1
    after = store.open_reader(embedder.name, embedder.dimension).sentence_vectors(sentences)
    assert set(after) == set(before)
    for span, vector in before.items():
        np.testing.assert_allclose(after[span], vector, atol=0.02)  # 8-bit FAISS sentences
    dense = searcher_of(store, embedder).search("glacier des Alpes Chamonix", 1, mode="dense")
    assert dense[0].article.source == "c.txt"


def test_unchanged_articles_are_not_split_or_counted_again(
    make_store: StoreMaker,
    embedder: VectorEmbeddings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The store hands on its chunk and sentence spans and its word counts
    # (PreviousBuild): the next build splits only the new text, and its counts are
    # those of a count over every chunk.
    store = make_store()
    sources = write_sources(tmp_path / "src", ARTICLES)
    build_index(sources, store, embedder, ChunkSettings())
    previous = store.previous(embedder.name, embedder.dimension)
    assert previous is not None and previous.word_counts is not None
    texts = [c.text for c in store.open_reader(embedder.name, embedder.dimension).all_chunks()]
    assert previous.word_counts == word_counts(texts)
    assert len(previous.chunks) == 3 and len(previous.sentences) == 6
    split: list[str] = []

    def chunk_counted(article: Article, *args: Any, **kwargs: Any) -> list[Chunk]:
        split.append(article.text)
        return chunk_article(article, *args, **kwargs)

    monkeypatch.setattr(index.build, "chunk_article", chunk_counted)
    changed = {**ARTICLES, "b.txt": "La mairie de Lyon suspend le tramway après une panne."}

    build_index(write_sources(sources, changed), store, embedder, ChunkSettings())

    assert split == [changed["b.txt"]]
    reader = store.open_reader(embedder.name, embedder.dimension)
    again = store.previous(embedder.name, embedder.dimension)
    assert again is not None
    assert again.word_counts == word_counts(c.text for c in reader.all_chunks())
    assert "panne" in again.word_counts and "inaugure" not in again.word_counts
