"""Sentence splitting and chunking: whole sentences, exact spans, overlap, nothing lost."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from index.chunk import ChunkSettings, chunk_article, chunk_articles, split_sentences
from index.clean import make_article
from index.models import Article, Chunk, SourceDocument

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


def article(text: str, origin: str = "a.txt") -> Article:
    made = make_article(SourceDocument(text=text, origin=origin))
    assert made is not None
    return made


def seed_articles() -> list[Article]:
    return [
        article(path.read_text(encoding="utf-8"), path.name) for path in sorted(SEEDS.glob("*.txt"))
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "M. Poutine est arrivé. Mme Kim l’attendait.",
            ["M. Poutine est arrivé.", "Mme Kim l’attendait."],
            id="titles M. and Mme",
        ),
        pytest.param(
            "Selon J. Biden, rien ne change. V. V. Poutine répond. Fin.",
            ["Selon J. Biden, rien ne change.", "V. V. Poutine répond.", "Fin."],
            id="initials",
        ),
        pytest.param(
            "Il a dit : « C’est fini. » Puis il est parti.",
            ["Il a dit : « C’est fini. »", "Puis il est parti."],
            id="period inside guillemets",
        ),
        pytest.param(
            "Il a crié « Jamais ! » Puis il a signé.",
            ["Il a crié « Jamais ! »", "Puis il a signé."],
            id="exclamation inside guillemets",
        ),
        pytest.param(
            "« Pourquoi maintenant ? » demande-t-il. La réponse tarde.",
            ["« Pourquoi maintenant ? » demande-t-il.", "La réponse tarde."],
            id="incise after a question",
        ),
        pytest.param(
            "Il hésite… Puis il signe. Il hésite… puis il signe.",
            ["Il hésite…", "Puis il signe.", "Il hésite… puis il signe."],
            id="ellipsis ends a sentence only before a capital",
        ),
        pytest.param(
            "Il a dit que […] la visite aura lieu. Fin.",
            ["Il a dit que […] la visite aura lieu.", "Fin."],
            id="elided quotation",
        ),
        pytest.param(
            "Un accord (signé hier.) Il entre en vigueur. Vraiment ?! Oui.",
            ["Un accord (signé hier.)", "Il entre en vigueur.", "Vraiment ?!", "Oui."],
            id="closing bracket and ?!",
        ),
        pytest.param(
            "La hausse est de 3.5 %. Le vol. Les passagers vont bien.",
            ["La hausse est de 3.5 %.", "Le vol.", "Les passagers vont bien."],
            id="decimal point; a word that is also an abbreviation",
        ),
        pytest.param(
            "Voir l’art. 49 du texte et la p. 12. Fin.",
            ["Voir l’art. 49 du texte et la p. 12.", "Fin."],
            id="abbreviations before a number",
        ),
        pytest.param(
            "La Chine, l’Iran, etc. La Russie aussi.",
            ["La Chine, l’Iran, etc.", "La Russie aussi."],
            id="etc. ending a sentence",
        ),
        pytest.param(
            "Un titre sans point\n\nPremier paragraphe. Second.\nDernière ligne",
            ["Un titre sans point", "Premier paragraphe.", "Second.", "Dernière ligne"],
            id="line breaks end sentences",
        ),
    ],
)
def test_split_sentences_french(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_split_sentences_trims_whitespace_and_keeps_offsets() -> None:
    text = "  Première phrase.   Deuxième phrase.\n\n  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["Première phrase.", "Deuxième phrase."]
    assert split_sentences("   \n ") == []


def test_split_sentences_within_a_range() -> None:
    text = "Avant. Dedans un. Dedans deux. Après."
    start, end = text.index("Dedans"), text.index(" Après")
    assert [text[s:e] for s, e in split_sentences(text, start, end)] == [
        "Dedans un.",
        "Dedans deux.",
    ]


def test_chunk_spans_are_exact_on_every_seed() -> None:
    settings = ChunkSettings()
    for art in seed_articles():
        chunks = chunk_article(art, settings)
        assert chunks, art.origin
        for chunk in chunks:
            assert art.text[chunk.start : chunk.end] == chunk.text
            assert chunk.article_id == art.id


def sentence_indices(chunk: Chunk, spans: list[tuple[int, int]]) -> list[int]:
    """The sentences a chunk is made of; fails unless it starts and ends on boundaries."""
    starts = [s for s, _ in spans]
    ends = [e for _, e in spans]
    assert chunk.start in starts, f"chunk {chunk.id} starts mid-sentence"
    assert chunk.end in ends, f"chunk {chunk.id} ends mid-sentence"
    return list(range(starts.index(chunk.start), ends.index(chunk.end) + 1))


@pytest.mark.parametrize(
    "settings",
    [ChunkSettings(), ChunkSettings(size=300, overlap=1), ChunkSettings(size=200, overlap=2)],
    ids=["default", "300-1", "200-2"],
)
def test_chunks_are_whole_sentences_that_cover_the_article(settings: ChunkSettings) -> None:
    for art in seed_articles():
        spans = split_sentences(art.text)
        chunks = chunk_article(art, settings)
        covered: set[int] = set()
        previous: list[int] = []
        for chunk in chunks:
            members = sentence_indices(chunk, spans)
            covered.update(members)
            if len(members) > 1:
                assert len(chunk.text) <= settings.size
            if previous:
                # Consecutive chunks share `overlap` sentences (fewer only when the
                # previous chunk had fewer), and always move forward.
                shared = set(previous) & set(members)
                assert len(shared) == min(settings.overlap, len(previous) - 1)
                assert members[0] > previous[0]
            previous = members
        assert covered == set(range(len(spans))), f"text lost in {art.origin}"


def test_long_sentence_is_one_chunk_not_dropped() -> None:
    long = "Mot " * 100 + "fin."
    art = article(f"Court. {long} Court aussi.")
    chunks = chunk_article(art, ChunkSettings(size=50, overlap=0))
    assert [c.text for c in chunks] == ["Court.", long, "Court aussi."]


def test_size_changes_the_cut_and_zero_overlap_shares_nothing() -> None:
    art = seed_articles()[0]
    big = chunk_article(art, ChunkSettings(size=2000, overlap=0))
    small = chunk_article(art, ChunkSettings(size=300, overlap=0))
    assert len(small) > len(big)
    for first, second in itertools.pairwise(small):
        assert first.end <= second.start
    assert max(len(c.text) for c in big) > 300


def test_chunk_articles_numbers_chunks_across_articles() -> None:
    arts = seed_articles()
    chunks = chunk_articles(arts, ChunkSettings())
    assert [c.id for c in chunks] == list(range(len(chunks)))
    assert {c.article_id for c in chunks} == {a.id for a in arts}
    per_article = [len(chunk_article(a, ChunkSettings())) for a in arts]
    assert len(chunks) == sum(per_article)


@pytest.mark.parametrize(("size", "overlap"), [(49, 1), (900, -1)])
def test_settings_are_validated(size: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        ChunkSettings(size=size, overlap=overlap)
