"""With a language model: the condensing prompt, and the check its reply must pass."""

from __future__ import annotations

from collections.abc import Sequence

from bot.conversation.turn import Turn


def condense_messages(question: str, turns: Sequence[Turn], language: str) -> tuple[str, str]:
    """The (system, user) prompt from prompts/conversation.toml for a language model."""
    from bot.prompts import load_prompts

    table = load_prompts("conversation")
    texts = table.get(language, table["fr"])
    lines = []
    for turn in turns:
        lines.append(f"Q: {turn.understood}")
        if turn.quotes:
            lines.append(f"R: {' '.join(turn.quotes)}")
    history = "\n".join(lines)
    user = texts["user"].strip().format(history=history, question=question)
    return texts["system"].strip(), user


def checked_condensed(reply: str, question: str) -> str | None:
    """The model's standalone question, or None when it is not one question."""
    text = reply.strip().strip('"«» ').strip()
    if not text or "\n" in text or not text.endswith("?") or text.count("?") > 1:
        return None
    if len(text) > 3 * len(question) + 200:
        return None
    return text
