"""Related passages of a refusal: shown only when they are close to the question."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.answer import AnswerOptions
from bot.engine import Engine
from bot.settings import Settings
from index.embed import VectorEmbeddings

NEAR_TOPIC = "Combien d'obus la Corée du Nord a-t-elle livrés à la Russie ?"


@pytest.fixture(scope="module")
def engine(seed_index_dir: Path, embedder: VectorEmbeddings) -> Engine:
    return Engine(Settings(index_dir=seed_index_dir), embedder)


@pytest.mark.parametrize(
    "question",
    [
        "Quelle est la capitale de l'Australie ?",
        "Quelle est la géographie du Chili ?",
        "@everyone <@123> **bold**",
        "Comment faire une pâte à crêpes ?",
    ],
)
def test_off_topic_refusals_show_no_related_passage(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.abstained and answer.related == ()


def test_near_topic_refusals_keep_their_related_passages(engine: Engine) -> None:
    answer = engine.answer(NEAR_TOPIC)
    assert answer.abstained and answer.related


def test_the_threshold_is_an_answer_option(engine: Engine) -> None:
    assert AnswerOptions().related_similarity == 0.825  # docs/calibration.md
    lax = Engine(engine.settings, engine.embedder, options=AnswerOptions(related_similarity=0))
    assert lax.answer("Quelle est la capitale de l'Australie ?").related
    strict = replace(AnswerOptions(), related_similarity=1.0)
    assert Engine(engine.settings, engine.embedder, options=strict).answer(NEAR_TOPIC).related == ()
