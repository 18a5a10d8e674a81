"""Hybrid search over the real seed index: fusion, modes, k, wire copies folded into one hit."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import Matrix, VectorEmbeddings
from index.models import Hit
from index.search import MAX_BRIDGED_WORDS, HybridSearcher, SearchSettings
from index.store.faiss import LoadedIndex, load_index

pytestmark = pytest.mark.slow  # every test here searches the real seed index

LAVROV = (
    "Poutine sera accompagné de hauts responsables russes, dont le ministre des Affaires "
    "étrangères Sergueï Lavrov et le ministre de la Défense Andreï Belooussov."
)
COPY = "wire/002_copy.txt"


def texts(hits: list[Hit]) -> list[str]:
    return [h.chunk.text for h in hits]


def test_who_accompanies_putin_finds_lavrov_and_belooussov(searcher: HybridSearcher) -> None:
    hits = searcher.search("Qui accompagne Poutine ?", 3)
    assert any(LAVROV in text for text in texts(hits))


@pytest.mark.parametrize(
    "query",
    ["Qui accompagne Poutine ?", "Quand Poutine va-t-il en Corée du Nord ?", "accord securite"],
)
def test_hybrid_hits_carry_both_retrievers_evidence(searcher: HybridSearcher, query: str) -> None:
    s = searcher.settings
    vector = searcher.embed(query)
    dense = {
        row: (rank, score)
        for rank, (row, score) in enumerate(searcher.dense_search(vector, s.candidates), 1)
    }
    sentence = {
        row: rank for rank, (row, _) in enumerate(searcher.sentence_search(vector, s.candidates), 1)
    }
    lexical = {
        row: (rank, score)
        for rank, (row, score) in enumerate(searcher.lexical_search(query, s.candidates), 1)
    }
    hits = searcher.search(query, 5)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert any(h.dense_rank is not None and h.lexical_rank is not None for h in hits)
    for hit in hits:
        row = hit.chunk.id
        assert hit.article.id == hit.chunk.article_id
        assert (hit.dense_rank, hit.dense_score) == dense.get(row, (None, None))
        assert (hit.lexical_rank, hit.lexical_score) == lexical.get(row, (None, None))
        fused = sum(
            weight / (s.rrf_k + rank)
            for weight, rank in [
                (s.dense_weight, hit.dense_rank),
                (s.lexical_weight, hit.lexical_rank),
                (s.sentence_weight, sentence.get(row)),
            ]
            if rank is not None
        )
        assert hit.score == pytest.approx(fused)


def test_dense_mode_uses_only_vectors(searcher: HybridSearcher) -> None:
    hits = searcher.search("Qui accompagne Poutine ?", 5, mode="dense")
    assert len(hits) == 5
    assert all(h.dense_score is not None and h.lexical_score is None for h in hits)
    assert all(-1.0 <= h.dense_score <= 1.0 for h in hits if h.dense_score is not None)
    # A paraphrase with no word of the text is still found by meaning.
    assert any(
        "Lavrov" in t
        for t in texts(searcher.search("Which ministers travel with him?", 5, mode="dense"))
    )


def test_lexical_mode_uses_only_terms(searcher: HybridSearcher) -> None:
    hits = searcher.search("Lavrov Belooussov", 5, mode="lexical")
    assert hits and all(h.lexical_score is not None and h.dense_score is None for h in hits)
    assert LAVROV in hits[0].chunk.text
    # Without accents, the accented text is found all the same.
    assert LAVROV in searcher.search("ministre de la Defense", 1, mode="lexical")[0].chunk.text


@pytest.mark.parametrize("k", [1, 3, 7])
def test_k_is_respected(searcher: HybridSearcher, k: int) -> None:
    hits = searcher.search("Poutine en Corée du Nord", k)
    assert len(hits) == k
    assert len({h.chunk.id for h in hits}) == k


def test_k_larger_than_the_index(searcher: HybridSearcher) -> None:
    hits = searcher.search("Poutine", 500)
    assert 0 < len(hits) <= len(searcher.chunks)


def test_gibberish_gets_dense_hits_and_no_lexical_ones(searcher: HybridSearcher) -> None:
    query = "xqzvw plorfk zzyzx"
    assert searcher.search(query, 5, mode="lexical") == []
    hits = searcher.search(query, 5)
    assert len(hits) == 5
    assert all(h.lexical_score is None and h.dense_score is not None for h in hits)


def test_fusion_weights_are_applied(seed_index: LoadedIndex, embedder: VectorEmbeddings) -> None:
    query = "Qui accompagne Poutine ?"
    no_vectors = SearchSettings(dense_weight=0.0, sentence_weight=0.0)
    weighted = HybridSearcher.from_index(seed_index, embedder, no_vectors)
    lexical = [h.chunk.id for h in weighted.search(query, 5, mode="lexical")]
    assert len(lexical) == 5
    # With the vector lists weighted 0, the fused order is the BM25 order.
    assert [h.chunk.id for h in weighted.search(query, 5)] == lexical


@pytest.fixture(scope="module")
def with_wire_copy(
    tmp_path_factory: pytest.TempPathFactory,
    seed_dir: Path,
    seed_index_dir: Path,
    embedder: VectorEmbeddings,
) -> HybridSearcher:
    """The seeds plus a copy of 002 in another file with one word changed (a wire copy)."""
    root = tmp_path_factory.mktemp("wire")
    sources = root / "sources"
    shutil.copytree(seed_dir, sources)
    original = (seed_dir / "002_352371e2d226c347.txt").read_text(encoding="utf-8")
    assert "un concert sera donné" in original
    (sources / COPY).parent.mkdir()
    (sources / COPY).write_text(
        original.replace("un concert sera donné", "un spectacle sera donné")
    )
    index_dir = root / "index"
    shutil.copytree(seed_index_dir, index_dir)
    report = build_index(sources, index_dir, embedder, ChunkSettings())
    assert report.added == 1
    return HybridSearcher.from_index(load_index(index_dir), embedder)


def test_wire_copy_collapses_into_one_hit(with_wire_copy: HybridSearcher) -> None:
    hits = with_wire_copy.search("Qui accompagne Poutine ?", 5)
    assert len(hits) == 5
    (top,) = [h for h in hits if LAVROV in h.chunk.text]  # the copy is no hit of its own
    assert top.rank <= 3
    (copy,) = top.duplicates
    origins = {top.article.origin, with_wire_copy.articles[copy.article_id].origin}
    assert origins == {COPY, "002_352371e2d226c347.txt"}
    assert LAVROV in copy.text


def test_every_copied_chunk_is_folded(with_wire_copy: HybridSearcher) -> None:
    def same_text(text: str) -> str:
        return text.replace("spectacle", "concert")

    pair = {"002_352371e2d226c347.txt", COPY}
    for query in ["Poutine en Corée du Nord", "partenariat stratégique", "concert"]:
        hits = with_wire_copy.search(query, 5)
        assert len({same_text(h.chunk.text) for h in hits}) == len(hits), query
        for hit in hits:
            if hit.article.origin not in pair:
                assert hit.duplicates == ()
                continue
            (copy,) = hit.duplicates
            assert (
                with_wire_copy.articles[copy.article_id].origin
                == (pair - {hit.article.origin}).pop()
            )
            assert same_text(copy.text) == same_text(hit.chunk.text)


def test_unknown_mode_is_an_error(searcher: HybridSearcher) -> None:
    with pytest.raises(ValueError):
        searcher.search("Poutine", 5, mode="sparse")


def test_an_english_word_is_read_as_the_articles_french_word(searcher: HybridSearcher) -> None:
    assert "traité" in searcher.bridge("What does the treaty say?", 0.88)
    assert "munitions" in searcher.bridge("Which ammunition is supplied?", 0.88)
    # A word with no close corpus word is dropped, and a word the corpus uses as it is
    # needs no bridge.
    assert searcher.bridge("Which hotel?", 0.88) == []
    assert searcher.bridge("Quel traité ?", 0.88) == []
    assert searcher.bridge("What does the treaty say?", 1.01) == []


def test_a_long_question_is_bridged_by_its_first_words(
    seed_index: LoadedIndex, embedder: VectorEmbeddings
) -> None:
    calls: list[str] = []

    class Counting(VectorEmbeddings):
        name, dimension = embedder.name, embedder.dimension

        def embed_passages(self, texts: list[str]) -> Matrix:
            return embedder.embed_passages(texts)

        def embed_question(self, text: str) -> Matrix:
            calls.append(text)
            return embedder.embed_question(text)

    searcher = HybridSearcher.from_index(seed_index, Counting())
    question = " ".join(f"zorglub{chr(97 + i % 26)}{chr(97 + i // 26)}" for i in range(100))
    searcher.bridge(question, 0.88)
    assert len(calls) == MAX_BRIDGED_WORDS
    searcher.bridge(question, 0.88)  # the same words again: remembered, not re-embedded
    assert len(calls) == MAX_BRIDGED_WORDS
