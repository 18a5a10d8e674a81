"""Answers as Discord payloads: escaping, Discord's size limits, sentence-safe trimming.

Pure functions on plain data (no discord import, no network): embeds are the JSON dicts
of Discord's API, which the adapter turns into `discord.Embed.from_dict`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from bot.dates import byline
from bot.literal_markers import answer_display_text, escape_literal_markers
from bot.models import Answer, Citation, Passage
from bot.prompts import read_prompt_file
from bot.settings import PROJECT_ROOT
from index.errors import NewsbotError

Language = Literal["fr", "en"]
_T = TypeVar("_T")
EmbedPayload = dict[str, Any]  # one embed, exactly as Discord's API spells it

DEFAULT_PROMPTS_FILE = PROJECT_ROOT / "prompts" / "discord.toml"

# Discord's documented limits (https://discord.com/developers/docs/resources/message).
CONTENT_LIMIT = 2000
TITLE_LIMIT = 256
DESCRIPTION_LIMIT = 4096
FIELD_NAME_LIMIT = 256
FIELD_VALUE_LIMIT = 1024
FOOTER_LIMIT = 2048
FIELD_COUNT_LIMIT = 25
EMBED_TOTAL_LIMIT = 6000  # summed over every embed of one message
EMBEDS_PER_MESSAGE = 10
THREAD_NAME_LIMIT = 100
# Longer URLs are shown as their host only (the index caps them at ingest too).
MAX_URL_CHARS = 2048
# /sources: a source line longer than this is shown without its link.
_SOURCE_LINE_MAX = 1024
_MIN_PASSAGE_BUDGET = 1000
_SEAM_ESCAPES = 2

ANSWER_COLOUR = 0x2B6CB0
ABSTENTION_COLOUR = 0x718096
SOURCES_COLOUR = 0x4A5568

# Card quotes shrink through these sizes before the answer text itself is shortened.
_CARD_VALUE_STEPS = (FIELD_VALUE_LIMIT, 700, 450, 300, 200)
# Below this many characters of answer, cards give up quote length before the answer does.
_DESCRIPTION_FLOOR = 1500


class DiscordPromptsError(NewsbotError):
    """prompts/discord.toml is missing, malformed or lacks a message."""


@dataclass(frozen=True)
class DiscordTexts:
    """Every sentence the bot says itself, in one language (see prompts/discord.toml)."""

    answer_title: str
    quote_open: str
    quote_close: str
    quote_trimmed: str
    quote_too_long: str
    source_line: str
    answer_trimmed: str
    related_intro: str
    related_prefix: str
    footer_extractive: str
    footer_llm: str
    sources_title: str
    sources_continued: str
    no_passages: str
    button_up: str
    button_down: str
    button_bad_source: str
    button_sources: str
    feedback_thanks: str
    feedback_expired: str
    no_recent_answer: str
    cooldown: str
    busy: str
    user_error: str
    error: str
    empty_mention: str
    not_here: str
    understood: str
    bad_since: str
    language: str = "fr"  # of this set: dates on source lines are written in it


@dataclass(frozen=True)
class CommandTexts:
    """Slash command descriptions (registered once, so in one language)."""

    ask: str
    ask_question: str
    ask_private: str
    ask_new: str
    sources: str
    ask_since: str


@dataclass(frozen=True)
class DiscordPrompts:
    """The French and English message sets plus command descriptions."""

    fr: DiscordTexts
    en: DiscordTexts
    commands: CommandTexts
    default_language: Language = "fr"

    def for_language(self, language: str | None) -> DiscordTexts:
        """The set for an answer's language ("fr"/"en"); anything else gets the default."""
        chosen = language if language in ("fr", "en") else self.default_language
        return self.en if chosen == "en" else self.fr

    def for_locale(self, locale: str | None) -> DiscordTexts:
        """The set for a Discord locale such as "fr", "en-US" or "de"."""
        prefix = (locale or "").split("-")[0].lower()
        return self.for_language(prefix if prefix in ("fr", "en") else None)


def load_discord_prompts(path: Path = DEFAULT_PROMPTS_FILE) -> DiscordPrompts:
    """Read and check the message templates; every key must exist in both languages."""
    data = read_prompt_file(path, DiscordPromptsError, f"no Discord messages file at {path}")
    default = data.get("default_language", "fr")
    if default not in ("fr", "en"):
        raise DiscordPromptsError(f"{path}: default_language must be fr or en")
    return DiscordPrompts(
        fr=_table(data, "fr", DiscordTexts, path),
        en=_table(data, "en", DiscordTexts, path),
        commands=_table(data, "commands", CommandTexts, path),
        default_language=default,
    )


def _table(data: dict[str, Any], name: str, cls: type[_T], path: Path) -> _T:
    table = data.get(name)
    if not isinstance(table, dict):
        raise DiscordPromptsError(f"{path}: missing [{name}] table")
    wanted = [f.name for f in fields(cls)]  # type: ignore[arg-type]
    missing = [key for key in wanted if not isinstance(table.get(key), str)]
    if missing:
        raise DiscordPromptsError(f"{path}: [{name}] lacks {', '.join(missing)}")
    return cls(**{key: table[key] for key in wanted})


# --- escaping -------------------------------------------------------------------------

_INLINE_MARKUP = re.compile(r"([\\*_~`|<>])")  # also neutralises <@id>, <#id>, <t:…>
_LINE_START_MARKUP = re.compile(r"^([ \t]*)([#+-])", re.MULTILINE)
_LINE_START_NUMBERED = re.compile(r"^([ \t]*\d+)\.(?=\s)", re.MULTILINE)
_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"


def escape_discord(text: str) -> str:
    """Text from articles or users, made inert: no markdown, links, pings or mentions."""
    text = _INLINE_MARKUP.sub(r"\\\1", text)
    text = _LINE_START_MARKUP.sub(r"\1\\\2", text)
    text = _LINE_START_NUMBERED.sub(r"\1\\.", text)
    text = text.replace("](", "]\\(")  # a masked link needs "](" to form
    # Even with allowed_mentions off, "@everyone" would still read as a ping to humans.
    return _MASS_MENTION.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), text)


_MENTION_FORM = re.compile(r"<(?=[@#]|t:|/|a?:)")


def inert_plain_text(text: str) -> str:
    """Text for places that render no markdown (footers): mentions and pings broken by a
    zero-width space, so nothing pings or looks as if it could, and no backslash shows."""
    text = _MENTION_FORM.sub("<" + _ZERO_WIDTH_SPACE, text)
    return _MASS_MENTION.sub(lambda m: "@" + _ZERO_WIDTH_SPACE + m.group(1), text)


# --- sentences and markers ------------------------------------------------------------

# An escaped "\[3]" is an article's own text (bot/literal_markers.py), not a marker.
_MARKER = r"(?<!\\)\[\d+(?:\s*[,;]\s*\d+)*\]"
_MARKER_RE = re.compile(r"(?<!\\)\[(\d+(?:\s*[,;]\s*\d+)*)\]")
# Sentence end: punctuation, closing quotes, then the citation markers that belong to it.
_SENTENCE_END = re.compile(rf"[.!?…]+(?:\s?[»\"”’)])*(?:[ \t\u00a0]*{_MARKER})*\s+")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(«\"“'])(?:[A-Z]|M|MM|Mme|Mmes|Mlle|Dr|Pr|Me|Mgr|St|Ste|cf|p|pp|env|av|apr|"
    r"vol|art|Mr|Mrs|Ms|vs|No|n°)$"
)


def split_sentences(text: str) -> list[str]:
    """Cut text after each sentence; the pieces join back into the exact original text.

    A citation marker right after a full stop stays with its sentence, and common
    abbreviations ("M. Dupont") or a following lowercase word do not end a sentence.
    """
    pieces: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        before = text[start : match.start()]
        following = text[end : end + 1]
        if match.group(0).startswith(".") and _ABBREVIATION.search(before):
            continue
        if following.islower():
            continue
        pieces.append(text[start:end])
        start = end
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def citation_markers(text: str) -> set[int]:
    """The citation numbers referenced by `[n]` (or `[n, m]`) markers in text."""
    numbers: set[int] = set()
    for match in _MARKER_RE.finditer(text):
        numbers.update(int(part) for part in re.split(r"\s*[,;]\s*", match.group(1)))
    return numbers


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _trim_words(text: str, limit: int, ellipsis: str = "…") -> str:
    """Plain text shortened at a word boundary (for titles and names, not quotes)."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(ellipsis))]
    if " " in cut:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip() + ellipsis


def _escaped_within(raw: str, limit: int) -> str:
    """Escape raw one-line text, dropping whole words until it fits the limit."""
    escaped = escape_discord(raw)
    while len(escaped) > limit and raw:
        raw = _trim_words(raw, max(0, len(raw) - max(1, len(escaped) - limit)))
        escaped = escape_discord(raw)
        if raw == "…":
            break
    return escaped[:limit]


# --- answers --------------------------------------------------------------------------


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
        source_lines=_source_lines(
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


def _source_lines(
    source: str,
    url: str | None,
    texts: DiscordTexts,
    outlet: str | None = None,
    date: str | None = None,
) -> tuple[str, ...]:
    link = _safe_url(url)
    shown = byline(outlet and _one_line(outlet), date, texts.language) or _source_label(
        source, link
    )
    plain = texts.source_line.format(source=_escaped_within(shown, 200))
    if link is None:
        return (plain,)
    return (texts.source_line.format(source=f"[{_escaped_within(shown, 200)}]({link})"), plain)


def _safe_url(url: str | None) -> str | None:
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


def embed_length(embed: EmbedPayload) -> int:
    """Characters Discord counts against the 6,000 limit for one embed."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    return total


# --- full passages (/sources) ---------------------------------------------------------


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
    lines = _source_lines(passage.source, passage.url, texts, passage.outlet, passage.date)
    source_line = next((s for s in lines if len(s) <= _SOURCE_LINE_MAX), lines[-1])
    budget = max(_MIN_PASSAGE_BUDGET, DESCRIPTION_LIMIT - len(source_line) - 2)
    chunks = _chunk_sentences(escape_literal_markers(passage.text.strip()), budget)
    link = _safe_url(passage.url)
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


# --- short messages -------------------------------------------------------------------


def render_notice(text: str) -> str:
    """A plain message within Discord's 2,000-character content limit."""
    return _trim_words(text.strip(), CONTENT_LIMIT)


def render_user_error(texts: DiscordTexts, message: str) -> str:
    """An expected failure (missing index, bad question) as the one line users see."""
    return render_notice(texts.user_error.format(message=escape_discord(_one_line(message))))


def render_wait_notice(
    template: str, *, retry_after: float, now: float, cooldown_seconds: float
) -> str:
    """A cooldown or busy message saying when to retry, as a Discord relative timestamp."""
    retry_at = f"<t:{math.ceil(now + retry_after)}:R>"
    return render_notice(template.format(retry_at=retry_at, seconds=f"{cooldown_seconds:g}"))


def mentions_bot(content: str, bot_id: int) -> bool:
    """True when the text itself mentions the bot (a reply's implicit ping does not count)."""
    return re.search(rf"<@!?{bot_id}>", content) is not None


def question_from_mention(content: str, bot_id: int) -> str:
    """The question in a message that mentions the bot: the text without the mention."""
    return _one_line(re.sub(rf"<@!?{bot_id}>", " ", content))


def thread_name(question: str) -> str:
    """A thread title from the question (plain text: thread names render no markdown)."""
    return _trim_words(_one_line(question), THREAD_NAME_LIMIT) or "Question"
