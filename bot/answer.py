"""`answer_question`: pick the sentences that answer, quote them verbatim, cite them.

Extractive by default; with a language model configured, its answer is used only when
every citation marker it writes points at a passage it was given.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bot.models import Answer, Citation, Passage
from bot.prompts import message
from bot.question import clean_question, detect_language
from index.chunk import split_sentences
from index.lexical import analyze
from index.models import Article, Chunk, Hit
from index.search import HybridSearcher

if TYPE_CHECKING:
    from bot.llm import LanguageModel

log = logging.getLogger("newsbot.bot")

_NUMBER = re.compile(r"\d")
_MONTHS = re.compile(
    r"\b(?:janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
    r"décembre|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|demain|"
    r"aujourd’hui|aujourd'hui|\d{4})\b",
    re.IGNORECASE,
)
_COUNT_WORDS = re.compile(
    r"\b(?:\d+|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|vingt|cent|mille|"
    r"dizaines?|centaines?|milliers?|millions?|milliards?)\b",
    re.IGNORECASE,
)
_PROPER_NAME = re.compile(r"(?<=[\w,;:’'] )[A-Z][a-zà-ÿ]+(?:[ -][A-Z][a-zà-ÿ]+)*")
_QUESTION_TYPES = {
    "who": re.compile(r"\b(?:qui|who|whom|whose)\b", re.I),
    "when": re.compile(r"\b(?:quand|when|quelle date|what date|what year|quel jour)\b", re.I),
    "where": re.compile(r"\b(?:où|ou est|where|quel pays|which country|quelle ville)\b", re.I),
    "count": re.compile(r"\b(?:combien|how many|how much|how long)\b", re.I),
}


@dataclass(frozen=True)
class AnswerOptions:
    """Weights and thresholds of sentence choice and abstention (see docs/calibration.md)."""

    dense_weight: float = 1.0
    lexical_weight: float = 0.35
    type_bonus: float = 0.03
    rank_bonus: float = 0.02
    max_sentences: int = 2
    second_sentence_margin: float = 0.03  # a second quote must score this close to the best
    same_fact_jaccard: float = 0.5  # two sentences state the same fact (cite both)
    # Abstain when the best sentence is below this confidence (calibrated on the gold set).
    min_confidence: float = 0.85
    # English questions over French text score lower across the board.
    min_confidence_en: float = 0.80
    related: int = 2


@dataclass(frozen=True)
class _Sentence:
    article: Article
    chunk: Chunk
    start: int
    end: int
    terms: frozenset[str]
    score: float
    dense: float
    coverage: float

    @property
    def text(self) -> str:
        return self.article.text[self.start : self.end]


def question_type(question: str) -> str | None:
    for name, pattern in _QUESTION_TYPES.items():
        if pattern.search(question):
            return name
    return None


def _has_type(sentence: str, kind: str | None) -> bool:
    if kind == "when":
        return bool(_MONTHS.search(sentence))
    if kind == "count":
        return bool(_COUNT_WORDS.search(sentence))
    if kind in ("who", "where"):
        return bool(_PROPER_NAME.search(sentence))
    return False


def _candidates(
    hits: list[Hit], searcher: HybridSearcher, question: str, vector: np.ndarray, o: AnswerOptions
) -> list[_Sentence]:
    """Every sentence of the retrieved chunks (and their wire copies), scored."""
    q_terms = set(analyze(question, query=True))
    weights = {t: searcher.lexical.idf(t) for t in q_terms}
    total = sum(weights.values()) or 1.0
    kind = question_type(question)
    seen: set[tuple[str, int, int]] = set()
    out: list[_Sentence] = []
    for hit in hits:
        for chunk in (hit.chunk, *hit.duplicates):
            article = searcher.articles[chunk.article_id]
            for start, end in split_sentences(article.text, chunk.start, chunk.end):
                span = (article.id, start, end)
                if span in seen:
                    continue
                seen.add(span)
                row = searcher.sentence_rows.get(span)
                text = article.text[start:end]
                if _is_heading(text):
                    continue
                terms = frozenset(analyze(text))
                coverage = sum(w for t, w in weights.items() if t in terms) / total
                dense = float(searcher.sentence_vectors[row] @ vector) if row is not None else 0.0
                score = (
                    o.dense_weight * dense
                    + o.lexical_weight * coverage
                    + (o.type_bonus if _has_type(text, kind) else 0.0)
                    + o.rank_bonus / hit.rank
                )
                out.append(_Sentence(article, chunk, start, end, terms, score, dense, coverage))
    out.sort(key=lambda s: -s.score)
    return out


def _is_heading(text: str) -> bool:
    """Section titles and bylines state no fact: short and without final punctuation."""
    return len(text.split()) < 10 and not text.rstrip('»”"’) ').endswith((".", "!", "?"))


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def confidence(sentence: _Sentence) -> float:
    """How sure we are that this sentence answers; compared with `min_confidence`."""
    return sentence.dense + 0.1 * sentence.coverage


class _Citations:
    """Numbers sources in order of first use; one number per quoted span."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.passages: list[Passage] = []

    def cite(self, s: _Sentence) -> int:
        for c in self.citations:
            if (c.article_id, c.start, c.end) == (s.article.id, s.start, s.end):
                return c.n
        snippet = s.article.text[s.start : s.end]
        n = len(self.citations) + 1
        self.citations.append(
            Citation(
                n,
                s.article.id,
                s.article.source,
                s.article.title,
                snippet,
                s.start,
                s.end,
                s.article.url,
            )
        )
        self.passages.append(
            Passage(n, s.article.id, s.article.title, s.article.source, s.chunk.text, s.article.url)
        )
        return n


def _choose(ranked: list[_Sentence], o: AnswerOptions) -> list[list[_Sentence]]:
    """The best sentence and maybe one more, each with its copies in other articles."""
    groups: list[list[_Sentence]] = []
    used: set[int] = set()
    for i, sentence in enumerate(ranked):
        if i in used:
            continue
        if groups and (
            len(groups) >= o.max_sentences
            or sentence.score < groups[0][0].score - o.second_sentence_margin
        ):
            break
        if any(_jaccard(sentence.terms, g[0].terms) >= o.same_fact_jaccard for g in groups):
            continue
        group = [sentence]
        for j, other in enumerate(ranked[i + 1 :], i + 1):
            if (
                j not in used
                and other.article.id not in {s.article.id for s in group}
                and _jaccard(sentence.terms, other.terms) >= o.same_fact_jaccard
            ):
                group.append(other)
                used.add(j)
        groups.append(group)
    return groups


def _abstain(
    question: str, language: str, ranked: list[_Sentence], o: AnswerOptions, note: str | None
) -> Answer:
    related = _Citations()
    for sentence in ranked[: o.related]:
        related.cite(sentence)
    return Answer(
        question=question,
        text=message("answer", "abstain", language),
        abstained=True,
        mode="extractive",
        language=language,
        related=tuple(related.citations),
        note=note,
    )


def extractive_answer(
    question: str, ranked: list[_Sentence], language: str, o: AnswerOptions, note: str | None = None
) -> Answer:
    floor = o.min_confidence_en if language == "en" else o.min_confidence
    if not ranked or confidence(ranked[0]) < floor:
        return _abstain(question, language, ranked, o, note)
    cites = _Citations()
    parts = [message("answer", "intro", language)]
    for group in _choose(ranked, o):
        markers = "".join(f"[{cites.cite(s)}]" for s in group)
        parts.append(message("answer", "quote", language, text=group[0].text) + " " + markers)
    return Answer(
        question=question,
        text=" ".join(parts),
        abstained=False,
        mode="extractive",
        language=language,
        citations=tuple(cites.citations),
        passages=tuple(cites.passages),
        note=note,
    )


def _llm_answer(
    question: str, hits: list[Hit], ranked: list[_Sentence], language: str, llm: LanguageModel
) -> Answer:
    """The model's answer, its markers mapped to the best sentence of each cited passage."""
    from bot.llm import check_citations

    text = llm.generate(question, [h.chunk.text for h in hits], language)
    cited = check_citations(text, len(hits))
    cites = _Citations()
    renumber: dict[int, int] = {}
    for n in cited:
        chunk = hits[n - 1].chunk
        in_chunk = [s for s in ranked if s.chunk.id == chunk.id]
        if not in_chunk:  # every retrieved chunk has sentences; guard anyway
            continue
        renumber[n] = cites.cite(in_chunk[0])
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{renumber.get(int(m.group(1)), '?')}]", text)
    return Answer(
        question=question,
        text=text,
        abstained=False,
        mode="llm",
        language=language,
        citations=tuple(cites.citations),
        passages=tuple(cites.passages),
    )


def answer_question(
    question: str,
    searcher: HybridSearcher,
    *,
    k: int = 5,
    options: AnswerOptions | None = None,
    llm: LanguageModel | None = None,
) -> Answer:
    """Answer `question` from the index; never invents a citation."""
    o = options or AnswerOptions()
    cleaned = clean_question(question)
    language = detect_language(cleaned)
    vector = searcher.embed(cleaned)
    hits = searcher.search(cleaned, k, vector=vector)
    ranked = _candidates(hits, searcher, cleaned, vector, o)
    note = None
    if llm is not None and hits:
        from bot.llm import LanguageModelError, UnsupportedAnswer

        try:
            return _llm_answer(cleaned, hits, ranked, language, llm)
        except (LanguageModelError, UnsupportedAnswer) as exc:
            log.warning("language model answer rejected: %s", exc)
            note = message("answer", "llm_replaced", language, reason=str(exc))
    return extractive_answer(cleaned, ranked, language, o, note)
