"""French BM25: analysis (accents, elisions, stopwords, stems), search, and pickle-free files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.lexical import LexicalIndex, analyze, fold_accents, stopwords

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

DOCUMENTS = [
    "Le président russe était accompagné de Sergueï Lavrov et d’Andreï Belooussov.",
    "La Corée du Nord et la Russie renforcent leur coopération en matière de sécurité.",
    "L’Élysée n’a pas commenté l’accord signé à Pyongyang.",
    "Les États-Unis s’inquiètent des livraisons d’armes à Moscou.",
    "Le cœur du sujet reste la dernière visite, en 2000.",
    "Il a été et il est.",  # nothing but stopwords
]


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    return LexicalIndex.build(DOCUMENTS)


def top_rows(index: LexicalIndex, query: str, k: int = 3) -> list[int]:
    return [m.row for m in index.search(query, k)]


def test_fold_accents() -> None:
    assert fold_accents("Élysée") == "elysee"
    assert fold_accents("ÇA Où DÉJÀ") == "ca ou deja"
    assert fold_accents("Sergueï Ouchakov") == "serguei ouchakov"


@pytest.mark.parametrize("apostrophe", ["'", "’"])
@pytest.mark.parametrize(
    ("elided", "plain"),
    [("l{}accord", "accord"), ("d{}armes", "armes"), ("qu{}elle", ""), ("j{}accepte", "accepte")],
)
def test_elisions_are_cut(apostrophe: str, elided: str, plain: str) -> None:
    assert analyze(elided.format(apostrophe)) == analyze(plain)


def test_elision_inside_a_word_is_not_cut() -> None:
    assert analyze("aujourd'hui") == analyze("aujourd’hui") == ["aujourd", "hui"]


def test_stopwords_are_dropped_in_both_languages() -> None:
    assert analyze("le la les de des et est été ce qui que") == []
    assert analyze("the of and was were") == []
    assert analyze("le président et la visite") == analyze("président visite")
    assert {"le", "ete", "the"} <= stopwords()


def test_question_words_are_dropped_from_queries_only() -> None:
    assert analyze("Quand et comment", query=True) == []
    assert analyze("Quand et comment") != []


def test_inflections_share_one_stem() -> None:
    words = "accompagné accompagne accompagnait accompagnée accompagnés accompagnera"
    assert len(set(analyze(words))) == 1
    assert len(set(analyze("dernier dernière derniers dernières"))) == 1
    assert len(set(analyze("coréen coréens"))) == 1


@pytest.mark.parametrize(
    ("unaccented", "accented"),
    [
        ("Coree", "Corée"),
        ("securite", "sécurité"),
        ("Elysee", "Élysée"),
        ("Etats-Unis", "États-Unis"),
        ("derniere", "dernière"),
        ("accompagnee", "accompagnée"),
        ("coeur", "cœur"),
    ],
)
def test_unaccented_words_get_the_accented_terms(unaccented: str, accented: str) -> None:
    assert analyze(unaccented) == analyze(accented)


def test_folding_a_whole_article_changes_no_term() -> None:
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert analyze(fold_accents(text)) == analyze(text), path.name


@pytest.mark.parametrize(
    ("query", "row"),
    [
        ("Qui accompagne Poutine ?", 0),
        ("qui accompagnait le president", 0),
        ("securite coree", 1),
        ("Que dit l'Elysee ?", 2),
        ("Que disent les Etats-Unis ?", 3),
        ("le coeur du sujet", 4),
        ("derniere visite", 4),
    ],
)
def test_search_matches_across_accents_and_inflections(
    lexical: LexicalIndex, query: str, row: int
) -> None:
    assert top_rows(lexical, query)[0] == row


def test_search_returns_positive_scores_best_first(lexical: LexicalIndex) -> None:
    matches = lexical.search("Poutine Corée Russie sécurité accord", 10)
    scores = [m.score for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert all(s > 0 for s in scores)
    assert 5 not in [m.row for m in matches]  # the stopwords-only document never matches
    assert len(lexical.search("Russie sécurité accord armes", 2)) == 2


def test_search_without_known_terms_is_empty(lexical: LexicalIndex) -> None:
    assert lexical.search("xyzzy plugh", 5) == []
    assert lexical.search("le la les ?", 5) == []
    assert lexical.size == len(DOCUMENTS)


def test_rare_terms_weigh_more(lexical: LexicalIndex) -> None:
    assert lexical.idf(analyze("Belooussov")[0]) > lexical.idf(analyze("russe")[0]) > 0


def test_empty_index() -> None:
    empty = LexicalIndex.build([])
    assert empty.size == 0
    assert empty.search("Poutine", 5) == []


QUERIES = ["Qui accompagne Poutine ?", "securite coree", "accord Pyongyang", "armes Moscou"]


def test_save_load_roundtrip_gives_identical_scores(lexical: LexicalIndex, tmp_path: Path) -> None:
    lexical.save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.size == lexical.size
    assert loaded.vocabulary() == lexical.vocabulary()
    for query in QUERIES:
        terms = analyze(query, query=True)
        np.testing.assert_array_equal(loaded.scores(terms), lexical.scores(terms))
        assert loaded.search(query, 5) == lexical.search(query, 5)


def test_saved_files_hold_no_pickle(lexical: LexicalIndex, tmp_path: Path) -> None:
    folder = tmp_path / "lexical"
    lexical.save(folder)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert files
    assert {p.suffix for p in files} <= {".json", ".npy"}
    for path in files:
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)
        # A pickle stream starts with the PROTO opcode (0x80).
        assert not path.read_bytes().startswith(b"\x80"), path.name


def test_empty_index_roundtrip(tmp_path: Path) -> None:
    LexicalIndex.build([]).save(tmp_path / "lexical")
    loaded = LexicalIndex.load(tmp_path / "lexical")
    assert loaded.size == 0
    assert loaded.search("Poutine", 5) == []
