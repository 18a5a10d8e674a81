"""The optional language model: prompt, call, and the citation check its reply must pass.

The model only rewrites retrieved passages into a short answer; `check_citations` decides
whether that answer may be shown. Everything that can go wrong on the wire becomes a
`LanguageModelError`, so the answer core can fall back to the extractive answer.
"""

from __future__ import annotations

import functools
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from bot.prompts import read_prompt_file
from bot.settings import PROJECT_ROOT, Settings, SettingsError
from index.errors import NewsbotError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

DEFAULT_PROMPTS_FILE = PROJECT_ROOT / "prompts" / "llm.toml"

# What the model must reply, alone, when the passages do not answer the question.
NO_ANSWER = "NO_ANSWER"

_PLACEHOLDERS = ("passages", "count", "question", "no_answer")
# `[1]`, `[1, 3]`, `[1;3]`; `[1][3]` is two markers.
_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
_SENTINEL = re.compile(rf"\b{NO_ANSWER}\b", re.IGNORECASE)
_WORD = re.compile(r"\w")

UnsupportedReason = Literal[
    "empty", "no_answer", "uncited", "unknown_passage", "bad_marker", "prompt_echo", "unsupported"
]
# Where a model that runs on should stop: it is starting to write a new prompt.
STOP_SEQUENCES = ("\nQuestion", "\nPassages", "\n===", "\n\n\n")


class LanguageModelError(NewsbotError):
    """The language model could not be reached, timed out, failed or replied nothing."""


class UnsupportedAnswer(NewsbotError):
    """The model's reply fails verification; `reason` says how.

    `reason == "no_answer"` means the model said the passages do not answer: the core
    should abstain. Every other reason means the reply cannot be trusted: fall back.
    """

    def __init__(self, reason: UnsupportedReason, message: str) -> None:
        super().__init__(message)
        self.reason: UnsupportedReason = reason

    @property
    def abstained(self) -> bool:
        return self.reason == "no_answer"


class LanguageModelSettingError(SettingsError, NewsbotError):
    """`NEWSBOT_LLM` (or a setting beside it) has a value we cannot use."""


class LlmPromptsError(NewsbotError):
    """prompts/llm.toml is missing, malformed or lacks a template."""


@dataclass(frozen=True)
class PromptTemplate:
    """The system and user messages for one answer language."""

    system: str
    user: str


@dataclass(frozen=True)
class LlmPrompts:
    by_language: Mapping[str, PromptTemplate]
    default_language: str

    def for_language(self, language: str) -> PromptTemplate:
        return self.by_language.get(language) or self.by_language[self.default_language]


@functools.cache
def load_llm_prompts(path: Path = DEFAULT_PROMPTS_FILE) -> LlmPrompts:
    """Read and check prompts/llm.toml once per process."""
    data = read_prompt_file(path, LlmPromptsError, f"no language-model prompt file at {path}")
    templates = {
        name: _template(table, name, path)
        for name, table in data.items()
        if isinstance(table, dict)
    }
    default = data.get("default_language", "fr")
    if default not in templates:
        raise LlmPromptsError(f"{path}: default_language {default!r} has no [{default}] table")
    return LlmPrompts(by_language=templates, default_language=default)


def _template(table: dict[str, Any], name: str, path: Path) -> PromptTemplate:
    texts: dict[str, str] = {}
    for key in ("system", "user"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise LlmPromptsError(f"{path}: [{name}] needs a non-empty `{key}` string")
        try:
            # Fail at startup on a typo'd placeholder rather than on the first question.
            value.format(**{p: "" for p in _PLACEHOLDERS})
        except (KeyError, IndexError, ValueError) as exc:
            raise LlmPromptsError(f"{path}: [{name}].{key} has a bad placeholder: {exc}") from exc
        texts[key] = value.strip()
    if "{passages}" not in texts["user"] + texts["system"]:
        raise LlmPromptsError(f"{path}: [{name}] never uses {{passages}}")
    return PromptTemplate(system=texts["system"], user=texts["user"])


def format_passages(passages: Sequence[str], key: str | None = None) -> str:
    """Passages `[1]` to `[n]`, each between a header and a closing line that carry a
    random key, so that article text (escaped too) cannot pose as another passage."""
    from bot.llm_markers import escape_passage_text

    key = key or secrets.token_hex(4)
    return "\n\n".join(
        f"=== [{n}] {key} ===\n{escape_passage_text(text.strip())}\n=== /{key} ==="
        for n, text in enumerate(passages, start=1)
    )


def build_messages(
    prompts: LlmPrompts, question: str, passages: Sequence[str], language: str
) -> list[tuple[str, str]]:
    """The (role, content) messages for one question, in LangChain's tuple form."""
    template = prompts.for_language(language)
    values = {
        "passages": format_passages(passages),
        "count": len(passages),
        "question": question.strip(),
        "no_answer": NO_ANSWER,
    }
    return [
        ("system", template.system.format(**values)),
        ("human", template.user.format(**values)),
    ]


def prompt_instructions(prompts: LlmPrompts, language: str, count: int) -> str:
    """The prompt's own words (no passage, no question): what a reply must not repeat."""
    values = {"passages": "", "count": count, "question": "", "no_answer": NO_ANSWER}
    template = prompts.for_language(language)
    return template.system.format(**values) + "\n" + template.user.format(**values)


@dataclass(frozen=True)
class LanguageModel:
    """A configured chat model plus the prompt; `generate` is the only call the core makes."""

    name: str  # as configured, e.g. "ollama:mistral"; shown in notes and logs
    chat: BaseChatModel = field(repr=False)
    prompts: LlmPrompts = field(default_factory=load_llm_prompts, repr=False)
    timeout: float | None = None
    # Strings that must never reach an error message (the API key).
    secrets: tuple[str, ...] = field(default=(), repr=False)

    def generate(self, question: str, passages: Sequence[str], language: str) -> str:
        """The model's answer from the numbered passages; raises LanguageModelError."""
        messages = build_messages(self.prompts, question, passages, language)
        try:
            reply = self.chat.invoke(messages)
        except Exception as exc:
            # Any failure of the optional model must degrade to the extractive answer,
            # and the provider libraries raise many unrelated types: catch them all here.
            raise LanguageModelError(f"{self.name}: {self._describe(exc)}") from exc
        text = reply.text.strip()
        if not text:
            raise LanguageModelError(f"{self.name}: the model replied with nothing")
        return text

    def _describe(self, exc: Exception) -> str:
        # Duck-typed so that neither openai, httpx nor ollama is imported here.
        kind = type(exc).__name__
        status = getattr(exc, "status_code", None)
        if isinstance(exc, TimeoutError) or "timeout" in kind.lower():
            limit = f" within {self.timeout:g} s" if self.timeout else ""
            return f"no reply{limit} (raise NEWSBOT_LLM_TIMEOUT or use a faster model)"
        if isinstance(status, int):
            return _describe_status(status)
        if isinstance(exc, ConnectionError) or "connect" in kind.lower():
            return "cannot reach the model server (is it running? check NEWSBOT_LLM_BASE_URL)"
        return f"{kind}: {self._redact(str(exc))}"

    def _redact(self, message: str) -> str:
        first_line = (message.strip().splitlines() or [""])[0]
        for secret in self.secrets:
            if secret:
                first_line = first_line.replace(secret, "***")
        return first_line[:200]


def _describe_status(status: int) -> str:
    if status in (401, 403):
        return f"the server refused the API key (HTTP {status}); check NEWSBOT_LLM_API_KEY"
    if status == 404:
        return "the server does not know this model (HTTP 404); check NEWSBOT_LLM"
    if status == 429:
        return "the server is rate-limiting us (HTTP 429); try again later"
    if status >= 500:
        return f"the model server failed (HTTP {status})"
    return f"the model server rejected the request (HTTP {status})"


def load_language_model(settings: Settings) -> LanguageModel | None:
    """The model named by `settings.llm`, or None for extractive answers only.

    Builds the client without contacting the server: a model that is down shows up as a
    `LanguageModelError` on the first question, which the core survives.
    """
    spec = settings.llm.strip()
    if not spec:
        return None
    provider, _, model = spec.partition(":")
    provider, model = provider.strip().lower(), model.strip()
    if provider not in ("openai", "ollama") or not model:
        raise LanguageModelSettingError(
            f"NEWSBOT_LLM={spec!r}: expected 'ollama:MODEL' or 'openai:MODEL', or empty"
        )
    if settings.llm_timeout <= 0:
        raise LanguageModelSettingError(
            f"NEWSBOT_LLM_TIMEOUT={settings.llm_timeout:g}: expected a positive number of seconds"
        )
    chat = _openai_chat(settings, model) if provider == "openai" else _ollama_chat(settings, model)
    return LanguageModel(
        name=f"{provider}:{model}",
        chat=chat,
        prompts=load_llm_prompts(),
        timeout=settings.llm_timeout,
        secrets=(settings.llm_api_key,) if settings.llm_api_key else (),
    )


def _openai_chat(settings: Settings, model: str) -> BaseChatModel:
    try:
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr
    except ImportError as exc:
        raise LanguageModelSettingError(
            "NEWSBOT_LLM=openai:… needs langchain-openai: pip install newsbot[openai]"
        ) from exc
    chat: BaseChatModel = ChatOpenAI(
        model=model,
        base_url=settings.llm_base_url or None,
        # Local OpenAI-compatible servers ignore the key, but the client insists on one.
        api_key=SecretStr(settings.llm_api_key or "not-needed"),
        timeout=settings.llm_timeout,
        # A retry would multiply the wait before the extractive fallback.
        max_retries=0,
        # A model that never stops would hold the server past the timeout. The client
        # sends `max_completion_tokens`; llama.cpp and older servers read `max_tokens`.
        max_completion_tokens=settings.llm_max_tokens,
        extra_body={"max_tokens": settings.llm_max_tokens},
        stop_sequences=list(STOP_SEQUENCES),
    )
    return chat


def _ollama_chat(settings: Settings, model: str) -> BaseChatModel:
    try:
        from langchain_ollama import ChatOllama
    except ImportError as exc:
        raise LanguageModelSettingError(
            "NEWSBOT_LLM=ollama:… needs langchain-ollama: pip install newsbot[ollama]"
        ) from exc
    # Ollama has no API key; one set anyway is for an authenticating proxy in front of it.
    headers = {"Authorization": f"Bearer {settings.llm_api_key}"} if settings.llm_api_key else {}
    chat: BaseChatModel = ChatOllama(
        model=model,
        base_url=settings.llm_base_url or None,
        client_kwargs={"timeout": settings.llm_timeout, "headers": headers},
        num_predict=settings.llm_max_tokens,
        stop=list(STOP_SEQUENCES),
    )
    return chat


def check_citations(text: str, passage_count: int) -> tuple[int, ...]:
    """The sorted distinct passage numbers `text` cites; raises UnsupportedAnswer if unusable."""
    if not _WORD.search(_MARKER.sub("", text)):
        raise UnsupportedAnswer("empty", "the language model's answer is empty")
    if _SENTINEL.search(text):
        raise UnsupportedAnswer("no_answer", "the language model found no answer in the passages")
    cited = {
        int(number)
        for marker in _MARKER.finditer(text)
        for number in re.split(r"[,;]", marker.group(1))
    }
    if not cited:
        raise UnsupportedAnswer("uncited", "the language model's answer cites no passage")
    unknown = sorted(n for n in cited if not 1 <= n <= passage_count)
    if unknown:
        shown = ", ".join(f"[{n}]" for n in unknown)
        raise UnsupportedAnswer(
            "unknown_passage",
            f"the language model cited {shown} but only {passage_count} passages were given",
        )
    return tuple(sorted(cited))
