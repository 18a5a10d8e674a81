"""The answer core end to end on the real seed index: verbatim citations, abstention,
languages, the learned ranker and abstainer as shipped."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bot.answer import AnswerOptions, answer_question
from bot.answer.gather import gather
from bot.answer.ranker import load_answer_model
from bot.engine import Engine
from bot.question import clean_question, detect_language
from bot.settings import Settings
from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings, load_embedder
from index.errors import IndexMissingError, InvalidQuestionError
from index.lexical import fold_accents

ROOT = Path(__file__).resolve().parents[2]
GOLD = [json.loads(line) for line in (ROOT / "tests/data/gold.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def engine(seed_index_dir: Path, embedder: VectorEmbeddings) -> Engine:
    return Engine(Settings(index_dir=seed_index_dir), embedder)


def test_who_question_quotes_the_sentence_naming_the_companions(engine: Engine) -> None:
    answer = engine.answer("Qui accompagne Poutine ?")
    assert not answer.abstained
    assert answer.mode == "extractive"
    assert "Lavrov" in answer.text and "Belooussov" in answer.text
    assert "[1]" in answer.text
    assert answer.citations[0].source == "002_352371e2d226c347.txt"
    assert len(answer.text) < 800  # a quote or two, not a wall of text


def test_every_citation_on_the_gold_set_is_verbatim(engine: Engine) -> None:
    searcher = engine.searcher()
    checked = 0
    for item in GOLD:
        answer = engine.answer(item["question"])
        for citation in (*answer.citations, *answer.related):
            text = searcher.articles[citation.article_id].text
            assert text[citation.start : citation.end] == citation.snippet
            checked += 1
        for citation in answer.citations:
            assert f"[{citation.n}]" in answer.text
        if answer.citations:
            assert answer.citations[0].snippet in answer.text
        assert answer.confidence is None or 0.0 <= answer.confidence <= 1.0
    assert checked > len(GOLD)


def test_markers_are_numbered_from_one_without_gaps(engine: Engine) -> None:
    for item in GOLD[:30]:
        answer = engine.answer(item["question"])
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        assert [p.n for p in answer.passages] == [c.n for c in answer.citations]


def test_a_fact_several_articles_state_cites_each_of_them(engine: Engine) -> None:
    multi = [g for g in GOLD if "multi-source" in g["tags"]]
    cited_together = 0
    for item in multi:
        answer = engine.answer(item["question"])
        articles = {c.article_id for c in answer.citations}
        cited_together += len(articles) >= 2
    assert cited_together >= len(multi) // 3


def test_off_topic_question_abstains_with_the_fixed_message(engine: Engine) -> None:
    answer = engine.answer("Quelle est la capitale de l'Australie ?")
    assert answer.abstained
    assert answer.text == "Je n'ai pas trouvé cette information dans les articles indexés."
    assert answer.citations == ()
    assert answer.confidence is not None and answer.confidence < engine.model.abstainer.threshold


def test_english_question_gets_english_framing_and_french_quotes(engine: Engine) -> None:
    answer = engine.answer("Who is the Russian defence minister travelling with Putin?")
    assert answer.language == "en"
    assert not answer.abstained
    assert answer.text.startswith("According to the articles:")
    assert "Belooussov" in answer.text


def test_english_words_are_also_looked_for_in_the_articles_words(engine: Engine) -> None:
    text = "What does the treaty say about mutual assistance?"
    found = gather(text, "en", engine.searcher(), 5)
    assert "trait" in found.question.terms  # "treaty" read as "traité"
    answer = engine.answer(text)
    assert not answer.abstained
    assert "assistance mutuelle" in answer.text


def test_english_abstention_message_is_english(engine: Engine) -> None:
    answer = engine.answer("Who won the Euro 2024 football final?")
    assert answer.abstained
    assert answer.text == "I could not find this information in the indexed articles."


@pytest.mark.parametrize(
    ("question", "expected", "not_expected"),
    [
        pytest.param(
            "Quand Poutine arrive-t-il à Pyongyang ?",
            ("mardi",),
            "2000",  # the arrival, not Putin's visit of July 2000
            # Still quotes the visit of July 2000 (it names Pyongyang; the answer says
            # "Corée du Nord"): a known miss of the learned ranker (docs/calibration.md).
            marks=pytest.mark.xfail(strict=True, reason="known miss: quotes the 2000 visit"),
        ),
        (
            "Combien de jours dure la visite de Poutine au Vietnam ?",
            ("deux jours", "19 et 20"),
            None,
        ),
    ],
)
def test_new_user_questions_are_answered_right(
    engine: Engine, question: str, expected: tuple[str, ...], not_expected: str | None
) -> None:
    answer = engine.answer(question)
    assert not answer.abstained
    quote = fold_accents(answer.citations[0].snippet)
    assert any(e in quote for e in expected)
    assert not_expected is None or not_expected not in quote


@pytest.mark.parametrize("raw", ["Selon ,", "Qui ?", "What is it?"])
def test_question_with_nothing_to_look_for_abstains(engine: Engine, raw: str) -> None:
    assert engine.answer(raw).abstained


def test_the_calibrated_threshold_is_what_decides(engine: Engine) -> None:
    searcher = engine.searcher()
    model = engine.model
    never = replace(model, abstainer=replace(model.abstainer, threshold=1.01))
    always = replace(model, abstainer=replace(model.abstainer, threshold=0.0))
    refused = answer_question("Qui accompagne Poutine ?", searcher, never)
    assert refused.abstained
    assert refused.related, "abstentions list the closest passages, labelled by renderers"
    answered = answer_question("Quelle est la recette de la ratatouille ?", searcher, always)
    assert not answered.abstained and answered.citations


@pytest.fixture(scope="module")
def news_page_engine(
    tmp_path_factory: pytest.TempPathFactory, embedder: VectorEmbeddings
) -> Engine:
    """A scraped NATO news page (nav, ads, comments around the article), as a user has."""
    index_dir = tmp_path_factory.mktemp("page-index")
    build_index(ROOT / "tests" / "data" / "pages", index_dir, embedder, ChunkSettings())
    return Engine(Settings(index_dir=index_dir), embedder)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Quand les F-16 seront-ils livrés à l'Ukraine ?", "cet été"),
        ("Qui est le secrétaire général de l'OTAN ?", "Stoltenberg"),
    ],
)
def test_a_new_users_questions_on_a_news_page_of_their_own(
    news_page_engine: Engine, question: str, expected: str
) -> None:
    answer = news_page_engine.answer(question)
    assert not answer.abstained
    assert expected in answer.citations[0].snippet


def test_the_threshold_setting_overrides_the_models(
    seed_index_dir: Path, embedder: VectorEmbeddings
) -> None:
    strict = Engine(Settings(index_dir=seed_index_dir, answer_threshold=1.0), embedder)
    assert strict.model.abstainer.threshold == 1.0
    assert strict.answer("Qui accompagne Poutine ?").abstained


def test_one_sentence_when_asked_for_one(engine: Engine) -> None:
    answer = answer_question(
        "Qui accompagne Poutine ?",
        engine.searcher(),
        engine.model,
        options=AnswerOptions(max_sentences=1),
    )
    assert answer.text.count("«") == 1


@pytest.mark.parametrize("raw", ["", "   ", "\n\t", "x" * 2001, "<@123> **  ** @everyone"])
def test_bad_questions_raise_one_line_errors(engine: Engine, raw: str) -> None:
    with pytest.raises(InvalidQuestionError) as info:
        engine.answer(raw)
    assert "\n" not in str(info.value)


def test_mentions_markdown_and_control_characters_are_removed() -> None:
    assert clean_question("<@!42> **Qui** accompagne\x00 Poutine ? @everyone") == (
        "Qui accompagne Poutine ?"
    )


def test_language_detection() -> None:
    assert detect_language("Qui accompagne Poutine ?") == "fr"
    assert detect_language("Who travels with Putin?") == "en"
    assert detect_language("Poutine va ou apres la Coree du Nord") == "fr"


def test_the_engine_loads_the_shipped_model_once() -> None:
    assert load_answer_model().manifest["format"] == 1


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    engine = Engine(Settings(index_dir=tmp_path / "none"), load_embedder())
    with pytest.raises(IndexMissingError, match="run `newsbot index`"):
        engine.answer("Qui accompagne Poutine ?")


def test_engine_picks_up_a_swapped_index_and_keeps_the_old_searcher(tmp_path: Path) -> None:
    embedder = load_embedder()
    source = tmp_path / "src"
    source.mkdir()
    (source / "a.txt").write_text("Le ministre Lavrov accompagne le président à Pyongyang.")
    index_dir = tmp_path / "index"
    build_index(source, index_dir, embedder, ChunkSettings())
    engine = Engine(Settings(index_dir=index_dir), embedder)
    before = engine.searcher()
    assert len(before.articles) == 1
    (source / "b.txt").write_text("Le concert a été donné en l'honneur du président russe.")
    build_index(source, index_dir, embedder, ChunkSettings())
    after = engine.searcher()
    assert after is not before
    assert len(after.articles) == 2
    assert len(before.articles) == 1  # a question in flight still sees its own build
