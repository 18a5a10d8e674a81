"""Rendering answers for Discord: pure functions from Answer records to API payloads."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from bot.discord.render import (
    CONTENT_LIMIT,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_COUNT_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    citation_markers,
    embed_length,
    escape_discord,
    mentions_bot,
    question_from_mention,
    render_notice,
    render_user_error,
    render_wait_notice,
    split_sentences,
    thread_name,
)
from bot.discord.render_answer import render_answer_embed
from bot.discord.render_sources import render_sources_messages
from bot.discord.texts import (
    DiscordPrompts,
    DiscordPromptsError,
    DiscordTexts,
    load_discord_prompts,
)
from bot.models import Answer, Citation, Passage

WORDS = [
    "le",
    "la",
    "Russie",
    "accord",
    "signé",
    "mardi",
    "Pyongyang",
    "visite",
    "sécurité",
    "défense",
    "partenariat",
]


@pytest.fixture
def fr(prompts: DiscordPrompts) -> DiscordTexts:
    return prompts.fr


def sentence(rng: random.Random, words: int) -> str:
    body = " ".join(rng.choice(WORDS) for _ in range(words))
    return body[0].upper() + body[1:] + "."


def citation(n: int, snippet: str, *, url: str | None = "https://www.lemonde.fr/a") -> Citation:
    return Citation(
        n=n,
        article_id=f"a{n}",
        source=url or f"seeds/{n}.txt",
        title=f"Article {n}",
        snippet=snippet,
        start=0,
        end=len(snippet),
        url=url,
    )


def answer(text: str, citations: tuple[Citation, ...], **extra: object) -> Answer:
    fields: dict[str, object] = {
        "question": "Que s'est-il passé ?",
        "text": text,
        "abstained": False,
        "mode": "extractive",
        "language": "fr",
        "citations": citations,
    }
    fields.update(extra)
    return Answer(**fields)  # type: ignore[arg-type]


def assert_within_limits(embed: dict[str, object]) -> None:
    assert embed_length(embed) <= EMBED_TOTAL_LIMIT
    assert len(str(embed.get("description", ""))) <= DESCRIPTION_LIMIT
    assert len(str(embed["title"])) <= TITLE_LIMIT
    fields = embed.get("fields", [])
    assert isinstance(fields, list)
    assert len(fields) <= FIELD_COUNT_LIMIT
    for field in fields:
        assert 0 < len(field["name"]) <= 256
        assert 0 < len(field["value"]) <= FIELD_VALUE_LIMIT


def card_numbers(embed: dict[str, object]) -> set[int]:
    fields = embed.get("fields", [])
    assert isinstance(fields, list)
    return {int(m.group(1)) for f in fields if (m := re.match(r"\[(\d+)\]", f["name"]))}


# --- escaping -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "forbidden"),
    [
        ("Alerte @everyone !", "@everyone"),
        ("Salut @here", "@here"),
        ("cc <@123456789012345678>", "<@1"),
        ("rôle <@&123456789012345678>", "<@&"),
        ("salon <#123456789012345678>", "<#"),
        ("date <t:1700000000:R>", "<t:"),
        ("**gras**", "**"),
        ("__souligné__", "__"),
        ("~~barré~~", "~~"),
        ("`code`", "`c"),
        ("||spoiler||", "||"),
        ("[cliquez](https://evil.example)", "]("),
        ("# Titre", "# "),
        ("> citation", "> "),
        ("- liste", "- "),
        ("1. premier", "1. "),
    ],
)
def test_escape_makes_markup_and_mentions_inert(raw: str, forbidden: str) -> None:
    escaped = escape_discord(raw)
    assert forbidden not in escaped.replace("\\" + forbidden, "")
    # Escaping only adds backslashes and zero-width spaces: the words stay readable.
    assert escaped.replace("\\", "").replace("\u200b", "") == raw


def test_escape_leaves_plain_french_and_markers_alone() -> None:
    text = "Le président a déclaré : « C’est l’œuvre d’une équipe » [1]. Très bien ? [2]"
    assert escape_discord(text) == text


# --- sentences ------------------------------------------------------------------------


def test_split_sentences_is_lossless() -> None:
    rng = random.Random(7)
    for _ in range(200):
        pieces = [sentence(rng, rng.randint(1, 12)) for _ in range(rng.randint(1, 8))]
        text = rng.choice([" ", "\n", "  ", " [1] "]).join(pieces)
        assert "".join(split_sentences(text)) == text


def test_split_sentences_keeps_markers_and_abbreviations_with_their_sentence() -> None:
    text = "M. Dupont est venu [1]. Il a dit « oui. » [2][3] Il y avait env. 300 personnes. Fin"
    assert split_sentences(text) == [
        "M. Dupont est venu [1]. ",
        "Il a dit « oui. » [2][3] ",
        "Il y avait env. 300 personnes. ",
        "Fin",
    ]


def test_citation_markers() -> None:
    assert citation_markers("a [1] b [2, 3] c [12]") == {1, 2, 3, 12}
    assert citation_markers("pas de marqueur [x]") == set()


# --- answers --------------------------------------------------------------------------


def test_answer_embed_has_text_markers_and_numbered_cards(fr: DiscordTexts) -> None:
    cites = (
        citation(1, "Poutine arrive mardi à Pyongyang."),
        citation(2, "Un accord de défense est signé.", url=None),
    )
    embed = render_answer_embed(answer("Il arrive mardi [1]. Un accord est signé [2].", cites), fr)
    assert embed["title"] == "Que s'est-il passé ?"
    assert embed["description"] == "Il arrive mardi [1]. Un accord est signé [2]."
    first, second = embed["fields"]
    assert first["name"] == "[1] Article 1"
    assert first["value"] == (
        "> « Poutine arrive mardi à Pyongyang. »\nSource : [lemonde.fr](https://www.lemonde.fr/a)"
    )
    assert second["value"] == "> « Un accord de défense est signé. »\nSource : seeds/2.txt"
    assert embed["footer"]["text"] == fr.footer_extractive
    assert_within_limits(embed)


def test_cards_show_outlet_and_date_and_link_the_url(prompts: DiscordPrompts) -> None:
    from dataclasses import replace

    dated = replace(citation(1, "Poutine arrive mardi à Pyongyang."), outlet="Le Monde")
    dated = replace(dated, date="2024-06-18")
    undated = replace(citation(2, "Un accord est signé.", url=None), outlet="AFP")
    embed = render_answer_embed(answer("Il arrive [1]. Accord [2].", (dated, undated)), prompts.fr)
    first, second = embed["fields"]
    assert first["value"].endswith("Source : [Le Monde · 18 juin 2024](https://www.lemonde.fr/a)")
    assert second["value"].endswith("Source : AFP")
    english = render_answer_embed(answer("He arrives [1].", (dated,)), prompts.en)
    assert "Le Monde · 18 June 2024" in english["fields"][0]["value"]


def test_llm_answer_footer_carries_the_note(fr: DiscordTexts) -> None:
    embed = render_answer_embed(
        answer("Texte [1].", (citation(1, "Texte."),), mode="llm", note="modèle indisponible"),
        fr,
    )
    assert embed["footer"]["text"] == f"{fr.footer_llm} · modèle indisponible"


def test_english_answers_use_english_texts(prompts: DiscordPrompts) -> None:
    texts = prompts.for_language("en")
    embed = render_answer_embed(answer("Text [1].", (citation(1, "Quote."),), language="en"), texts)
    assert embed["fields"][0]["value"].startswith("> “Quote.”\nSource: ")
    assert prompts.for_locale("en-US") is prompts.en
    assert prompts.for_locale("fr") is prompts.fr
    assert prompts.for_locale("de") is prompts.fr  # default_language


def test_abstention_is_a_short_clear_message_not_an_empty_embed(fr: DiscordTexts) -> None:
    abstention = answer("Je ne trouve pas la réponse dans les articles.", (), abstained=True)
    embed = render_answer_embed(abstention, fr)
    assert embed["description"] == "Je ne trouve pas la réponse dans les articles."
    assert embed["fields"] == []
    assert "footer" not in embed


def test_abstention_shows_related_passages_clearly_labelled(fr: DiscordTexts) -> None:
    related = (citation(1, "Un passage voisin."), citation(2, "Un autre."))
    embed = render_answer_embed(answer("Je ne sais pas.", (), abstained=True, related=related), fr)
    assert embed["description"] == f"Je ne sais pas.\n\n{fr.related_intro}"
    assert [f["name"] for f in embed["fields"]] == [
        f"{fr.related_prefix} Article 1",
        f"{fr.related_prefix} Article 2",
    ]
    assert card_numbers(embed) == set()  # related passages are not numbered sources


def test_oversized_answer_is_trimmed_between_sentences_and_keeps_every_card(
    fr: DiscordTexts,
) -> None:
    rng = random.Random(3)
    snippets = [" ".join(sentence(rng, 25) for _ in range(12)) for _ in range(5)]
    cites = tuple(citation(n, snippets[n - 1]) for n in range(1, 6))
    text = " ".join(f"{sentence(rng, 30)[:-1]} [{i % 5 + 1}]." for i in range(60))
    embed = render_answer_embed(answer(text, cites), fr)

    assert_within_limits(embed)
    description = embed["description"]
    assert description.endswith(fr.answer_trimmed)
    shown_text = description.removesuffix(fr.answer_trimmed).strip()
    assert text.startswith(shown_text)  # a prefix of whole sentences
    assert text[len(shown_text)] == " "
    assert citation_markers(shown_text) <= card_numbers(embed)
    for field in embed["fields"]:
        quote = field["value"].split("\n")[0]
        assert quote.startswith("> « ") and quote.endswith(" »")
        inner = quote.removeprefix("> « ").removesuffix(" »").removesuffix(fr.quote_trimmed)
        n = int(field["name"][1])
        assert snippets[n - 1].startswith(inner)
        assert inner.endswith(".")  # never cut mid-sentence


def test_more_citations_than_fields_drops_text_rather_than_cards(fr: DiscordTexts) -> None:
    cites = tuple(citation(n, f"Phrase {n}.") for n in range(1, 41))
    text = " ".join(f"Fait numéro {n} [{n}]." for n in range(1, 41))
    embed = render_answer_embed(answer(text, cites), fr)
    assert_within_limits(embed)
    shown = citation_markers(embed["description"])
    assert shown and shown <= card_numbers(embed)


def test_sentence_longer_than_a_card_is_not_cut(fr: DiscordTexts) -> None:
    long_sentence = "Une phrase " + "très " * 300 + "longue."
    embed = render_answer_embed(answer("Texte [1].", (citation(1, long_sentence),)), fr)
    value = embed["fields"][0]["value"]
    assert value.startswith(fr.quote_too_long)
    assert "très très" not in value


def test_hostile_urls_and_titles_cannot_break_the_layout(fr: DiscordTexts) -> None:
    cites = (
        Citation(
            n=1,
            article_id="x",
            source="javascript:alert(1)",
            title="[faux](https://evil.example) **titre** @everyone",
            snippet="Texte.",
            start=0,
            end=6,
            url="javascript:alert(1)",
        ),
        citation(2, "Autre.", url="https://fr.wikipedia.org/wiki/Corée_(pays)"),
    )
    embed = render_answer_embed(answer("A [1]. B [2].", cites), fr)
    first, second = embed["fields"]
    assert "](" not in first["name"] and "@everyone" not in first["name"]
    assert "(javascript" not in first["value"]
    assert second["value"].endswith("(https://fr.wikipedia.org/wiki/Corée_%28pays%29)")


def test_long_question_title_is_trimmed_at_a_word(fr: DiscordTexts) -> None:
    question = "Pourquoi " + "la visite " * 60 + "?"
    embed = render_answer_embed(answer("Texte [1].", (citation(1, "A."),), question=question), fr)
    assert len(embed["title"]) <= TITLE_LIMIT
    assert embed["title"].endswith("…")


# --- sources --------------------------------------------------------------------------


def test_sources_split_long_passages_across_embeds_and_messages(fr: DiscordTexts) -> None:
    rng = random.Random(11)
    texts = [" ".join(sentence(rng, 20) for _ in range(60)) for _ in range(4)]
    passages = tuple(
        Passage(n=i + 1, article_id=f"a{i}", title=f"Article {i + 1}", source="s", text=t)
        for i, t in enumerate(texts)
    )
    messages = render_sources_messages(answer("x", (), passages=passages), fr)
    assert len(messages) > 1
    for embeds in messages:
        assert len(embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_length(e) for e in embeds) <= EMBED_TOTAL_LIMIT
    embeds = [e for m in messages for e in m]
    for n, text in enumerate(texts, start=1):
        parts = [e for e in embeds if e["title"].startswith(f"[{n}] ")]
        joined = " ".join(p["description"].removesuffix("\n\nSource : s") for p in parts)
        assert joined == text  # nothing lost, nothing cut inside a sentence
        assert all(p["description"].rstrip().endswith((".", "Source : s")) for p in parts)


def test_no_passages_means_no_messages(fr: DiscordTexts) -> None:
    assert render_sources_messages(answer("x", ()), fr) == []


# --- short messages -------------------------------------------------------------------


def test_wait_notice_says_when_to_retry(fr: DiscordTexts) -> None:
    text = render_wait_notice(
        fr.cooldown, retry_after=7.2, now=1_700_000_000.5, cooldown_seconds=10
    )
    assert "<t:1700000008:R>" in text
    assert "10 secondes" in text


def test_notices_fit_in_message_content(fr: DiscordTexts) -> None:
    assert len(render_notice("mot " * 1000)) <= CONTENT_LIMIT
    error = render_user_error(fr, "no index at data/index — run `newsbot index` @everyone")
    assert error == "⚠️ no index at data/index — run \\`newsbot index\\` @\u200beveryone"


def test_mentions_and_questions() -> None:
    assert mentions_bot("<@42> bonjour", 42)
    assert mentions_bot("salut <@!42>", 42)
    assert not mentions_bot("<@420> bonjour", 42)
    assert question_from_mention("<@42>  Qui   est venu ?\n", 42) == "Qui est venu ?"
    assert question_from_mention("<@42>", 42) == ""
    assert thread_name("Qui\nest venu ?") == "Qui est venu ?"
    assert len(thread_name("mot " * 100)) <= 100
    assert thread_name("   ") == "Question"


def test_prompts_file_is_checked(tmp_path: Path) -> None:
    broken = tmp_path / "discord.toml"
    broken.write_text('[commands]\nask = "a"\n[fr]\ncooldown = "x"\n[en]\n', encoding="utf-8")
    with pytest.raises(DiscordPromptsError, match=r"\[fr\] lacks answer_title, quote_open"):
        load_discord_prompts(broken)
    with pytest.raises(DiscordPromptsError, match="no Discord messages file"):
        load_discord_prompts(tmp_path / "missing.toml")


def test_footer_note_from_the_llm_server_cannot_ping(fr: DiscordTexts) -> None:
    note = "hello @everyone <@123> @here <@&456> <#789>"
    embed = render_answer_embed(answer("Réponse. [1]", (citation(1, "Réponse."),), note=note), fr)

    footer = embed["footer"]["text"]
    assert "hello" in footer
    for forbidden in ("@everyone", "@here", "<@", "<#"):
        assert forbidden not in footer
    assert "\\" not in footer  # footers render no markdown: a backslash would show


def test_mass_mentions_do_not_survive_inside_link_targets(fr: DiscordTexts) -> None:
    url = "https://example.org/@everyone/@HERE"
    embed = render_answer_embed(answer("Réponse. [1]", (citation(1, "Réponse.", url=url),)), fr)

    value = embed["fields"][0]["value"]
    assert "](https://example.org/%40everyone/%40HERE)" in value
    assert "@everyone" not in value.lower() and "@here" not in value.lower()
