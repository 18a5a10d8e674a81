"""The optional language model's answer, its markers mapped to verbatim citations."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.answer.candidates import Candidate
from bot.answer.compose import Citations
from bot.models import Answer
from index.models import Hit

if TYPE_CHECKING:
    from bot.llm import LanguageModel

_MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")


def llm_answer(
    question: str,
    hits: list[Hit],
    ranked: Sequence[Candidate],
    language: str,
    llm: LanguageModel,
) -> Answer:
    """The model's answer, every sentence checked against the passage it cites; each cited
    passage is quoted by the sentence that supports the claim (bot/llm_check.py)."""
    from bot.llm import UnsupportedAnswer, prompt_instructions
    from bot.llm_check import best_support, check_reply

    passages = [h.chunk.text for h in hits]
    text = llm.generate(question, passages, language)
    instructions = prompt_instructions(llm.prompts, language, len(hits))
    checked = check_reply(text, passages, instructions)  # every sentence, or it raises
    cites = Citations()
    renumber: dict[int, int] = {}
    for n in checked.cited:
        chunk = hits[n - 1].chunk
        in_chunk = [c for c in ranked if c.chunk.id == chunk.id]
        if not in_chunk:  # every retrieved chunk has sentences; guard anyway
            continue
        best = best_support(checked.claims.get(n, ()), [c.text for c in in_chunk])
        renumber[n] = cites.cite(in_chunk[best])
    if not renumber:
        raise UnsupportedAnswer("uncited", "the model cited no passage with a quotable sentence")
    text = _MARKER.sub(lambda m: _renumbered(m.group(1), renumber), checked.text)
    return Answer(
        question=question,
        text=text,
        abstained=False,
        mode="llm",
        language=language,
        citations=tuple(cites.citations),
        passages=tuple(cites.passages),
    )


def _renumbered(numbers: str, renumber: dict[int, int]) -> str:
    """`[2, 3]` in the model's numbering -> `[1][2]` in the answer's citations."""
    cited = [renumber[int(n)] for n in re.findall(r"\d+", numbers) if int(n) in renumber]
    return "".join(f"[{n}]" for n in cited)
