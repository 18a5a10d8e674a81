"""Property tests: every renderer terminates, within Discord's limits, on any input."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.discord.render import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    FIELD_COUNT_LIMIT,
    FIELD_VALUE_LIMIT,
    TITLE_LIMIT,
    embed_length,
)
from bot.discord.render_answer import render_answer_embed
from bot.discord.render_sources import render_sources_messages
from bot.discord.texts import DiscordPrompts, load_discord_prompts
from bot.models import Answer, Citation, Passage

TEXTS = load_discord_prompts().fr
FUZZ = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Turn an endless loop into a test failure. The limit is CPU time (SIGPROF), not wall
    time, so a machine loaded by other jobs does not fail the test; the loops are pure
    Python, so the signal interrupts them."""

    def fail(*_: object) -> None:
        raise TimeoutError(f"renderer still running after {seconds} s of CPU")

    previous = signal.signal(signal.SIGPROF, fail)
    signal.setitimer(signal.ITIMER_PROF, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


# Odd characters the escaping and splitting treat specially, and plain words.
_ALPHABET = st.sampled_from(
    [*list('aé .!?…»"()[]\\*_~`|<>#-@\n\t'), "[1]", "[12]", "@everyone", "https://", " M. "]
)
_TEXT = st.lists(_ALPHABET, max_size=60).map("".join) | st.text(max_size=300)
_LONG = st.builds(
    lambda c, n: c * n, st.sampled_from(["a", "a ", ". ", "é", "["]), st.integers(0, 6000)
)
_URL = (
    st.none()
    | st.builds(
        lambda tail, n: "https://example.org/" + tail * n,
        st.sampled_from(["a", "(", ")", "<", "@everyone", "%20", "]"]),
        st.integers(0, 5000),
    )
    | st.sampled_from(["https://[evil]/", "javascript:alert(1)", "http://", "https://x.org:99999/"])
)


@st.composite
def answers(draw: st.DrawFn) -> Answer:
    # A few texts drawn once and reused across fields: generating is what costs time here.
    pool = draw(st.lists(_TEXT | _LONG, min_size=1, max_size=4))
    urls = draw(st.lists(_URL, min_size=1, max_size=3))
    text = st.sampled_from(pool)
    count = draw(st.integers(0, 26))
    citations = tuple(
        Citation(
            n=n,
            article_id=f"a{n}",
            source=draw(text),
            title=draw(text),
            snippet=draw(text),
            start=0,
            end=1,
            url=draw(st.sampled_from(urls)),
        )
        for n in range(1, count + 1)
    )
    passages = tuple(
        Passage(c.n, c.article_id, c.title, c.source, draw(text), url=c.url)
        for c in citations[: draw(st.integers(0, 6))]
    )
    abstained = draw(st.booleans())
    return Answer(
        question=draw(text),
        text=draw(text) + "".join(f" [{c.n}]" for c in citations),
        abstained=abstained,
        mode=draw(st.sampled_from(["extractive", "llm"])),
        language="fr",
        citations=() if abstained else citations,
        related=citations if abstained else (),
        passages=passages,
        note=draw(st.none() | text),
    )


def _check_embed(embed: dict[str, object]) -> None:
    assert embed_length(embed) <= EMBED_TOTAL_LIMIT
    assert len(str(embed.get("description", ""))) <= DESCRIPTION_LIMIT
    assert len(str(embed["title"])) <= TITLE_LIMIT
    fields = embed.get("fields", [])
    assert isinstance(fields, list) and len(fields) <= FIELD_COUNT_LIMIT
    for field in fields:
        assert 0 < len(field["value"]) <= FIELD_VALUE_LIMIT


@FUZZ
@given(answers())
def test_renderers_terminate_within_limits(answer: Answer) -> None:
    with time_limit(5):
        _check_embed(render_answer_embed(answer, TEXTS))
        messages = render_sources_messages(answer, TEXTS)
    for message in messages:
        assert 0 < len(message) <= EMBEDS_PER_MESSAGE
        assert sum(embed_length(e) for e in message) <= EMBED_TOTAL_LIMIT
        for embed in message:
            assert len(embed["description"]) <= DESCRIPTION_LIMIT
            assert len(embed.get("url", "")) <= 2048


def test_sources_of_a_passage_with_a_4070_character_url_render(prompts: DiscordPrompts) -> None:
    url = "https://example.org/" + "a" * 4049
    passage = Passage(1, "a1", "Titre", url, "Une phrase. " * 50, url=url)
    answer = Answer("Q ?", "R [1]", False, "extractive", "fr", passages=(passage,))

    with time_limit(5):
        messages = render_sources_messages(answer, prompts.fr)

    assert messages and "Une phrase." in messages[0][0]["description"]


@pytest.mark.parametrize("url", ["https://[evil]/", "https://[::1/"])
def test_bracketed_host_url_is_shown_without_a_link(prompts: DiscordPrompts, url: str) -> None:
    citation = Citation(1, "a1", url, "Titre", "Une phrase.", 0, 11, url=url)
    answer = Answer("Q ?", "Une phrase. [1]", False, "extractive", "fr", citations=(citation,))

    embed = render_answer_embed(answer, prompts.fr)

    assert "](" not in embed["fields"][0]["value"]


def test_heavy_answer_renders_in_bounded_time(prompts: DiscordPrompts) -> None:
    quote = "Une phrase assez longue du texte de l'article. " * 2200  # ~100 KB a card
    cards = tuple(Citation(n, f"a{n}", "s", "Titre", quote, 0, 1) for n in range(1, 41))
    passages = tuple(Passage(c.n, c.article_id, "Titre", "s", quote) for c in cards[:20])
    text = "Réponse. " * 500 + "".join(f" [{n}]" for n in range(1, 41))
    answer = Answer("Q ?", text, False, "extractive", "fr", citations=cards, passages=passages)

    with time_limit(5):  # was minutes: every prefix of every quote was escaped
        _check_embed(render_answer_embed(answer, prompts.fr))
        render_sources_messages(answer, prompts.fr)
