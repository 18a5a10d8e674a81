"""The Discord bot's own sentences: prompts/discord.toml read and checked, in fr and en."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, TypeVar

from bot.prompts import read_prompt_file
from bot.settings import PROJECT_ROOT
from index.errors import NewsbotError

Language = Literal["fr", "en"]
_T = TypeVar("_T")

DEFAULT_PROMPTS_FILE = PROJECT_ROOT / "prompts" / "discord.toml"


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
