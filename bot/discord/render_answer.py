"""The one embed of a reply: the answer with `[n]` markers and numbered source cards.

Pure (no discord import): sized to Discord's limits from `render`, quotes cut only
between sentences.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.dates import byline
from bot.discord.render import (
    _MASS_MENTION,
    DESCRIPTION_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_COUNT_LIMIT,
    FIELD_NAME_LIMIT,
    FIELD_VALUE_LIMIT,
    FOOTER_LIMIT,
    TITLE_LIMIT,
    EmbedPayload,
    _escaped_within,
    _one_line,
    _trim_words,
    citation_markers,
    embed_length,
    escape_discord,
    inert_plain_text,
    split_sentences,
)
from bot.discord.texts import DiscordTexts
from bot.literal_markers import answer_display_text, escape_literal_markers
from bot.models import Answer, Citation

# Longer URLs are shown as their host only (the index caps them at ingest too).
MAX_URL_CHARS = 2048

ANSWER_COLOUR = 0x2B6CB0
ABSTENTION_COLOUR = 0x718096

# Card quotes shrink through these sizes before the answer text itself is shortened.
_CARD_VALUE_STEPS = (FIELD_VALUE_LIMIT, 700, 450, 300, 200)
# Below this many characters of answer, cards give up quote length before the answer does.
_DESCRIPTION_FLOOR = 1500


@dataclass(frozen=True)
class _Card:
    """A source card before sizing: `n` is None for cards no marker refers to."""

    n: int | None
    name: str
    quote_pieces: tuple[str, ...]  # the sentences that could fit on a card, at most
    source_lines: tuple[str, ...]  # preferred first (with link), then shorter fallbacks
    quote_cut: bool = False  # the quote has more sentences than `quote_pieces`


def render_answer_embed(answer: Answer, texts: DiscordTexts) -> EmbedPayload:
    """The one embed of a reply: answer with `[n]` markers and numbered source cards.

    Within every Discord limit. Quotes are cut only between sentences, and the answer
    text is shortened (whole sentences) rather than drop a card a shown marker needs.
    """
    title = _escaped_within(
        texts.answer_title.format(question=_one_line(answer.question)), TITLE_LIMIT
    )
    if answer.abstained:
        cards = [_card(c, texts, related=True) for c in answer.related]
        return _layout(
            texts=texts,
            title=title,
            footer=_understood_footer("", answer, texts),
            colour=ABSTENTION_COLOUR,
            pieces=split_sentences(answer_display_text(answer).strip()),
            lead_out=texts.related_intro if cards else "",
            cards=cards,
        )
    footer = texts.footer_llm if answer.mode == "llm" else texts.footer_extractive
    if answer.note:
        # The note can carry text the LLM server controls: no ping may even look possible.
        footer = f"{footer} · {inert_plain_text(_one_line(answer.note))}"
    return _layout(
        texts=texts,
        title=title,
        footer=_trim_words(_understood_footer(footer, answer, texts), FOOTER_LIMIT),
        colour=ANSWER_COLOUR,
        pieces=split_sentences(answer_display_text(answer).strip()),
        lead_out="",
        cards=[_card(c, texts, related=False) for c in answer.citations],
    )


def _understood_footer(footer: str, answer: Answer, texts: DiscordTexts) -> str:
    """The footer, with the question searched when a follow-up was read as another."""
    if not answer.understood or answer.understood == answer.question:
        return footer
    shown = texts.understood.format(question=inert_plain_text(_one_line(answer.understood)))
    return f"{footer} · {shown}" if footer else shown


def _card(citation: Citation, texts: DiscordTexts, *, related: bool) -> _Card:
    title = _one_line(citation.title) or _one_line(citation.source)
    if related:
        name = f"{texts.related_prefix} {escape_discord(title)}"
    else:
        name = f"[{citation.n}] {escape_discord(title)}"
    if len(name) > FIELD_NAME_LIMIT:
        prefix = texts.related_prefix + " " if related else f"[{citation.n}] "
        name = prefix + _escaped_within(title, FIELD_NAME_LIMIT - len(prefix))
    # Only the start can fit on a card: twice the limit holds every sentence that might
    # (a sentence cut at the end of this prefix is longer than the limit, so never shown).
    quote = escape_literal_markers(_one_line(citation.snippet))
    sentences = split_sentences(quote[: 2 * FIELD_VALUE_LIMIT])
    pieces = _fitting_prefix(sentences, FIELD_VALUE_LIMIT)
    return _Card(
        n=None if related else citation.n,
        name=name,
        quote_pieces=pieces[0],
        source_lines=source_lines(
            citation.source, citation.url, texts, citation.outlet, citation.date
        ),
        quote_cut=pieces[1] or len(quote) > 2 * FIELD_VALUE_LIMIT,
    )


def _fitting_prefix(pieces: list[str], limit: int) -> tuple[tuple[str, ...], bool]:
    """The first pieces whose text could fit in `limit` (escaping only lengthens), and
    whether any were left out; a 100 KB quote then costs no more than a short one."""
    total = 0
    for i, piece in enumerate(pieces):
        total += len(piece.strip()) if i == 0 else len(piece)
        if total > limit:
            return tuple(pieces[: i + 1]), i + 1 < len(pieces)
    return tuple(pieces), False


def source_lines(
    source: str,
    url: str | None,
    texts: DiscordTexts,
    outlet: str | None = None,
    date: str | None = None,
) -> tuple[str, ...]:
    link = safe_url(url)
    shown = byline(outlet and _one_line(outlet), date, texts.language) or _source_label(
        source, link
    )
    plain = texts.source_line.format(source=_escaped_within(shown, 200))
    if link is None:
        return (plain,)
    return (texts.source_line.format(source=f"[{_escaped_within(shown, 200)}]({link})"), plain)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL usable as a masked-link target, or None."""
    if not url or len(url) > MAX_URL_CHARS or any(ch.isspace() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018  # "https://[evil]/" raises only here
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    safe = url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")
    safe = _MASS_MENTION.sub(lambda m: "%40" + m.group(1), safe)  # "@everyone" in a path
    return safe if len(safe) <= MAX_URL_CHARS else None


def _source_label(source: str, url: str | None) -> str:
    if url is not None:
        host = urlsplit(url).hostname or url
        return host.removeprefix("www.")
    return _one_line(source) or "?"


def _card_value(card: _Card, limit: int, texts: DiscordTexts) -> str:
    """The longest whole-sentence quote (and best source line) that fits in `limit`."""
    for source_line in card.source_lines:
        tail = "\n" + source_line
        kept = largest_fitting(
            len(card.quote_pieces),
            lambda k, tail=tail: len(_quote_value(card, k, tail, texts)) <= limit,  # type: ignore[misc]
        )
        if kept:
            return _quote_value(card, kept, tail, texts)
        # Not even one sentence fits: say so rather than cut a quote mid-sentence.
        value = texts.quote_too_long + tail
        if len(value) <= limit:
            return value
    return _trim_words(card.source_lines[-1], limit)


def _quote_value(card: _Card, kept: int, tail: str, texts: DiscordTexts) -> str:
    quote = escape_discord("".join(card.quote_pieces[:kept]).strip())
    cut = kept < len(card.quote_pieces) or card.quote_cut
    mark = texts.quote_trimmed if cut else ""
    return f"> {texts.quote_open}{quote}{mark}{texts.quote_close}{tail}"


def largest_fitting(count: int, fits: Callable[[int], bool]) -> int:
    """The largest k in 1..count with fits(k), else 0, in O(log count) calls.

    All of it is tried first; below that, `fits` must hold for every k up to the largest
    (true of a prefix plus a fixed "trimmed" mark), so a bisection finds it. This bounds
    the work on huge quotes (issue 12, item 14) where trying every prefix was quadratic.
    """
    if count == 0 or fits(count):
        return count
    low, high = 0, count - 1  # fits(low) is assumed, fits(high + 1) is known false
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def _layout(
    *,
    texts: DiscordTexts,
    title: str,
    footer: str,
    colour: int,
    pieces: Sequence[str],
    lead_out: str,
    cards: Sequence[_Card],
) -> EmbedPayload:
    every_marker = citation_markers("".join(pieces))

    def build(description_budget: int, value_limit: int) -> tuple[EmbedPayload, int]:
        # Keep the longest run of whole sentences whose markers all get a card.
        def attempt(kept: int) -> tuple[str, list[_Card], bool]:
            raw = "".join(pieces[:kept]).strip()
            shown = citation_markers(raw)
            chosen = [c for c in cards if c.n is None or c.n in shown or c.n not in every_marker]
            parts = [escape_discord(raw)] if raw else []
            if kept < len(pieces):
                parts.append(texts.answer_trimmed)
            if lead_out:
                parts.append(lead_out)
            description = "\n\n".join(parts)
            fits = len(description) <= description_budget and len(chosen) <= FIELD_COUNT_LIMIT
            return description, chosen, fits

        kept = largest_fitting(len(pieces), lambda k: attempt(k)[2])
        description, chosen, _ = attempt(kept)
        embed: EmbedPayload = {"type": "rich", "title": title, "color": colour}
        if description:
            embed["description"] = description[:DESCRIPTION_LIMIT]
        embed["fields"] = [
            {"name": c.name, "value": _card_value(c, value_limit, texts), "inline": False}
            for c in chosen[:FIELD_COUNT_LIMIT]
        ]
        if footer:
            embed["footer"] = {"text": footer}
        return embed, kept

    # Keep the whole answer if shorter quotes on the cards make room for it.
    roomy_steps = _CARD_VALUE_STEPS[:-1]
    for value_limit in roomy_steps:
        embed, kept = build(DESCRIPTION_LIMIT, value_limit)
        if kept < len(pieces):
            break  # the answer alone is too long: balance it against the cards below
        if embed_length(embed) <= EMBED_TOTAL_LIMIT:
            return embed
    # Else shorten the answer, but not below a floor, while cards keep a sentence or two.
    fixed = len(title) + len(footer)
    for value_limit in roomy_steps:
        cards_at_most = sum(len(c.name) + len(_card_value(c, value_limit, texts)) for c in cards)
        budget = min(DESCRIPTION_LIMIT, EMBED_TOTAL_LIMIT - fixed - cards_at_most)
        if budget < _DESCRIPTION_FLOOR:
            continue
        embed, _ = build(budget, value_limit)
        # Cards whose markers were cut free room: give it back to the answer.
        for _ in range(3):
            spare = EMBED_TOTAL_LIMIT - embed_length(embed)
            grown, _ = build(min(DESCRIPTION_LIMIT, budget + spare), value_limit)
            if embed_length(grown) > EMBED_TOTAL_LIMIT or grown == embed:
                break
            embed, budget = grown, min(DESCRIPTION_LIMIT, budget + spare)
        if embed_length(embed) <= EMBED_TOTAL_LIMIT:
            return embed
    # Last resort (many cards): the smallest quotes, and as much answer as still fits.
    budget = DESCRIPTION_LIMIT
    while True:
        embed, kept = build(budget, _CARD_VALUE_STEPS[-1])
        over = embed_length(embed) - EMBED_TOTAL_LIMIT
        if over <= 0:
            return embed
        if kept == 0:
            break
        budget = len(embed.get("description", "")) - over
    # Only cards that no shown marker refers to are left; drop them from the end.
    while embed_length(embed) > EMBED_TOTAL_LIMIT and embed["fields"]:
        embed["fields"].pop()
    return embed
