"""Compose: the chosen sentences quoted verbatim, each with its numbered citations."""

from __future__ import annotations

from collections.abc import Sequence

from bot.answer.candidates import Candidate
from bot.dates import explain_relative_dates, parse_iso, published_prefix
from bot.models import Answer, Citation, Passage
from bot.prompts import message

# Two sentences whose term sets overlap this much state the same fact (wire copies).
SAME_FACT_JACCARD = 0.5


class Citations:
    """Numbers sources in order of first use; one number per quoted span."""

    def __init__(self) -> None:
        self.citations: list[Citation] = []
        self.passages: list[Passage] = []

    def cite(self, c: Candidate) -> int:
        for known in self.citations:
            if (known.article_id, known.start, known.end) == (c.article.id, c.start, c.end):
                return known.n
        n = len(self.citations) + 1
        a = c.article
        self.citations.append(
            Citation(
                n,
                a.id,
                a.source,
                a.title,
                a.text[c.start : c.end],
                c.start,
                c.end,
                a.url,
                date=a.date,
                outlet=a.publisher,
            )
        )
        self.passages.append(
            Passage(
                n, a.id, a.title, a.source, c.chunk.text, a.url, date=a.date, outlet=a.publisher
            )
        )
        return n


def _age_key(candidate: Candidate) -> int:
    """Sorts the newest article first; an undated one last."""
    day = parse_iso(candidate.article.date)
    return -day.toordinal() if day is not None else 0


def newest_first_among_ties(
    ranked: Sequence[tuple[Candidate, float]], tolerance: float = 1e-6
) -> list[tuple[Candidate, float]]:
    """`ranked` with equally good candidates (shares within `tolerance`, as wire copies of
    one sentence are) put newest article first; the order of unequal ones is kept."""
    out: list[tuple[Candidate, float]] = []
    i = 0
    while i < len(ranked):
        j = i + 1
        while j < len(ranked) and abs(ranked[j][1] - ranked[i][1]) <= tolerance:
            j += 1
        out.extend(sorted(ranked[i:j], key=lambda pair: _age_key(pair[0])))
        i = j
    return out


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def choose_quotes(
    ranked: Sequence[tuple[Candidate, float]], second_share: float, max_sentences: int = 2
) -> list[list[Candidate]]:
    """The best sentence, and the next one if its share is at least `second_share` of the
    best's and it states another fact; each with its copies in other articles."""
    ranked = newest_first_among_ties(ranked)
    groups: list[list[Candidate]] = []
    used: set[int] = set()
    best = ranked[0][1] if ranked else 0.0
    for i, (candidate, share) in enumerate(ranked):
        if len(groups) >= max_sentences or (groups and share < second_share * best):
            break
        if i in used or any(
            _jaccard(candidate.terms, g[0].terms) >= SAME_FACT_JACCARD for g in groups
        ):
            continue
        group = [candidate]
        for j, (other, _) in enumerate(ranked[i + 1 :], i + 1):
            if (
                j not in used
                and other.article.id not in {c.article.id for c in group}
                and _jaccard(candidate.terms, other.terms) >= SAME_FACT_JACCARD
            ):
                group.append(other)
                used.add(j)
        groups.append(group)
    return groups


def quoted_answer(
    question: str,
    language: str,
    groups: list[list[Candidate]],
    confidence: float,
    note: str | None = None,
) -> Answer:
    cites = Citations()
    parts = [message("answer", "intro", language)]
    dates = {group[0].article.date for group in groups}
    dated = len(dates) > 1 and None not in dates
    explained: set[str] = set()
    for group in groups:
        markers = "".join(f"[{cites.cite(c)}]" for c in group)
        quote = message("answer", "quote", language, text=group[0].text) + " " + markers
        if dated and group[0].article.date:
            # Quotes from different days say when each was published.
            quote = published_prefix(group[0].article.date, language) + " " + quote
        # A "mardi" in the quote, read against its article's date, outside the quote.
        notes = [
            note
            for note in explain_relative_dates(group[0].text, group[0].article.date, language)
            if note.lower() not in explained
        ]
        explained.update(note.lower() for note in notes)
        if notes:
            quote += " (" + " ; ".join(notes) + ")"
        parts.append(quote)
    return Answer(
        question=question,
        text=" ".join(parts),
        abstained=False,
        mode="extractive",
        language=language,
        citations=tuple(cites.citations),
        passages=tuple(cites.passages),
        note=note,
        confidence=confidence,
    )


def refusal(
    question: str,
    language: str,
    related: Sequence[Candidate],
    confidence: float | None,
    note: str | None = None,
) -> Answer:
    """ "Not in the articles", with the closest sentences shown as possibly related."""
    cites = Citations()
    for candidate in related:
        cites.cite(candidate)
    return Answer(
        question=question,
        text=message("answer", "abstain", language),
        abstained=True,
        mode="extractive",
        language=language,
        related=tuple(cites.citations),
        note=note,
        confidence=confidence,
    )
