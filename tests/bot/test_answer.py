"""The answer core on the real seed index: verbatim citations, abstention, languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.answer import (
    AnswerOptions,
    _names,
    _names_holder,
    _said_in,
    answer_question,
    question_type,
)
from bot.engine import Engine
from bot.question import clean_question, detect_language
from bot.settings import Settings
from index.build import build_index
from index.chunk import ChunkSettings
from index.embed import VectorEmbeddings, load_embedder
from index.errors import IndexMissingError, InvalidQuestionError

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
    # Short: a quote or two, not a wall of text.
    assert len(answer.text) < 600


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
        # Each quote is a cited snippet; further markers on it cite the same fact elsewhere.
        if answer.citations:
            assert answer.citations[0].snippet in answer.text
    assert checked > len(GOLD)


def test_markers_are_numbered_from_one_without_gaps(engine: Engine) -> None:
    for item in GOLD[:30]:
        answer = engine.answer(item["question"])
        assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
        assert [p.n for p in answer.passages] == [c.n for c in answer.citations]


def test_off_topic_question_abstains_with_the_fixed_message(engine: Engine) -> None:
    answer = engine.answer("Quelle est la capitale de l'Australie ?")
    assert answer.abstained
    assert answer.text == "Je n'ai pas trouvé cette information dans les articles indexés."
    assert answer.citations == ()


def test_english_question_gets_english_framing_and_french_quotes(engine: Engine) -> None:
    answer = engine.answer("Who is the Russian defence minister travelling with Putin?")
    assert answer.language == "en"
    assert not answer.abstained
    assert answer.text.startswith("According to the articles:")
    assert "Belooussov" in answer.text


def test_english_words_are_also_read_in_the_articles_words(engine: Engine) -> None:
    question = "What does the treaty say about mutual assistance?"
    searcher = engine.searcher()
    bridged = answer_question(question, searcher)
    plain = answer_question(question, searcher, options=AnswerOptions(bridge_similarity=2.0))
    assert not bridged.abstained
    assert "assistance mutuelle" in bridged.text
    # "treaty", "mutual" and "assistance" now count as found in the French sentence.
    assert bridged.confidence is not None and plain.confidence is not None
    assert bridged.confidence > plain.confidence + 0.03


def test_english_abstention_message_is_english(engine: Engine) -> None:
    answer = engine.answer("Who won the Euro 2024 football final?")
    assert answer.abstained
    assert answer.text == "I could not find this information in the indexed articles."


def test_how_many_question_quotes_the_number_of_what_it_counts(engine: Engine) -> None:
    answer = engine.answer("Combien de jours dure la visite de Poutine au Vietnam ?")
    assert not answer.abstained
    assert "deux jours" in answer.text


@pytest.mark.parametrize(
    "question",
    [
        # The seeds speak of munitions, satellites and a parade, with numbers nearby,
        # but never count soldiers, satellites launched, prices or spectators.
        "Combien de soldats nord-coréens sont en Ukraine ?",
        "Combien de satellites la Corée du Nord a lancés grâce à l'aide russe ?",
        "Combien coûtent les munitions vendues par la Corée du Nord à la Russie ?",
        "How many hours did Putin and Kim talk in private?",
    ],
)
def test_how_many_question_without_that_number_abstains(engine: Engine, question: str) -> None:
    answer = engine.answer(question)
    assert answer.abstained, answer.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Qui est le ministre des Affaires étrangères nord-coréen ?", "Choe Son"),
        ("Qui est le porte parole du Kremiln ?", "Peskov"),
        # Naming the whole role asked about counts as evidence: its words are few.
        ("Comment s'appelle le porte-parole du Kremlin cité sur la Corée du Nord ?", "Peskov"),
        # Ouchakov said it as "a-t-il souligné", after being named a sentence earlier.
        ("Selon Ouchakov, le traité dépendra de quoi ?", "géopolitique"),
    ],
)
def test_role_and_speaker_questions_are_answered(
    engine: Engine, question: str, expected: str
) -> None:
    answer = engine.answer(question)
    assert not answer.abstained
    assert expected in answer.text


@pytest.mark.parametrize(
    "question",
    [
        # The seeds name Russia's defence minister and South Korea's government, never
        # North Korea's defence minister, South Korea's president or Vietnam's.
        "Qui est le ministre de la Défense nord-coréen ?",
        "Qui est le président de la Corée du Sud ?",
        "Qu'a dit le président vietnamien à propos de la visite de Poutine ?",
        "Quel est le nom du président sud-coréen ?",
    ],
)
def test_role_or_speaker_the_articles_never_name_abstains(engine: Engine, question: str) -> None:
    assert engine.answer(question).abstained


def test_when_question_quotes_a_sentence_with_a_date(engine: Engine) -> None:
    # The best-scoring sentence speaks of the Vietnam visit without its dates.
    answer = engine.answer("Poutine sera au Vietnam quels jours ?")
    assert not answer.abstained
    assert "19 et 20 juin" in answer.text


def test_why_question_prefers_a_sentence_giving_a_reason(engine: Engine) -> None:
    answer = engine.answer(
        "Pourquoi les analystes pensent que Moscou et Pyongyang vont se rapprocher ?"
    )
    assert not answer.abstained
    assert "isolement" in answer.text


def test_inflected_verbs_count_as_the_same_word(engine: Engine) -> None:
    # Snowball stems "remercie" as "remerc" but "remercier" as "remerci".
    answer = engine.answer("Pour quoi Poutine remercie-t-il Pyongyang ?")
    assert not answer.abstained
    assert "offensive militaire" in answer.text


def test_a_generic_source_is_not_a_speaker(engine: Engine) -> None:
    answer = engine.answer("Selon les articles, qui accompagne Poutine ?")
    assert not answer.abstained
    assert "Lavrov" in answer.text


def test_the_second_quote_must_fit_the_question_too(engine: Engine) -> None:
    answer = engine.answer("Qui est le ministre russe des Affaires étrangères ?")
    assert not answer.abstained
    assert "Lavrov" in answer.text
    assert "Choe Son" not in answer.text  # North Korea's minister is not the one asked for


@pytest.mark.parametrize("raw", ["Selon ,", "Qui ?", "What is it?"])
def test_question_with_nothing_to_look_for_abstains(engine: Engine, raw: str) -> None:
    assert engine.answer(raw).abstained


def test_abstention_threshold_is_what_decides(engine: Engine) -> None:
    searcher = engine.searcher()
    never = AnswerOptions(min_confidence=10.0, min_confidence_en=10.0)
    answer = answer_question("Qui accompagne Poutine ?", searcher, options=never)
    assert answer.abstained
    assert answer.related, "abstentions list the closest passages, labelled by renderers"


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


def test_question_types() -> None:
    assert question_type("Qui accompagne Poutine ?") == "who"
    assert question_type("Combien de jours dure la visite ?") == "count"
    assert question_type("Quel est le montant de l'aide ?") == "count"
    assert question_type("C'est la combientième visite ?") == "count"
    assert question_type("When did Kim invite Putin?") == "when"
    assert question_type("Poutine sera au Vietnam quels jours ?") == "when"
    assert question_type("En quelle année ?") == "when"
    assert question_type("Pourquoi ?") == "why"
    assert question_type("Comment ?") is None
    # The first question word decides, not a relative pronoun after it.
    assert question_type("Pourquoi le panel qui contrôlait l'embargo a disparu ?") == "why"
    assert question_type("Combien de soldats qui combattent ?") == "count"
    assert question_type("Le ministre qui accompagne Poutine, c'est qui ?") == "who"
    assert question_type("Qu'est-ce qui est prévu pour Poutine ?") is None


def _said(sentence: str, speaker: tuple[str, ...], before: str = "") -> bool:
    text = before + sentence
    return _said_in(text, len(before), speaker)


def test_said_needs_the_speaker_as_the_one_speaking() -> None:
    kremlin = ("kremlin",)
    assert _said("“C’est un pays ami”, a déclaré le porte-parole du Kremlin.", kremlin)
    assert _said("Selon le Kremlin, la visite sera amicale.", kremlin)
    # The subject of a long apposition before its verb.
    kirby = ("kirby",)
    assert _said(
        "John Kirby, porte-parole du Conseil de sécurité nationale de la Maison-Blanche, "
        "a exprimé des préoccupations.",
        kirby,
    )
    # Named, but far from any verb of saying: the Kremlin says nothing here.
    assert not _said(
        "La Russie présente son intervention comme une opposition à l’hégémonie américaine, "
        "tout en se revendiquant du soutien du Kremlin.",
        kremlin,
    )
    assert not _said("La nécessité pour le Kremlin de trouver des partenaires.", kremlin)
    # Someone's employer does not speak through their adviser…
    assert not _said("Yuri Ouchakov, conseiller de Poutine, a indiqué que…", ("poutine",))
    # … nor do the accused through a passive verb.
    assert not _said("Les Nord-Coréens sont accusés de livrer des munitions.", ("nord", "coreens"))
    assert not _said(
        "Selon Iouri Ouchakov, conseiller diplomatique de Vladimir Poutine, « des documents "
        "seront signés ».",
        ("poutine",),
    )
    assert _said(
        "Ce traité prévoit une assistance mutuelle, selon les propos de Poutine.", ("poutine",)
    )
    assert _said("C’est ce qu’a fait savoir le Kremlin, qui a parlé d’une visite amicale.", kremlin)
    # A term in quotation marks is no quotation of the sentence's subject.
    assert not _said(
        "Par la suite, Poutine se rendra au Vietnam pour le « partenariat stratégique global ».",
        ("poutine",),
    )
    # What is inside the quotation was said; it did not speak.
    before = "Selon Iouri Ouchakov, des documents seront signés. "
    assert not _said("« Ce traité sera conditionné », a-t-il souligné.", ("traite",), before)


def test_said_follows_sentences_going_on_from_the_speaker() -> None:
    before = "Selon Iouri Ouchakov, des documents seront signés. Il a mentionné un accord. "
    ouchakov = ("ouchakov",)
    assert _said("Il espère qu’un accord pourra être signé.", ouchakov, before)
    assert _said("« Ce traité sera conditionné », a-t-il souligné.", ouchakov, before)
    assert not _said("Il espère qu’un accord pourra être signé.", ouchakov)
    # "Il" goes on from Kirby, not from China named earlier.
    kirby = (
        "La Chine soutient Pyongyang. John Kirby, porte-parole de la Maison-Blanche, "
        "a exprimé des préoccupations. "
    )
    assert not _said("Il a souligné que la coopération menace la région.", ("chine",), kirby)
    assert _said("Il a souligné que la coopération menace la région.", ("kirby",), kirby)


def test_question_names_skip_words_opening_a_clause() -> None:
    assert _names("Quelle a été la réaction du Japon ?") == ("japon",)
    assert _names("Bonjour ! Pourquoi la Russie a-t-elle mis son veto ?") == ("russie",)
    assert _names("Question : Combien de jours ?") == ()
    assert _names("« Quand Poutine arrive-t-il ? »") == ("poutine",)


def test_a_role_answer_names_the_holder() -> None:
    role = ("chef", "etat", "russe")
    assert not _names_holder("Le dernier déplacement du chef d’état russe remonte à 2000.", role)
    assert _names_holder("Le chef d’état russe Vladimir Poutine arrive.", role)
    # A newspaper holds no office.
    assert not _names_holder("Comme le rapporte Le Figaro, le chef d’état russe viendra.", role)


def test_a_speaker_merely_mentioned_is_not_quoted(engine: Engine) -> None:
    # The articles mention "le soutien de la Chine, principal allié de la Corée du Nord",
    # but never quote China: nothing is "selon la Chine".
    answer = engine.answer("Selon la Chine, quel pays est le principal allié de la Corée du Nord ?")
    assert answer.abstained


def test_a_name_no_retrieved_article_mentions_abstains(engine: Engine) -> None:
    # Nothing in the articles names Japan, however well the rest of the question matches.
    question = "Quelle a été la réaction du Japon à la visite de Poutine en Corée du Nord ?"
    assert engine.answer(question).abstained


def test_names_forgive_a_typo_and_need_not_be_in_the_quoted_article(engine: Engine) -> None:
    # "Nrod" is "Nord"; the answer's article calls the country "Russie", not "Moscou".
    answer = engine.answer("Quelles sont les dates de la visite de Poutine en Corée du Nrod ?")
    assert not answer.abstained
    assert "juin" in answer.text
    answer = engine.answer("Selon Kim Jong Un, de quelle nature est l'accord signé avec Moscou ?")
    assert not answer.abstained
    assert "pacifique et défensif" in answer.text


def test_a_capital_counts_as_its_country(engine: Engine) -> None:
    # The articles say "l'Ukraine", never "Kiev": the question is still on their topic.
    answer = engine.answer("Quelle aide Séoul a-t-elle apportée à Kiev ?")
    assert not answer.abstained
    assert "aide militaire" in answer.text


def test_a_name_the_quote_does_not_mention_abstains(engine: Engine) -> None:
    # The articles say nothing of China's view of the visit; the best-matching sentence
    # is about the South Korean government, which never names China.
    answer = engine.answer("Comment le gouvernement chinois a-t-il accueilli la visite ?")
    assert answer.abstained
    # The same question without the place check quotes that sentence: the check decides.
    searcher = engine.searcher()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("bot.answer._FOCUS_SHARE", 0.0)
        unchecked = answer_question(
            "Comment le gouvernement chinois a-t-il accueilli la visite ?", searcher
        )
    assert not unchecked.abstained and "sud-coréen" in unchecked.text
    # A name every retrieved passage uses is the topic, not a condition on the quote.
    answer = engine.answer("Quel est le principal allié de la Corée du Nord ?")
    assert not answer.abstained
    assert "Chine" in answer.text


def test_adjectives_of_a_place_count_as_its_name() -> None:
    assert _names("Quelle a été la réaction japonaise à la visite ?") == ("japonaise",)
    assert _names("Que pense le gouvernement chinois de Poutine ?") == ("poutine", "chinois")


def test_press_synonyms_of_a_role_are_read_in_the_articles_words(engine: Engine) -> None:
    # "patron de l'espionnage" is "chef ... du renseignement" in the article.
    answer = engine.answer("Qui est le patron de l'espionnage extérieur russe ?")
    assert not answer.abstained
    assert "Narychkine" in answer.text


def test_asking_for_the_source_is_no_speaker_question(engine: Engine) -> None:
    answer = engine.answer("D'après quel site des images satellite montrent des préparatifs ?")
    assert not answer.abstained
    assert "NK Pro" in answer.text


def test_a_time_of_day_question_needs_a_clock_time(engine: Engine) -> None:
    # The articles give the days of the visit, never an hour.
    assert engine.answer("À quelle heure Poutine est-il arrivé à Pyongyang ?").abstained


def test_a_periphrase_in_the_question_is_read_in_the_articles_words(engine: Engine) -> None:
    # The articles say "secrétaire général de l'OTAN", never "chef de l'Alliance atlantique".
    answer = engine.answer(
        "D'après le chef de l'Alliance atlantique, de quels pays Moscou dépend-il ?"
    )
    assert not answer.abstained
    assert "pays autoritaires" in answer.text


def test_a_sentence_going_on_from_the_quote_is_quoted_with_it(engine: Engine) -> None:
    # Kirby is named in one sentence; what he said about the peninsula is in the next,
    # "Il a souligné que…", which scores lower on its own.
    answer = engine.answer("Pour la Maison-Blanche, quelle région verrait sa sécurité menacée ?")
    assert not answer.abstained
    assert "Kirby" in answer.text
    assert "péninsule coréenne" in answer.text
    first, second = answer.citations
    assert first.article_id == second.article_id and second.start > first.end


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        # "Il espère…" names nobody; Ouchakov is named the sentence before.
        ("Qu'espère Iouri Ouchakov de cette visite ?", "partenariat stratégique global"),
        # The Kremlin's spokesman is named after the quote.
        ("Comment le Kremlin qualifie-t-il la Corée du Nord ?", "pays ami"),
    ],
)
def test_what_the_speaker_said_is_quoted(engine: Engine, question: str, expected: str) -> None:
    answer = engine.answer(question)
    assert not answer.abstained
    assert expected in answer.text


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
