"""`/sources`: the full passages of an answer as messages of embeds, within Discord's limits.

Pure (no discord import), like `render`.
"""

from __future__ import annotations

from bot.discord.render import (
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    TITLE_LIMIT,
    EmbedPayload,
    _escaped_within,
    _one_line,
    embed_length,
    escape_discord,
    split_sentences,
)
from bot.discord.render_answer import safe_url, source_lines
from bot.discord.texts import DiscordTexts
from bot.literal_markers import escape_literal_markers
from bot.models import Answer, Passage

# /sources: a source line longer than this is shown without its link.
_SOURCE_LINE_MAX = 1024
_MIN_PASSAGE_BUDGET = 1000
_SEAM_ESCAPES = 2

SOURCES_COLOUR = 0x4A5568


def render_sources_messages(answer: Answer, texts: DiscordTexts) -> list[list[EmbedPayload]]:
    """The full passages of an answer as messages of embeds, each message within limits.

    Empty when the answer has no passages (say `texts.no_passages` instead).
    """
    embeds = [embed for passage in answer.passages for embed in _passage_embeds(passage, texts)]
    messages: list[list[EmbedPayload]] = []
    size = 0
    for embed in embeds:
        length = embed_length(embed)
        if (
            not messages
            or len(messages[-1]) == EMBEDS_PER_MESSAGE
            or size + length > EMBED_TOTAL_LIMIT
        ):
            messages.append([])
            size = 0
        messages[-1].append(embed)
        size += length
    return messages


def _passage_embeds(passage: Passage, texts: DiscordTexts) -> list[EmbedPayload]:
    continued = " " + texts.sources_continued
    heading = texts.sources_title.format(n=passage.n, title=_one_line(passage.title))
    title = _escaped_within(heading, TITLE_LIMIT - len(continued))
    # The linked source line unless it would crowd out the passage itself.
    lines = source_lines(passage.source, passage.url, texts, passage.outlet, passage.date)
    source_line = next((s for s in lines if len(s) <= _SOURCE_LINE_MAX), lines[-1])
    budget = max(_MIN_PASSAGE_BUDGET, DESCRIPTION_LIMIT - len(source_line) - 2)
    chunks = _chunk_sentences(escape_literal_markers(passage.text.strip()), budget)
    link = safe_url(passage.url)
    embeds: list[EmbedPayload] = []
    for i, chunk in enumerate(chunks):
        embed: EmbedPayload = {
            "type": "rich",
            "title": title if i == 0 else title + continued,
            "description": chunk,
            "color": SOURCES_COLOUR,
        }
        if i == 0 and link is not None:
            embed["url"] = link
        embeds.append(embed)
    embeds[-1]["description"] = "\n\n".join(
        p for p in (embeds[-1]["description"], source_line) if p
    )
    return embeds


def _chunk_sentences(text: str, budget: int) -> list[str]:
    """Escaped text in chunks of at most `budget` characters, cut between sentences."""
    pieces: list[str] = []
    for piece in split_sentences(text):
        # A single sentence longer than a whole embed is split between words, as a last resort.
        pieces.extend(
            _split_words(piece, budget // 2) if len(escape_discord(piece)) > budget else [piece]
        )
    chunks: list[str] = []
    current = ""
    size = 0  # an upper bound of len(escape_discord(current)), kept without re-escaping
    for piece in pieces:
        # Escaping is local: joining two pieces adds at most one escape at the seam
        # ("](", "@every|one", "\n12|. "). Re-escaping every candidate was quadratic.
        grown = len(escape_discord(piece)) + _SEAM_ESCAPES
        if current and size + grown > budget:
            chunks.append(escape_discord(current.strip()))
            current, size = "", 0
        current += piece
        size += grown
    chunks.append(escape_discord(current.strip()))
    return chunks


def _split_words(text: str, size: int) -> list[str]:
    # A non-positive size would cut nothing off and loop forever (issue 12, item 1).
    size = max(1, size)
    out: list[str] = []
    while len(text) > size:
        cut = text.rfind(" ", 0, size)
        cut = size if cut <= 0 else cut + 1
        out.append(text[:cut])
        text = text[cut:]
    out.append(text)
    return out
