"""Answers as Discord payloads: escaping, Discord's size limits, sentence-safe trimming.

Pure functions on plain data (no discord import, no network): embeds are the JSON dicts
of Discord's API, which the adapter turns into `discord.Embed.from_dict`. This module
holds the limits, the escaping and the short messages; the answer embed is built in
`render_answer`, the /sources messages in `render_sources`.
"""

from __future__ import annotations

import math
import re
from typing import Any

from bot.discord.texts import DiscordTexts

EmbedPayload = dict[str, Any]  # one embed, exactly as Discord's API spells it

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


def embed_length(embed: EmbedPayload) -> int:
    """Characters Discord counts against the 6,000 limit for one embed."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    total += len(embed.get("footer", {}).get("text", ""))
    total += len(embed.get("author", {}).get("name", ""))
    return total


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
