"""Every prompt and user-facing message lives in `prompts/*.toml`; this reads them."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from bot.settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"


@cache
def load_prompts(name: str) -> dict[str, Any]:
    """The parsed `prompts/<name>.toml`, read once per process."""
    with open(PROMPTS_DIR / f"{name}.toml", "rb") as handle:
        return tomllib.load(handle)


def message(name: str, key: str, language: str, **values: object) -> str:
    """One template from `prompts/<name>.toml` in `language` (French when unknown)."""
    table = load_prompts(name)
    section = table.get(language) or table["fr"]
    return str(section[key]).format(**values)


def read_prompt_file(path: Path, error: type[Exception], missing: str) -> dict[str, Any]:
    """The parsed TOML at `path`; a missing or broken file raises `error` in one line.

    `missing` is the message for a file that is not there ("no … file at PATH").
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(missing) from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path} is not valid TOML: {exc}") from exc
